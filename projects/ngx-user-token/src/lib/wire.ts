// What a ServiceNow instance says on the wire about the session token, and the readers of a
// rejection that decide what it proves. Sources: KB0565021 and ServiceNow's own clients (Service
// Portal's AngularJS `authInterceptor`, `GlideAjax`), which read these headers on a 401 to decide
// whether and how to send a request again.
import { HttpErrorResponse, HttpHeaders, HttpResponseBase } from '@angular/common/http';

/** Header in which a 401 names the session's current token, while the session lives. */
export const TOKEN_RESPONSE_HEADER = 'X-UserToken-Response';

/** Header in which a 401 repeats the token the rejected request carried. */
export const TOKEN_REQUEST_HEADER = 'X-UserToken-Request';

/** Header that says whether the session is alive (`'false'`: the user must log in again). */
export const SESSION_LOGGED_IN_HEADER = 'X-SessionLoggedIn';

/**
 * Older session header, read only when `X-SessionLoggedIn` is absent: it reads `true` even for a
 * guest, so only its `false` means anything.
 */
export const LOGGED_IN_HEADER = 'X-Is-Logged-In';

/** Header by which a 401 says whether the request may be sent again (`'false'`: it may not). */
export const ALLOW_RESUBMIT_HEADER = 'X-UserToken-AllowResubmit';

/**
 * Header by which a request asks that a 401 carry no `WWW-Authenticate` challenge, so that the
 * browser opens no login dialog. Sent (`true`) by apps built for instances in public repositories;
 * not found in ServiceNow's docs.
 */
export const NO_CHALLENGE_HEADER = 'X-No-Response-Challenge';

/** The message of the instance's 401 when it refuses a request before running it. */
export const NOT_AUTHENTICATED_MESSAGE = 'User Not Authenticated';

/** What ServiceNow's own page code sends in `X-UserToken` when the page has no token. */
export const TOKEN_PLACEHOLDER = 'token_intentionally_left_blank';

/** Methods that may be sent again after any refresh status: they change nothing on the server. */
export const SAFE_METHOD = /^(GET|HEAD|OPTIONS)$/;

/** What a session token looks like (hex on an instance): no spaces, no markup, a sane length. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{1,1024}$/;

/** True when a rejection carries ServiceNow's CSRF signature, so the request was not executed. */
export function rejectedForToken(response: HttpErrorResponse): boolean {
  if (response.headers.has(TOKEN_RESPONSE_HEADER)) {
    return true;
  }
  const body: unknown = response.error;
  const text =
    typeof body === 'string'
      ? body
      : (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof text === 'string' && text.includes(NOT_AUTHENTICATED_MESSAGE);
}

/** The token the rejected request carried: as sent, else as the 401 repeats it. */
export function tokenOf(sent: string | null, response: HttpErrorResponse): string | null {
  if (sent !== null) {
    return sent;
  }
  const echoed = response.headers.get(TOKEN_REQUEST_HEADER);
  return echoed !== null && echoed !== TOKEN_PLACEHOLDER && TOKEN_PATTERN.test(echoed)
    ? echoed
    : null;
}

/**
 * The new token a rejection names in `X-UserToken-Response`, if usable: well-formed and not the
 * one the request carried.
 */
export function namedToken(rejection: {
  readonly token: string | null;
  readonly response: { readonly headers: HttpHeaders };
}): string | null {
  const named = rejection.response.headers.get(TOKEN_RESPONSE_HEADER);
  return named !== null && TOKEN_PATTERN.test(named) && named !== rejection.token ? named : null;
}

/** True when the instance says the session has ended (`X-SessionLoggedIn: false`). */
export function loggedOut(headers: HttpHeaders): boolean {
  return (headers.get(SESSION_LOGGED_IN_HEADER) ?? headers.get(LOGGED_IN_HEADER)) === 'false';
}

/** True when the instance forbids sending the request again (`X-UserToken-AllowResubmit: false`). */
export function resubmitForbidden(headers: HttpHeaders): boolean {
  return headers.get(ALLOW_RESUBMIT_HEADER) === 'false';
}

/**
 * True when a request that expected JSON got an HTML page: a success status whose body did not
 * parse (XHR keeps the text, fetch keeps the content type), or one that ended on a login page.
 */
export function isLoginPage(error: HttpErrorResponse): boolean {
  if (error.status < 200 || error.status >= 300) {
    return false;
  }
  const type = error.headers.get('Content-Type') ?? '';
  const text = (error.error as { text?: unknown } | null)?.text;
  const onLoginPage = error.url !== null && /\/(login|navpage)\.do(?:[?#]|$)/.test(error.url);
  return (
    type.includes('html') ||
    (typeof text === 'string' && text.trimStart().startsWith('<')) ||
    onLoginPage
  );
}

/**
 * The error a caller gets in place of `response`: its headers and URL, with `status`,
 * `statusText` and `error`. @internal
 */
export function failure(
  response: HttpResponseBase,
  status: number,
  statusText: string,
  error: unknown,
): HttpErrorResponse {
  return new HttpErrorResponse({
    error,
    headers: response.headers,
    status,
    statusText,
    url: response.url ?? undefined,
  });
}
