import { EnvironmentProviders, makeEnvironmentProviders } from '@angular/core';

import { resolveUserTokenOptions, USER_TOKEN_CONFIG, UserTokenOptions } from './options';

/**
 * Configures ngx-user-token for an app (or a lazy-loaded route's injector). Optional: without it
 * the interceptor runs on defaults. Throws at startup, naming the option, when a value is invalid.
 * Register the interceptor itself with `withInterceptors([userTokenInterceptor])`.
 *
 * @example
 * ```ts
 * bootstrapApplication(App, {
 *   providers: [
 *     provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor])),
 *     provideUserToken({ tokenUrl: '/x_acme_token.do' }),
 *   ],
 * });
 * ```
 */
export function provideUserToken(options: UserTokenOptions = {}): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: USER_TOKEN_CONFIG, useValue: resolveUserTokenOptions(options) },
  ]);
}
