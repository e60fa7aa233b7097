import { EnvironmentProviders, makeEnvironmentProviders, Provider } from '@angular/core';

import { resolveUserTokenOptions, USER_TOKEN_CONFIG, UserTokenOptions } from './options';

/** The kinds of {@link UserTokenFeature}. */
export type UserTokenFeatureKind = 'options' | 'token-page' | 'cross-tab-sync' | 'relogin';

/**
 * A part of ngx-user-token an app opts into, given to {@link provideUserToken}: what is not named
 * is not in the app's bundle. Made by {@link withUserTokenOptions}, {@link withTokenPage},
 * {@link withCrossTabSync} and {@link withReLogin}.
 */
export interface UserTokenFeature {
  /** @internal */
  readonly ɵkind: UserTokenFeatureKind;
  /** @internal */
  readonly ɵproviders: readonly Provider[];
}

export function userTokenFeature(
  kind: UserTokenFeatureKind,
  providers: readonly Provider[],
): UserTokenFeature {
  return { ɵkind: kind, ɵproviders: providers };
}

/**
 * Configures ngx-user-token for an app (or a lazy-loaded route's injector) with the features it
 * uses. Optional: without it the interceptor runs on defaults — the header, the recovery from the
 * 401's `X-UserToken-Response` and from a changed `window.g_ck` — and the app pays for nothing
 * else. Register the interceptor itself with `withInterceptors([userTokenInterceptor])`.
 *
 * @example
 * ```ts
 * bootstrapApplication(App, {
 *   providers: [
 *     provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor])),
 *     provideUserToken(withTokenPage('/x_acme_token.do'), withCrossTabSync()),
 *   ],
 * });
 * ```
 */
export function provideUserToken(...features: UserTokenFeature[]): EnvironmentProviders {
  if (typeof ngDevMode === 'undefined' || ngDevMode) {
    const kinds = features.map((f) => f?.ɵkind);
    const twice = kinds.find((kind, i) => kinds.indexOf(kind) !== i);
    if (kinds.some((kind) => kind === undefined) || twice) {
      throw new Error(
        twice
          ? `ngx-user-token: provideUserToken() got ${twice} twice; give each feature once.`
          : 'ngx-user-token: provideUserToken() takes features: withUserTokenOptions({...}), ' +
              'withTokenPage(url), withCrossTabSync(), withReLogin().',
      );
    }
  }
  return makeEnvironmentProviders(features.flatMap((feature) => feature.ɵproviders));
}

/**
 * The library's options (header name, allowed origins, retries, timeouts, ...): see
 * {@link UserTokenOptions}. Throws at startup in development, naming the option, when a value is
 * invalid.
 *
 * @example
 * ```ts
 * provideUserToken(withUserTokenOptions({ allowedOrigins: ['https://acme.service-now.com'] }))
 * ```
 */
export function withUserTokenOptions(options: UserTokenOptions): UserTokenFeature {
  return userTokenFeature('options', [
    { provide: USER_TOKEN_CONFIG, useValue: resolveUserTokenOptions(options) },
  ]);
}
