/**
 * The mock instance: an Express app that behaves on the wire like the parts of a ServiceNow
 * instance (Geneva or later) that ngx-user-token touches — UI sessions with a session token, the
 * CSRF check on every REST call, the Table API — plus a control API for tests and the demo.
 */
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';

import parseBytes from 'bytes';
import cookieParser from 'cookie-parser';
import express, { NextFunction, Request, Response } from 'express';

import { Database } from './database';
import { pages, sessionIdOf } from './pages';
import { negotiate, NOT_AUTHENTICATED, sendError } from './responses';
import { DEMO_PASSWORD, LOGIN_USERS } from './seed';
import { SessionStore } from './sessions';
import { tableApi } from './table-api';

export interface MockInstanceOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Enables the control API under `/mock/`. Default false. */
  dev?: boolean;
  /** Seconds after which a session's token rotates; null (default) never. */
  tokenTtl?: number | null;
  /** Seconds of inactivity after which a session ends; null (default) never. */
  sessionTimeout?: number | null;
  /** Whether a 401 on a live session carries `X-UserToken-Response`. Default true. */
  tokenResponseHeader?: boolean;
  /** A built single-page app served at `/`, with `window.g_ck` injected. Default none. */
  appDir?: string | null;
  /** Largest request body accepted. Default `'1mb'`. */
  bodyLimit?: string;
  /** Time source, for tests. Default `Date.now`. */
  clock?: () => number;
}

/**
 * What the server counts, for tests and benchmarks. `GET /mock/stats` adds `rotations` (tokens
 * rotated, by timer or on demand; `sessions.rotations` in process). Reset with
 * `POST /mock/stats/reset`.
 */
export interface MockInstanceStats {
  /** Requests to `/api/`. */
  api: number;
  /** Of those, answered 401 by the CSRF / authentication check. */
  unauthorized: number;
  /** Requests to the token page. */
  tokenPage: number;
}

export interface MockInstanceState {
  readonly db: Database;
  readonly sessions: SessionStore;
  readonly stats: MockInstanceStats;
  readonly config: { tokenResponseHeader: boolean; readonly dev: boolean };
}

export interface MockInstance extends MockInstanceState {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Builds the Express app and its state without listening. */
export function createMockInstanceApp(options: MockInstanceOptions = {}): {
  app: express.Express;
  state: MockInstanceState;
} {
  const clock = options.clock ?? Date.now;
  const seconds = (s: number | null | undefined) =>
    s === null || s === undefined ? null : s * 1000;
  const bodyLimit = options.bodyLimit ?? '1mb';
  const state: MockInstanceState = {
    db: new Database(clock),
    sessions: new SessionStore({
      tokenTtlMs: seconds(options.tokenTtl),
      sessionTimeoutMs: seconds(options.sessionTimeout),
      clock,
    }),
    stats: { api: 0, unauthorized: 0, tokenPage: 0 },
    config: { tokenResponseHeader: options.tokenResponseHeader ?? true, dev: options.dev ?? false },
  };
  const { db, sessions, stats, config } = state;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The body limit holds for every path, as at an instance's front door, not only where a body is
  // parsed: a declared length over it is refused before anything reads the body.
  const maxBodyBytes = parseBytes(bodyLimit);
  if (maxBodyBytes === null || maxBodyBytes <= 0) {
    throw new Error(`bodyLimit must be a size such as "1mb" or "500kb"; got "${bodyLimit}"`);
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      res.set('Connection', 'close');
      sendError(req, res, 413, {
        message: 'Request body too large',
        detail: `The limit is ${bodyLimit}`,
      });
      return;
    }
    next();
  });
  app.use(cookieParser());

  // REST: authenticate (Basic, or the session cookie plus X-UserToken), then the Table API.
  app.use('/api', (req: Request, res: Response, next: NextFunction) => {
    stats.api++;
    const reject = (loggedIn: boolean, currentToken: string | null) => {
      stats.unauthorized++;
      const headers: Record<string, string> = {
        'WWW-Authenticate': 'BASIC realm="Service-now"',
        'X-Is-Logged-In': String(loggedIn),
      };
      if (currentToken !== null && config.tokenResponseHeader) {
        headers['X-UserToken-Response'] = currentToken;
      }
      sendError(req, res, 401, NOT_AUTHENTICATED, headers);
    };

    const authorization = req.headers.authorization;
    if (authorization !== undefined) {
      const user = basicUser(authorization);
      if (!user) {
        reject(false, null);
        return;
      }
      res.locals['caller'] = { sysId: user['sys_id'], userName: user['user_name'] };
    } else {
      const session = sessions.get(sessionIdOf(req));
      if (!session) {
        reject(false, null);
        return;
      }
      if (req.headers['x-usertoken'] !== session.token) {
        reject(true, session.token);
        return;
      }
      res.locals['caller'] = { sysId: session.userSysId, userName: session.userName };
    }
    res.set('X-Is-Logged-In', 'true');
    if (negotiate(req) === null) {
      sendError(req, res, 406, {
        message: 'Not Acceptable',
        detail: 'The Accept header must allow application/json or application/xml',
      });
      return;
    }
    next();
  });
  app.use('/api', tableApi(db, bodyLimit));

  if (config.dev) {
    app.use('/mock', controlApi(state, bodyLimit));
  }

  app.use(
    pages(sessions, db, {
      appDir: options.appDir ?? null,
      bodyLimit,
      onTokenPage: () => stats.tokenPage++,
    }),
  );

  // Mistakes of the client keep their 4xx status; anything else is the server's fault.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const type = (error as { type?: unknown }).type;
      const message =
        type === 'entity.too.large'
          ? 'Request body too large'
          : type === 'entity.parse.failed'
            ? 'Exception while reading request'
            : 'Bad request';
      sendError(req, res, status, { message, detail: (error as Error).message ?? null });
      return;
    }
    console.error('mock instance: internal error', error);
    sendError(req, res, 500, { message: 'Internal server error', detail: null });
  });

  function basicUser(header: string) {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    if (!match) {
      return null;
    }
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon > 0 ? db.findUser(decoded.slice(0, colon)) : null;
    const canLogIn = user && LOGIN_USERS.some((u) => u.userName === user['user_name']);
    return canLogIn && decoded.slice(colon + 1) === DEMO_PASSWORD ? user : null;
  }

  return { app, state };
}

/** `/mock/...`: what the demo's buttons and the tests use to make tokens go stale on purpose. */
function controlApi(state: MockInstanceState, bodyLimit: string): express.Router {
  const router = express.Router();
  const json = express.json({ limit: bodyLimit });
  const sessionOf = (req: Request) => state.sessions.get(sessionIdOf(req));
  const noSession = (res: Response) =>
    res
      .status(404)
      .json({ error: { message: 'No session', detail: 'Log in first' }, status: 'failure' });

  router.get('/state', (req, res) => {
    const session = sessionOf(req);
    res.set('Cache-Control', 'no-store').json({
      dev: true,
      tokenResponseHeader: state.config.tokenResponseHeader,
      user: session?.userName ?? null,
    });
  });
  router.post('/rotate-token', (req, res) => {
    const session = sessionOf(req);
    if (!session) {
      noSession(res);
      return;
    }
    state.sessions.rotate(session);
    res.json({ rotated: true });
  });
  router.post('/end-session', (req, res) => {
    const session = sessionOf(req);
    if (!session) {
      noSession(res);
      return;
    }
    state.sessions.end(session.id);
    res.json({ ended: true });
  });
  router.post('/config', json, (req, res) => {
    const value = (req.body as Record<string, unknown> | undefined)?.['tokenResponseHeader'];
    if (typeof value !== 'boolean') {
      res.status(400).json({
        error: { message: 'Bad request', detail: 'Expected {"tokenResponseHeader": true|false}' },
        status: 'failure',
      });
      return;
    }
    state.config.tokenResponseHeader = value;
    res.json({ tokenResponseHeader: value });
  });
  const stats = () => ({ ...state.stats, rotations: state.sessions.rotations });
  const resetStats = () => {
    Object.assign(state.stats, { api: 0, unauthorized: 0, tokenPage: 0 });
    state.sessions.rotations = 0;
  };
  router.get('/stats', (req, res) => {
    res.set('Cache-Control', 'no-store').json(stats());
  });
  router.post('/stats/reset', (req, res) => {
    resetStats();
    res.json(stats());
  });
  router.post('/reset', (req, res) => {
    state.db.reset();
    resetStats();
    res.json({ reset: true });
  });
  return router;
}

/** Starts the mock instance and resolves once it listens. */
export async function startMockInstance(options: MockInstanceOptions = {}): Promise<MockInstance> {
  const { app, state } = createMockInstanceApp(options);
  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, host, (error?: Error) =>
      error ? reject(error) : resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    ...state,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
