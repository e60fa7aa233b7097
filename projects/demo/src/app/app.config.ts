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
  withReLogin,
  withTokenPage,
  withUserTokenOptions,
} from 'ngx-user-token';

import { provideRecordWatcher } from 'ngx-user-token/live';

import { LOGIN_COMPLETE_PAGE, TOKEN_PAGE } from '../environments/token-page';
import { LIVE_UPDATES } from './incident-list';

/** The app is configured as any app on an instance would be: the interceptor plus its options. */
export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    // The guard goes last: it re-checks the URL each request really leaves for.
    provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor, userTokenOriginGuard])),
    // A token page for 401s that name no token; the other tabs of the app share refreshed tokens;
    // when the session ends, requests wait while the user logs in again in a window.
    provideUserToken(
      withTokenPage(TOKEN_PAGE),
      withCrossTabSync(),
      withReLogin({ page: LOGIN_COMPLETE_PAGE }),
      withUserTokenOptions(pageOptions()),
    ),
    // Live lists over the instance's message bus; `?transport=long-polling` for its browser test,
    // `?live=off` for the tests of the HTTP path alone.
    provideRecordWatcher(transportOption()),
    { provide: LIVE_UPDATES, useValue: searchParam('live') !== 'off' },
  ],
};

function searchParam(name: string): string | null {
  return new URLSearchParams(globalThis.location?.search ?? '').get(name);
}

function transportOption() {
  const transport = searchParam('transport');
  return transport === 'long-polling' || transport === 'websocket'
    ? { transports: [transport] as const }
    : {};
}

/**
 * The demo's own switches, for its browser tests' control cases: `?maxInFlight=Infinity&retries=0`
 * turns the session queue and every resend off, as a client without the library behaves;
 * `?noResponseChallenge=false` sends no `X-No-Response-Challenge`.
 */
function pageOptions(): UserTokenOptions {
  const params = new URLSearchParams(globalThis.location?.search ?? '');
  const maxInFlight = params.get('maxInFlight');
  const retries = params.get('retries');
  return {
    ...(maxInFlight === null ? {} : { maxInFlight: Number(maxInFlight) }),
    ...(retries === null ? {} : { retries: Number(retries) }),
    ...(params.get('noResponseChallenge') === 'false' ? { noResponseChallenge: false } : {}),
  };
}
