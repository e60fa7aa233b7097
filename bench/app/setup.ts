// Without ngx-user-token.
import { provideHttpClient, withFetch } from '@angular/common/http';
import { provideZonelessChangeDetection } from '@angular/core';

export const providers = [provideZonelessChangeDetection(), provideHttpClient(withFetch())];
