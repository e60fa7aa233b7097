/**
 * The cookies an instance sets on a REST answer, as recorded from real instances:
 *
 * - a Basic-authenticated call that succeeds sets up a session: `JSESSIONID` (when the request
 *   carried none of that user's), `glide_user` and `glide_user_session` cleared (`Max-Age=0`),
 *   `glide_user_route=glide.<32 hex>` (`Max-Age=2147483647`) and `glide_session_store=<32 hex>`
 *   (`Max-Age=1800`). Seen in the captures of such calls that show their headers: `curl -v` in
 *   `vdesabou/kafka-docker-playground`
 *   (`connect/connect-servicenow-source/servicenow-source-repro-proxy.sh`, 2021), the response
 *   headers ServiceNow's own docs print for `getAllHeaders()` (`ServiceNow/ServiceNowDocs`,
 *   `markdown/api-reference/server-api-reference/GlideHTTPResponseAPI.md` and the
 *   `RESTResponseV2` page beside it, 2021), the headers in the
 *   `servicenow-rest-api` README (npm, 2021), and Swimlane's connector docs
 *   (`swimlane/techpubs-knowledgecenter`, `docs/Connectors/ServiceNow/Actions/`, 2022–2024), whose
 *   captures without a `JSESSIONID` are those of a client that already had one; the few captures
 *   with no `Set-Cookie` at all list shortened headers. KB0693221 ("ServiceNow Cookies") says what
 *   each cookie is for;
 * - a 401 to a request without credentials sets a fresh `JSESSIONID` and clears `glide_user` and
 *   `glide_user_session`, nothing else (`servicenow-source-repro-proxy.sh` in
 *   `vdesabou/kafka-docker-playground`, an earlier commit of it: `curl -v` without credentials,
 *   2021). The mock answers a failed Basic login so too (what an instance sets there when the
 *   request carried a session cookie is unverified: the mock then leaves the cookie alone).
 *
 * Instances add `Secure` (and lately `SameSite=None`); the mock serves plain HTTP on loopback,
 * where a browser drops `Secure` cookies, so it leaves both out, as for its login cookie. The
 * load balancer's `BIGipServerpool_*` cookie is not the instance's and is not modelled.
 */
import type { Response } from 'express';

import { SESSION_COOKIE } from './login-pages';
import type { Session } from './sessions';

const GLIDE_USER = 'glide_user';
const GLIDE_USER_SESSION = 'glide_user_session';
const GLIDE_USER_ROUTE = 'glide_user_route';
const GLIDE_SESSION_STORE = 'glide_session_store';

/** `Max-Age` of `glide_user_route` (seconds), as recorded: the largest an int holds. */
const ROUTE_MAX_AGE_S = 2147483647;
/** `Max-Age` of `glide_session_store` (seconds), as recorded: 30 minutes. */
const SESSION_STORE_MAX_AGE_S = 1800;

const base = { path: '/', httpOnly: true, sameSite: 'lax' } as const;

/** Clears the "Remember me" cookies, as every recorded REST answer does. */
function clearRememberMe(res: Response): void {
  res.cookie(GLIDE_USER, '', { ...base, maxAge: 0 });
  res.cookie(GLIDE_USER_SESSION, '', { ...base, maxAge: 0 });
}

/**
 * The cookies of a REST call authenticated with Basic: `JSESSIONID` when the session is new,
 * then the glide cookies.
 */
export function setSessionCookies(
  res: Response,
  session: Session,
  route: string,
  isNew: boolean,
): void {
  if (isNew) {
    res.cookie(SESSION_COOKIE, session.id, base);
  }
  clearRememberMe(res);
  res.cookie(GLIDE_USER_ROUTE, route, { ...base, maxAge: ROUTE_MAX_AGE_S * 1000 });
  res.cookie(GLIDE_SESSION_STORE, session.storeId, {
    ...base,
    maxAge: SESSION_STORE_MAX_AGE_S * 1000,
  });
}

/** The cookies of a refused guest: a fresh `JSESSIONID` (naming no session), the rest cleared. */
export function setGuestCookies(res: Response, guestId: string): void {
  res.cookie(SESSION_COOKIE, guestId, base);
  clearRememberMe(res);
}
