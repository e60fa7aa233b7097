/**
 * The HTML side of the instance: login and logout, the token page, and the app page that defines
 * `window.g_ck` the way a UI page does with `gs.getSessionToken()`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import express, { Request, Response, Router } from 'express';

import { checkPassword } from './credentials';
import { Database } from '../data/database';
import { escapeMarkup, NO_CACHE_HEADERS } from '../http/responses';
import { Session, SessionStore } from './sessions';
import { Row } from '../data/tables';

export const SESSION_COOKIE = 'JSESSIONID';

/** The session id the request's cookie carries, if any. */
export function sessionIdOf(req: Request): string | undefined {
  return (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
}

/**
 * What a UI page renders for `gs.getSessionToken()`, and the user's sys_id and user name where
 * Service Portal pages put them (`window.NOW.user_id`, `NOW.user_name`: read by public widget
 * code; not in ServiceNow's docs).
 */
function tokenScript(session: Session): string {
  const user = { user_id: session.userSysId, user_name: session.userName };
  return (
    `<script>window.g_ck = ${JSON.stringify(session.token)}; ` +
    `window.NOW = Object.assign(window.NOW || {}, ${JSON.stringify(user)});</script>`
  );
}

/** Where the login-complete page of ngx-user-token's `withReLogin` is served by default. */
export const LOGIN_COMPLETE_PATH = '/ngx_user_token_login_complete.do';

/**
 * The login-complete page (what the library's `login-complete.html` renders on an instance): it
 * hands the new session's token and user to the window that opened it — `postMessage` to the
 * opener, for its origin only, and the `ngx-user-token:login` broadcast channel — and closes.
 * Token and user are JSON-encoded into the script (the library's Jelly snippet writes them
 * as the instance renders `$[...]`).
 */
function loginCompletePage(session: Session): string {
  const message = JSON.stringify({
    type: 'ngx-user-token:login',
    token: session.token,
    user: session.userSysId,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Logged in</title></head>
<body><p>You are logged in again. This window closes by itself.</p>
<script>(function () {
  var message = ${message};
  try { if (window.opener) { window.opener.postMessage(message, location.origin); } } catch (e) {}
  try { var channel = new BroadcastChannel('ngx-user-token:login'); channel.postMessage(message); channel.close(); } catch (e) {}
  window.close();
})();</script></body></html>`;
}

/** Starts a UI session for `user` and hands its cookie to the browser. */
export function startSession(res: Response, sessions: SessionStore, user: Row): Session {
  const session = sessions.create({ sys_id: user['sys_id'], user_name: user['user_name'] });
  res.cookie(SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'lax', path: '/' });
  return session;
}

export interface PageOptions {
  readonly appDir: string | null;
  readonly bodyLimit: string;
  readonly onTokenPage: () => void;
  /**
   * Where a page request without a session goes: `null` the instance's login page, else the
   * identity provider's login URL for the page's absolute URL (an instance behind single sign-on
   * in redirect mode).
   */
  readonly identityProviderLogin: (page: string) => string | null;
}

/** A local path to go to after login; anything else (other hosts, `//x`) becomes `/`. */
function safeGoto(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) ? value : '/';
}

/** The instance's login page, which sends the browser to `goto` once logged in. */
export function loginPage(db: Database, goto: string, message: string | null): string {
  const users = db
    .loginUsers()
    .map((name) => `<li><code>${escapeMarkup(name)}</code></li>`)
    .join('');
  const hint = db.loginHint;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in | Mock instance</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.4rem;font:inherit}
button{margin-top:1rem;padding:.5rem 1.5rem;font:inherit}.error{color:#b00020}</style></head>
<body><h1>Log in</h1>
${message ? `<p class="error" role="alert">${escapeMarkup(message)}</p>` : ''}
<form method="post" action="/login.do">
<input type="hidden" name="sysparm_goto" value="${escapeMarkup(goto)}">
<label for="user_name">User name</label><input id="user_name" name="user_name" autocomplete="username" required>
<label for="user_password">Password</label><input id="user_password" name="user_password" type="password" autocomplete="current-password" required>
<button type="submit" id="sysverb_login">Log in</button>
</form>
<p>Users of this instance${hint ? ` (${escapeMarkup(hint)})` : ''}:</p><ul>${users}</ul>
</body></html>`;
}

function homePage(session: Session): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mock instance</title>
${tokenScript(session)}</head>
<body><h1>Mock instance</h1><p>Logged in as <code>${escapeMarkup(session.userName)}</code>.
No app is being served (start with <code>--app &lt;dir&gt;</code>). <a href="/logout.do">Log out</a></p></body></html>`;
}

function notFoundPage(path: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Page not found | Mock instance</title></head>
<body><h1>Page not found</h1><p>The page <code>${escapeMarkup(path)}</code> does not exist on this instance.</p>
<p><a href="/">Home</a></p></body></html>`;
}

const BUILDING_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>Building…</title></head>
<body><p>The app is being built; this page reloads by itself.</p></body></html>`;

export function pages(sessions: SessionStore, db: Database, options: PageOptions): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: options.bodyLimit });
  const sessionOf = (req: Request) => sessions.get(sessionIdOf(req));
  const toLogin = (req: Request, res: Response) =>
    res.redirect(
      302,
      options.identityProviderLogin(`${req.protocol}://${req.get('host')}${req.originalUrl}`) ??
        `/login.do?sysparm_goto=${encodeURIComponent(req.originalUrl)}`,
    );

  // `sysparm_goto_url` is what app code in public repositories links to (`/login.do?
  // sysparm_goto_url=...`); the mock's own form carries `sysparm_goto`.
  router.get('/login.do', (req, res) => {
    const goto = req.query['sysparm_goto'] ?? req.query['sysparm_goto_url'];
    res
      .set(NO_CACHE_HEADERS)
      .type('html')
      .send(loginPage(db, safeGoto(goto), null));
  });

  router.post('/login.do', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = checkPassword(db, body['user_name'], body['user_password']);
    const goto = safeGoto(body['sysparm_goto']);
    if (!user) {
      res
        .status(200)
        .set(NO_CACHE_HEADERS)
        .type('html')
        .send(loginPage(db, goto, 'User name or password invalid'));
      return;
    }
    startSession(res, sessions, user);
    res.redirect(302, goto);
  });

  router.get('/logout.do', (req, res) => {
    const id = sessionIdOf(req);
    if (id) {
      sessions.end(id);
    }
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.redirect(302, '/login.do');
  });

  // What a customer builds as a UI page: the session token as plain text.
  router.get('/user_token.do', (req, res) => {
    options.onTokenPage();
    const session = sessionOf(req);
    if (!session) {
      toLogin(req, res);
      return;
    }
    res.set(NO_CACHE_HEADERS).type('text/plain').send(session.token);
  });

  router.get(LOGIN_COMPLETE_PATH, (req, res) => {
    const session = sessionOf(req);
    if (!session) {
      toLogin(req, res);
      return;
    }
    res.set(NO_CACHE_HEADERS).type('html').send(loginCompletePage(session));
  });

  const appPage = (req: Request, res: Response) => {
    const session = sessionOf(req);
    if (!session) {
      toLogin(req, res);
      return;
    }
    res.set(NO_CACHE_HEADERS).type('html');
    if (!options.appDir) {
      res.send(homePage(session));
      return;
    }
    const index = join(options.appDir, 'index.html');
    if (!existsSync(index)) {
      res.status(503).send(BUILDING_PAGE);
      return;
    }
    res.send(readFileSync(index, 'utf8').replace(/<\/head>/i, `${tokenScript(session)}</head>`));
  };
  router.get(['/', '/index.html'], appPage);

  if (options.appDir) {
    router.use(express.static(options.appDir, { index: false }));
    // A deep link of the app's router (`/incidents/42`): its page, as a UI page routed to a
    // single-page app serves it. Paths that name a file (a dot in the last segment) stay 404s.
    router.get(/^\/(?!api\/)[^.]*$/, (req, res, next) =>
      req.accepts(['html', 'json']) === 'html' ? appPage(req, res) : next(),
    );
  }
  // An instance has its own icon at /favicon.ico, which a UI page's browser asks for (that it is
  // served there is unverified here); the mock has none: an empty answer rather than a 404 in
  // the console of every installed page.
  router.get('/favicon.ico', (req, res) => {
    res.status(204).end();
  });
  // Any other page: a 404 page, as the instance's own rather than the web framework's.
  router.use((req, res) => {
    res.status(404).set(NO_CACHE_HEADERS).type('html').send(notFoundPage(req.path));
  });
  return router;
}
