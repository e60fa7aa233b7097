// What a ServiceNow instance says on the wire about the session token.

/** Header in which a 401 names the session's current token, while the session lives. */
export const TOKEN_RESPONSE_HEADER = 'X-UserToken-Response';

/** Header that says whether the session is alive (`'false'`: the user must log in again). */
export const LOGGED_IN_HEADER = 'X-Is-Logged-In';

/** The message of the instance's 401 when it refuses a request before running it. */
export const NOT_AUTHENTICATED_MESSAGE = 'User Not Authenticated';

/** What a session token looks like (hex on an instance): no spaces, no markup, a sane length. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{1,1024}$/;
