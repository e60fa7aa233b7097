import { HttpHeaders } from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import type { PageUserInfo } from 'ngx-user-token';

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
  /**
   * Whether the session is alive (`X-SessionLoggedIn`). Default `true`. `X-Is-Logged-In` is always
   * `true`, as an instance says it even to a guest.
   */
  sessionLoggedIn?: boolean;
  /** `X-UserToken-AllowResubmit`: whether the request may be sent again. Default `true`. */
  allowResubmit?: boolean;
  /** The token the request carried, repeated as `X-UserToken-Request`. Default: none. */
  requestToken?: string;
  /** Whether the 401 carries `WWW-Authenticate: BASIC`, the browser's login dialog. Default false. */
  challenge?: boolean;
}

/**
 * Answers a pending `TestRequest` the way an instance answers a request with a missing or stale
 * token: 401, the instance's body and the headers ServiceNow's own clients decide on.
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
  const headers: Record<string, string> = {
    'X-SessionLoggedIn': String(options.sessionLoggedIn ?? true),
    'X-Is-Logged-In': 'true',
    'X-UserToken-AllowResubmit': String(options.allowResubmit ?? true),
  };
  if (options.challenge) {
    headers['WWW-Authenticate'] = 'BASIC realm="Service-now"';
  }
  if (options.requestToken !== undefined) {
    headers['X-UserToken-Request'] = options.requestToken;
  }
  if (options.currentToken !== undefined) {
    headers['X-UserToken-Response'] = options.currentToken;
  }
  request.flush(USER_TOKEN_REJECTION_BODY, {
    status: 401,
    statusText: 'Unauthorized',
    headers: new HttpHeaders(headers),
  });
}

/**
 * Answers a pending `TestRequest` the way an instance behind single sign-on answers once the
 * session has ended: 200 with an HTML login page where the request expected JSON.
 *
 * @example
 * ```ts
 * flushSessionEndedLoginPage(httpTesting.expectOne('/api/now/table/incident'));
 * // the caller gets an HttpErrorResponse whose error is a UserTokenRefreshError('login-page')
 * ```
 */
export function flushSessionEndedLoginPage(request: TestRequest): void {
  // What a backend reports for it: a failure with a success status (the body did not parse).
  request.error(new ProgressEvent('error'), {
    status: 200,
    statusText: 'OK',
    headers: new HttpHeaders({ 'Content-Type': 'text/html;charset=UTF-8' }),
  });
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

/**
 * Answers the library's one pending question "whose session is this?" — the `sys_user` read where
 * `sys_id` is `javascript:gs.getUserID()`, which `PageUser` sends on a page that names no user and
 * the refresh sends with each new token on a page that does — as an instance answers it: with
 * `user`'s record, or (`null`) with the 401 of a session that is gone. Returns the request, to
 * check the token it carried.
 *
 * @example
 * ```ts
 * flushUserTokenRejection(httpTesting.expectOne('/api/now/table/incident'), { currentToken: 'token-2' });
 * const question = flushPageUserQuestion(httpTesting, { sysId: '6816f79c...', userName: 'abel.tuter' });
 * expect(question.request.headers.get('X-UserToken')).toBe('token-2');
 * ```
 */
export function flushPageUserQuestion(
  httpTesting: HttpTestingController,
  user: PageUserInfo | null,
): TestRequest {
  const question = httpTesting.expectOne(
    (r) => r.method === 'GET' && new URL(r.url, 'http://x').pathname === '/api/now/table/sys_user',
    'the question whose session a token is (sys_user where sys_id is javascript:gs.getUserID())',
  );
  if (user) {
    question.flush({ result: [{ sys_id: user.sysId, user_name: user.userName ?? '' }] });
  } else {
    question.flush(USER_TOKEN_REJECTION_BODY, {
      status: 401,
      statusText: 'Unauthorized',
      headers: new HttpHeaders({ 'X-SessionLoggedIn': 'false' }),
    });
  }
  return question;
}
