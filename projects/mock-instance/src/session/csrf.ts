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
import type { Session, SessionStore } from './sessions';

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

  /** The CSRF / authentication 401, with the headers ServiceNow's clients decide on. */
  function refuse(req: Request, res: Response, session: Session | null): void {
    stats.unauthorized++;
    const sentToken = req.headers['x-usertoken'];
    const headers: Record<string, string> = {
      [SESSION_LOGGED_IN_HEADER]: String(session !== null),
      // Reads true even for a guest (ServiceNow's iOS SDK notes it): not a session signal.
      [IS_LOGGED_IN_HEADER]: 'true',
      'X-UserToken-AllowResubmit': String(config.allowResubmit),
    };
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
