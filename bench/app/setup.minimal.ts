// ngx-user-token's minimal setup: the interceptor, on defaults.
import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { provideZonelessChangeDetection } from '@angular/core';
import { userTokenInterceptor } from 'ngx-user-token';

export const providers = [
  provideZonelessChangeDetection(),
  provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor])),
];
