import { HttpHeaders } from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';

/** The JSON body of a ServiceNow instance's CSRF rejection (401 "User Not Authenticated"). */
export const USER_TOKEN_REJECTION_BODY = {
  error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
  status: 'failure',
} as const;

/** How {@link flushUserTokenRejection} shapes the 401. */
export interface UserTokenRejectionOptions {
  /**
   * The session's current token, sent back as `X-UserToken-Response` as an instance does while
   * the session is alive. Omit it to exercise the other refresh paths.
   */
  currentToken?: string;
  /** Whether the session is alive (`X-Is-Logged-In`). Default `true`. */
  loggedIn?: boolean;
}

/**
 * Answers a pending `TestRequest` the way an instance answers a request with a missing or stale
 * token: 401, the instance's body and headers.
 *
 * @example
 * ```ts
 * flushUserTokenRejection(httpTesting.expectOne('/api/now/table/incident'), {
 *   currentToken: 'token-2',
 * });
 * ```
 */
export function flushUserTokenRejection(
  request: TestRequest,
  options: UserTokenRejectionOptions = {},
): void {
  let headers = new HttpHeaders({
    'WWW-Authenticate': 'BASIC realm="Service-now"',
    'X-Is-Logged-In': String(options.loggedIn ?? true),
  });
  if (options.currentToken !== undefined) {
    headers = headers.set('X-UserToken-Response', options.currentToken);
  }
  request.flush(USER_TOKEN_REJECTION_BODY, { status: 401, statusText: 'Unauthorized', headers });
}

/**
 * Expects exactly one pending request to `url` that carries `token` in the user-token header
 * (`X-UserToken` unless `headerName` is given) and returns it. Fails, listing what is pending,
 * when there is none or more than one.
 *
 * @example
 * ```ts
 * expectOneWithToken(httpTesting, '/api/now/table/incident', 'token-2').flush({ result: [] });
 * ```
 */
export function expectOneWithToken(
  controller: HttpTestingController,
  url: string,
  token: string | null,
  headerName = 'X-UserToken',
): TestRequest {
  return controller.expectOne(
    (req) => req.url === url && req.headers.get(headerName) === token,
    `one request to ${url} with ${headerName}: ${token === null ? '(none)' : token}`,
  );
}
