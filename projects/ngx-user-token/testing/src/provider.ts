import { EnvironmentProviders, makeEnvironmentProviders } from '@angular/core';
import {
  provideUserToken,
  UserTokenOptions,
  UserTokenSource,
  withUserTokenOptions,
} from 'ngx-user-token';

import { FakeUserTokenSource } from './fake-token-source';

/** Options of {@link provideUserTokenTesting}: the library's options plus the starting token. */
export interface UserTokenTestingOptions extends UserTokenOptions {
  /** The token on the page and the server at the start. Default `'token-1'`; `null` for none. */
  token?: string | null;
}

/**
 * Replaces the token source with a {@link FakeUserTokenSource} (inject it to rotate, fail, delay
 * or count refreshes) and configures the library with `options`. Combine with
 * `provideHttpClient(withInterceptors([userTokenInterceptor]))` and `provideHttpClientTesting()`.
 *
 * @example
 * ```ts
 * TestBed.configureTestingModule({
 *   providers: [
 *     provideHttpClient(withInterceptors([userTokenInterceptor])),
 *     provideHttpClientTesting(),
 *     provideUserTokenTesting({ token: 'token-1' }),
 *   ],
 * });
 * ```
 */
export function provideUserTokenTesting(
  options: UserTokenTestingOptions = {},
): EnvironmentProviders {
  const { token = 'token-1', ...userTokenOptions } = options;
  return makeEnvironmentProviders([
    provideUserToken(withUserTokenOptions(userTokenOptions)),
    {
      provide: FakeUserTokenSource,
      useFactory: () => {
        const source = new FakeUserTokenSource();
        source.setToken(token);
        return source;
      },
    },
    { provide: UserTokenSource, useExisting: FakeUserTokenSource },
  ]);
}
