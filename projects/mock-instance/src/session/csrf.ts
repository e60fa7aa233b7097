/**
 * How an instance authenticates a REST call and what it answers when it refuses one: Basic
 * authentication, or the session cookie plus the session token in `X-UserToken` (the CSRF check of
 * KB0565021), with the headers ServiceNow's own clients read on the 401.
 *
 * Sources (see the project README, "The mock instance"): KB0565021; the Service Portal AngularJS
 * `authInterceptor`, `GlideAjax` and `jquery_csrf.js` as shipped in ServiceNow's UI bundles; the
 * ServiceNow SDK CLI's `UISession`; ServiceNow's iOS SDK and its integration tests.
 */
import type { NextFunction, Request, Response } from 'express';

import type { Database } from '../data/database';
import type { OAuthTokens } from './oauth';
import { basicUser } from './credentials';
import { loginPage, sessionIdOf } from './login-pages';
import { NO_CACHE_HEADERS, NOT_AUTHENTICATED, sendError } from '../http/responses';
import { setGuestCookies, setSessionCookies } from './session-cookies';
import type { Session, SessionStore } from './sessions';
import type { Row } from '../data/tables';

/**
 * When a 401 carries `WWW-Authenticate: BASIC realm="Service-now"`, the header that makes a
 * browser open its login dialog:
 * - `missing-token` (default): only when the request carried no `X-UserToken` — KB0565021's case
 *   (ServiceNow's own page code never sends a request without one, which fits this reading; a live
 *   instance has not confirmed it);
 * - `always`: on every 401;
 * - `never`: on none.
 */
export type ChallengePolicy = 'missing-token' | 'always' | 'never';
export const CHALLENGE_POLICIES: readonly ChallengePolicy[] = ['missing-token', 'always', 'never'];

/**
 * How an instance behind SAML/OIDC single sign-on answers a REST call once the session is gone:
 * - `off` (default): the 401 above;
 * - `redirect`: 302 to the identity provider's login page, on another origin;
 * - `html`: 200 with the instance's HTML login page (what a JSON client reads as "Unexpected token <").
 * Community tools detect both; which one a given release sends is unverified.
 */
export type SsoMode = 'off' | 'redirect' | 'html';
export const SSO_MODES: readonly SsoMode[] = ['off', 'redirect', 'html'];

/** What can be switched while the instance runs (`POST /mock/config`). */
export interface AuthConfig {
  /** A 401 on a live session names the session's token in `X-UserToken-Response`. */
  tokenResponseHeader: boolean;
  /** The value of `X-UserToken-AllowResubmit` on a CSRF 401. */
  allowResubmit: boolean;
  challenge: ChallengePolicy;
  /**
   * A request that sends `X-No-Response-Challenge: true` gets no challenge, whatever the policy:
   * what apps built for instances send it for (seen in public app code; not found in ServiceNow's
   * docs, so modelled as a switch).
   */
  honourNoResponseChallenge: boolean;
  sso: SsoMode;
}

/** What the authentication step counts. */
export interface AuthStats {
  /** Answered 401 by the CSRF / authentication check. */
  unauthorized: number;
  /** Of those, carrying a `WWW-Authenticate` challenge (each can open the browser's dialog). */
  challenged: number;
  /** REST calls answered as an SSO instance does once the session is gone (redirect or HTML). */
  ssoLogin: number;
}

/** The caller of an authenticated request. */
export interface Caller {
  readonly sysId: string;
  readonly userName: string;
}

export function callerOf(res: Response): Caller {
  return res.locals['caller'] as Caller;
}

export interface AuthDeps {
  readonly db: Database;
  readonly sessions: SessionStore;
  readonly config: AuthConfig;
  readonly stats: AuthStats;
  /** Where `sso: 'redirect'` sends the browser: the identity provider's origin. */
  readonly identityProvider: () => string;
  /** OAuth access tokens issued by `/oauth_token.do`. */
  readonly oauth: OAuthTokens;
  /** Users whose password login asks for a second factor. */
  readonly mfaUsers: ReadonlySet<string>;
}

export const SESSION_LOGGED_IN_HEADER = 'X-SessionLoggedIn';
export const IS_LOGGED_IN_HEADER = 'X-Is-Logged-In';

/**
 * Authenticates a REST call (`/api/*`, `/angular.do` processors), or answers it as an instance
 * refuses one. On success `res.locals.caller` is set and the response says the session is alive.
 */
export function authenticate(deps: AuthDeps) {
  const { config, stats } = deps;

  return (req: Request, res: Response, next: NextFunction): void => {
    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const bearer = /^Bearer (\S+)$/i.exec(authorization.trim());
      const owner = bearer ? deps.oauth.userOf(bearer[1]) : null;
      const user = bearer ? owner && deps.db.findUser(owner) : basicUser(deps.db, authorization);
      if (!user) {
        refuse(req, res, null);
        return;
      }
      if (!bearer) {
        basicSession(req, res, user);
      }
      res.locals['caller'] = { sysId: user['sys_id'], userName: user['user_name'] } as Caller;
    } else {
      const session = deps.sessions.get(sessionIdOf(req));
      if (!session && config.sso !== 'off') {
        stats.ssoLogin++;
        ssoLogin(req, res);
        return;
      }
      if (!session || req.headers['x-usertoken'] !== session.token) {
        refuse(req, res, session);
        return;
      }
      res.locals['caller'] = { sysId: session.userSysId, userName: session.userName } as Caller;
    }
    res.set({ [IS_LOGGED_IN_HEADER]: 'true', [SESSION_LOGGED_IN_HEADER]: 'true' });
    next();
  };

  /**
   * A Basic-authenticated call runs in a session of its own, which its cookies name (see
   * `session-cookies.ts` for the recordings): the session the request's cookie names, if it is
   * that user's, else a new one. A client that keeps the cookies therefore has its calls queued in
   * one session, as on an instance. What a call with only that cookie later gets is the CSRF
   * check of any session here; ServiceNow's iOS SDK tests suggest an instance lets such an
   * "integration" session through without a token until it loads a UI page (not modelled).
   */
  function basicSession(req: Request, res: Response, user: Row): void {
    const carried = deps.sessions.peek(sessionIdOf(req));
    const kept = carried?.userSysId === user['sys_id'] ? deps.sessions.get(carried.id) : null;
    const session =
      kept ??
      deps.sessions.create(
        { sys_id: user['sys_id'], user_name: user['user_name'] },
        { integration: true },
      );
    setSessionCookies(res, session, deps.sessions.route, kept === null);
  }

  /**
   * The CSRF / authentication 401, with the headers ServiceNow's clients decide on.
   *
   * Without a live session (no cookie, a dead one, wrong Basic credentials) it carries no
   * `X-Is-Logged-In`, as a recorded 401 to a request without credentials does
   * (`vdesabou/kafka-docker-playground`,
   * `connect/connect-servicenow-source/servicenow-source-repro-proxy.sh`, an earlier commit:
   * `curl -v`, 2021), and a request that carried no session cookie, or wrong credentials, gets a
   * fresh guest `JSESSIONID` with `glide_user` and `glide_user_session` cleared, as recorded there
   * (`session-cookies.ts`). A client that read "401 + X-Is-Logged-In: true" as "cookies fine, fetch
   * the token" would otherwise take a wrong password for a CSRF problem. A request whose cookie
   * names an ended session keeps it (no fresh one, so a 401 arriving late cannot replace the
   * cookie of a login made meanwhile in another tab): what an instance sets there is unverified.
   * With a live session `X-Is-Logged-In: true` stays (ServiceNow's iOS SDK resubmits on it).
   */
  function refuse(req: Request, res: Response, session: Session | null): void {
    stats.unauthorized++;
    const sentToken = req.headers['x-usertoken'];
    const headers: Record<string, string> = {
      [SESSION_LOGGED_IN_HEADER]: String(session !== null),
      ...(session !== null ? { [IS_LOGGED_IN_HEADER]: 'true' } : {}),
      'X-UserToken-AllowResubmit': String(config.allowResubmit),
    };
    if (
      session === null &&
      (sessionIdOf(req) === undefined || req.headers.authorization !== undefined) &&
      !deps.sessions.isLive(sessionIdOf(req))
    ) {
      setGuestCookies(res, deps.sessions.guestId());
    }
    if (typeof sentToken === 'string') {
      headers['X-UserToken-Request'] = sentToken;
    }
    if (session !== null && config.tokenResponseHeader) {
      headers['X-UserToken-Response'] = session.token;
    }
    const declined =
      config.honourNoResponseChallenge && req.headers['x-no-response-challenge'] === 'true';
    const challenge =
      !declined &&
      (config.challenge === 'always' ||
        (config.challenge === 'missing-token' && sentToken === undefined));
    if (challenge) {
      stats.challenged++;
      headers['WWW-Authenticate'] = 'BASIC realm="Service-now"';
    }
    sendError(req, res, 401, NOT_AUTHENTICATED, headers);
  }

  function ssoLogin(req: Request, res: Response): void {
    const relayState = encodeURIComponent(`${req.protocol}://${req.get('host')}${req.originalUrl}`);
    if (config.sso === 'redirect') {
      res.redirect(302, `${deps.identityProvider()}/sso/login?RelayState=${relayState}`);
    } else {
      res
        .status(200)
        .set(NO_CACHE_HEADERS)
        .type('html')
        .send(loginPage(deps.db, req.originalUrl, null));
    }
  }
}
