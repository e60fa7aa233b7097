import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import {
  ApplicationConfig,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import {
  provideUserToken,
  UserTokenOptions,
  userTokenInterceptor,
  userTokenOriginGuard,
  withCrossTabSync,
  withTokenPage,
  withUserTokenOptions,
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
    provideUserToken(
      withTokenPage(TOKEN_PAGE),
      withCrossTabSync(),
      withUserTokenOptions(pageOptions()),
    ),
  ],
};

/**
 * The demo's own switch, for its browser tests' control case: `?maxInFlight=Infinity&retries=0`
 * turns the session queue and every resend off, as a client without the library behaves.
 */
function pageOptions(): UserTokenOptions {
  const params = new URLSearchParams(globalThis.location?.search ?? '');
  const maxInFlight = params.get('maxInFlight');
  const retries = params.get('retries');
  return {
    ...(maxInFlight === null ? {} : { maxInFlight: Number(maxInFlight) }),
    ...(retries === null ? {} : { retries: Number(retries) }),
  };
}
