import { InjectionToken } from '@angular/core';

import { TOKEN_PATTERN, TOKEN_PLACEHOLDER } from './wire';

/**
 * Options of ngx-user-token, given with {@link withUserTokenOptions}. Every field is optional; the
 * defaults fit a single-page app served by a ServiceNow instance and calling its REST APIs.
 *
 * @example
 * ```ts
 * provideUserToken(withUserTokenOptions({ refreshTimeout: 5000 }))
 * ```
 */
export interface UserTokenOptions {
  /** Request header that carries the session token. Default `'X-UserToken'`. */
  headerName?: string;
  /**
   * Origins besides the page's own that receive the token, written as `https://host[:port]`
   * (no path, no wildcard). Default `[]`: the token goes to the page's origin only.
   */
  allowedOrigins?: readonly string[];
  /** Response statuses that trigger a token refresh and one retry. Default `[401]`. */
  refreshOn?: readonly number[];
  /**
   * How many times a rejected request is sent again, each time with a token other than the one
   * just rejected. Default `1`; `0` turns refresh and retry off for every request. Raise it only
   * if tokens rotate faster than a request's round trip.
   */
  retries?: number;
  /** Milliseconds a token refresh may take before it fails and waiting requests error. Default `10000`. */
  refreshTimeout?: number;
  /** Name of the `window` global that holds the page's token, for the default source. Default `'g_ck'`. */
  globalName?: string;
  /**
   * What the header carries when no token is known, so that no request in scope leaves without
   * it: a request with no `X-UserToken` at all is the one an instance answers with the challenge
   * that opens the browser's login dialog (KB0565021), and the 401 to the placeholder still names
   * the session's token. Default `'token_intentionally_left_blank'`, as ServiceNow's own page code
   * sends; `null` sends no header instead.
   */
  placeholderToken?: string | null;
  /**
   * Most requests of one instance origin on the wire at once; the rest wait in the browser, in
   * order. An instance runs one session's transactions two at a time (one before Yokohama) and
   * lets 10 more wait: what comes beyond is ignored (KB0755706, KB0655956). Default `6`: the two
   * it runs and a safe share of its waiters, leaving room for other tabs and the classic UI.
   * Background reads take at most half of it (3), so that the instance's own queue holds few of
   * them when a user's request comes (a write, `priority: 'high'`, `USER_WAITING`): that one
   * may take the other half.
   * `Infinity` turns the queue off. Raise it only for an instance whose limits were raised
   * (`com.glide.request.max_waiters`).
   */
  maxInFlight?: number;
  /**
   * Longest `Retry-After` (milliseconds) an idempotent request answered 429 (rate limited) waits
   * out before it is sent again, once. Longer waits, and writes, reach the caller as the 429.
   * Default `10000`; `0` never waits.
   */
  rateLimitMaxWait?: number;
  /**
   * Sends `X-No-Response-Challenge: true` with every request that carries the token, asking the
   * instance to leave the `WWW-Authenticate` challenge off its 401s: the browser then never
   * opens its own login dialog for them. Apps built for instances send it (seen in public code;
   * not in ServiceNow's docs, so unverified). Default `true`.
   */
  noResponseChallenge?: boolean;
}

/** Options with every default filled in and every value checked. */
export type UserTokenConfig = Readonly<{
  headerName: string;
  allowedOrigins: readonly string[];
  refreshOn: readonly number[];
  retries: number;
  refreshTimeout: number;
  globalName: string;
  placeholderToken: string | null;
  maxInFlight: number;
  rateLimitMaxWait: number;
  noResponseChallenge: boolean;
}>;

const DEFAULTS: UserTokenConfig = {
  headerName: 'X-UserToken',
  allowedOrigins: [],
  refreshOn: [401],
  retries: 1,
  refreshTimeout: 10_000,
  globalName: 'g_ck',
  placeholderToken: TOKEN_PLACEHOLDER,
  maxInFlight: 6,
  rateLimitMaxWait: 10_000,
  noResponseChallenge: true,
};

/** The resolved configuration; defaults apply when `provideUserToken()` was never called. */
export const USER_TOKEN_CONFIG = /* @__PURE__ */ new InjectionToken<UserTokenConfig>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'USER_TOKEN_CONFIG' : '',
  { factory: () => DEFAULTS },
);

/**
 * Fills in defaults and, in development, rejects values that would silently misbehave, with an
 * error that names the option and what is expected.
 */
export function resolveUserTokenOptions(options: UserTokenOptions = {}): UserTokenConfig {
  const config: UserTokenConfig = {
    headerName: options.headerName ?? DEFAULTS.headerName,
    allowedOrigins: (options.allowedOrigins ?? DEFAULTS.allowedOrigins).map(normalizeOrigin),
    refreshOn: options.refreshOn ?? DEFAULTS.refreshOn,
    retries: options.retries ?? DEFAULTS.retries,
    refreshTimeout: options.refreshTimeout ?? DEFAULTS.refreshTimeout,
    globalName: options.globalName ?? DEFAULTS.globalName,
    placeholderToken:
      options.placeholderToken === undefined ? DEFAULTS.placeholderToken : options.placeholderToken,
    maxInFlight: options.maxInFlight ?? DEFAULTS.maxInFlight,
    rateLimitMaxWait: options.rateLimitMaxWait ?? DEFAULTS.rateLimitMaxWait,
    noResponseChallenge: options.noResponseChallenge ?? DEFAULTS.noResponseChallenge,
  };
  // Checked in development only: production builds drop these checks.
  if (typeof ngDevMode === 'undefined' || ngDevMode) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(config.headerName)) {
      throw optionError('headerName', 'a valid HTTP header name', config.headerName);
    }
    if (!config.refreshOn.every((s) => Number.isInteger(s) && s >= 400 && s <= 599)) {
      throw optionError('refreshOn', 'error statuses between 400 and 599', config.refreshOn);
    }
    if (!(Number.isInteger(config.retries) && config.retries >= 0 && config.retries <= 10)) {
      throw optionError('retries', 'a whole number from 0 to 10', config.retries);
    }
    if (!(Number.isFinite(config.refreshTimeout) && config.refreshTimeout > 0)) {
      throw optionError(
        'refreshTimeout',
        'a positive number of milliseconds',
        config.refreshTimeout,
      );
    }
    if (
      config.placeholderToken !== null &&
      !(typeof config.placeholderToken === 'string' && TOKEN_PATTERN.test(config.placeholderToken))
    ) {
      throw optionError(
        'placeholderToken',
        'a header-safe string or null',
        config.placeholderToken,
      );
    }
    if (!(
      config.maxInFlight === Infinity ||
      (Number.isInteger(config.maxInFlight) && config.maxInFlight >= 1)
    )) {
      throw optionError(
        'maxInFlight',
        'a whole number of at least 1, or Infinity',
        config.maxInFlight,
      );
    }
    if (!(Number.isFinite(config.rateLimitMaxWait) && config.rateLimitMaxWait >= 0)) {
      throw optionError(
        'rateLimitMaxWait',
        'a number of milliseconds, 0 or more',
        config.rateLimitMaxWait,
      );
    }
    if (typeof config.noResponseChallenge !== 'boolean') {
      throw optionError('noResponseChallenge', 'true or false', config.noResponseChallenge);
    }
    if (!/^[A-Za-z_$][\w$]*$/.test(config.globalName)) {
      throw optionError('globalName', 'a JavaScript identifier', config.globalName);
    }
  }
  return config;
}

function normalizeOrigin(origin: string): string {
  let url: URL | null = null;
  try {
    url = new URL(origin);
  } catch {
    // reported below
  }
  const isOrigin =
    url !== null &&
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    !url.username &&
    !url.password &&
    url.pathname === '/' &&
    !url.search &&
    !url.hash &&
    !origin.includes('*');
  if (!isOrigin) {
    throw optionError('allowedOrigins', 'origins like "https://host[:port]"', origin);
  }
  return url!.origin;
}

export function optionError(option: string, expected: string, actual: unknown): Error {
  return new Error(
    `ngx-user-token: option "${option}" must be ${expected}; got ${JSON.stringify(actual)}.`,
  );
}
