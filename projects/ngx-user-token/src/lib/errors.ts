/**
 * Why a token refresh failed:
 * - `logged-out`: the 401 said the session is gone (`X-SessionLoggedIn: false`, or
 *   `X-Is-Logged-In: false` where the former is absent);
 * - `login-page`: a request that expected JSON got a login page (HTML, or a redirect to a login
 *   page the browser would not follow): an instance behind single sign-on answers so once the
 *   session has ended;
 * - `no-token`: no new token could be had (no `X-UserToken-Response`, no changed global, the token
 *   page answered without one — e.g. with the login page);
 * - `same-token`: the source offered the token the server had just rejected;
 * - `timeout`: the refresh took longer than `refreshTimeout`;
 * - `failed`: the source failed (for example the token page answered 500 or the network failed);
 * - `other-user`: the instance's session now belongs to another user than the page's (someone
 *   logged in as another user in another tab, or in the login window of {@link withReLogin}):
 *   nothing is sent again with, or adopted from, that session; no request goes as that user from
 *   this page.
 */
export type UserTokenRefreshFailure =
  'logged-out' | 'login-page' | 'no-token' | 'same-token' | 'timeout' | 'failed' | 'other-user';

/**
 * The error a token refresh ends with. It is reported on {@link UserTokenEvents}; the requests that
 * waited for the refresh error with their own 401 `HttpErrorResponse`, not with this error. Its
 * message never contains a token; in production builds it is only the `reason`, as Angular keeps
 * its own error texts to development.
 */
export class UserTokenRefreshError extends Error {
  override readonly name = 'UserTokenRefreshError';

  constructor(
    /** What went wrong, as a stable code an app can switch on. */
    readonly reason: UserTokenRefreshFailure,
    /** What happened, in words; development builds only (production keeps the `reason`). */
    message: string,
    /** The underlying error, when there is one (a token page's `HttpErrorResponse`, for example). */
    override readonly cause?: unknown,
  ) {
    super(`ngx-user-token: ${message || reason}`);
  }

  /** True when the session is gone and the user has to log in again. */
  get sessionExpired(): boolean {
    return (
      this.reason === 'logged-out' ||
      this.reason === 'login-page' ||
      this.reason === 'no-token' ||
      this.reason === 'other-user'
    );
  }
}
