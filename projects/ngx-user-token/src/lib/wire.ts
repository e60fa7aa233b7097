// What a ServiceNow instance says on the wire about the session token. Sources: KB0565021 and
// ServiceNow's own clients (Service Portal's AngularJS `authInterceptor`, `GlideAjax`), which read
// these headers on a 401 to decide whether and how to send a request again.

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

/** The message of the instance's 401 when it refuses a request before running it. */
export const NOT_AUTHENTICATED_MESSAGE = 'User Not Authenticated';

/** What ServiceNow's own page code sends in `X-UserToken` when the page has no token. */
export const TOKEN_PLACEHOLDER = 'token_intentionally_left_blank';

/** Methods that may be sent again after any refresh status: they change nothing on the server. */
export const SAFE_METHOD = /^(GET|HEAD|OPTIONS)$/;

/** What a session token looks like (hex on an instance): no spaces, no markup, a sane length. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{1,1024}$/;
