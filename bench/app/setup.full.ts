// ngx-user-token with every feature on.
import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { inject, provideAppInitializer, provideZonelessChangeDetection } from '@angular/core';
import {
  provideUserToken,
  UserTokenEvents,
  userTokenInterceptor,
  userTokenOriginGuard,
  withCrossTabSync,
  withTokenPage,
  withUserTokenOptions,
} from 'ngx-user-token';

export const providers = [
  provideZonelessChangeDetection(),
  provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor, userTokenOriginGuard])),
  provideUserToken(
    withTokenPage('/x_token.do'),
    withCrossTabSync(),
    withUserTokenOptions({ retries: 2, allowedOrigins: ['https://api.example.com'] }),
  ),
  provideAppInitializer(() => {
    inject(UserTokenEvents).events.subscribe((event) => console.log(event.type));
  }),
];
