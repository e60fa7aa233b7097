import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import {
  ApplicationConfig,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import {
  provideUserToken,
  userTokenInterceptor,
  userTokenOriginGuard,
  withCrossTabSync,
  withTokenPage,
} from 'ngx-user-token';

import { TOKEN_PAGE } from '../environments/token-page';

/** The app is configured as any app on an instance would be: the interceptor plus its options. */
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    // The guard goes last: it re-checks the URL each request really leaves for.
    provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor, userTokenOriginGuard])),
    // The token page is used only when a 401 carries no X-UserToken-Response.
    // A token page for 401s that name no token; the other tabs of the app share refreshed tokens.
    provideUserToken(withTokenPage(TOKEN_PAGE), withCrossTabSync()),
  ],
};
