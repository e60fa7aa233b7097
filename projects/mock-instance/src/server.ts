/**
 * The mock instance: an Express app that behaves on the wire like the parts of a ServiceNow
 * instance (Geneva or later) that ngx-user-token touches — UI sessions with a session token, the
 * CSRF check on every REST call, the Table API — plus a control API for tests and the demo.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';

import parseBytes from 'bytes';
import cookieParser from 'cookie-parser';
import express, { Express, NextFunction, Request, Response } from 'express';

import { InstalledApps, installedAppsRouter, readPackageFile } from './apps/installed-apps';
import { controlApi } from './control-api';
import { MockInstanceControl, mockInstanceControl } from './control-client';
import { Database } from './data/database';
import { demoData } from './data/demo-data';
import {
  InstanceData,
  InstanceDataInput,
  OAuthClient,
  loadInstanceData,
  validateInstanceData,
} from './data/instance-data';
import { aggregateApi } from './http/aggregate-api';
import { angularProcessor } from './http/angular-processor';
import { AttachmentStore, attachmentApi } from './http/attachment-api';
import { batchApi } from './http/batch-api';
import {
  callerCheck,
  hostCheck,
  hostRefusal,
  isLoopbackAddress,
  refuseUpgrade,
  requestGuard,
  RequestGuard,
} from './http/dev-guard';
import { restAnswerHeaders, serverHeader } from './http/instance-headers';
import { redirecting } from './http/redirects';
import { negotiate, sendError } from './http/responses';
import type { QueryRules } from './http/rest';
import { tableApi, unknownResource } from './http/table-api';
import { checkedLimits, emptyStats, MockInstanceState } from './instance-state';
import { rolesOf } from './glide/acl';
import { RateLimitRule, rateLimiting } from './http/rate-limits';
import {
  authenticate,
  callerOf,
  CHALLENGE_POLICIES,
  ChallengePolicy,
  SSO_MODES,
  SsoMode,
} from './session/csrf';
import { pages, sessionIdOf } from './session/login-pages';
import { OAuthTokens, oauthEndpoint } from './session/oauth';
import { SessionStore } from './session/sessions';
import { IgnoredAnswer, sessionTransactions } from './session/transactions';
import { DEFAULT_BUS_MAX_SUBSCRIPTIONS, MessageBus } from './amb/message-bus';

export interface MockInstanceOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /**
   * The instance's tables, records, users, access rules and OAuth clients: the data as an object
   * (see `InstanceDataInput`; `{ extends: 'demo', ... }` adds to the demo's), or the path of a data
   * file (JSON, JavaScript, or TypeScript with tsx), as the command line's `--data` takes it,
   * relative to the current directory. Validated at start: an `InstanceDataError` names each
   * problem. Default: the demo's data (30 users, 300 incidents). `createMockInstanceApp`, which
   * cannot wait for a file, takes the object only.
   */
  data?: InstanceDataInput | InstanceData | string;
  /** Address to listen on: a loopback address unless `allowRemote`. Default `127.0.0.1`. */
  host?: string;
  /**
   * Listen on an address other than loopback (`--allow-remote`), with a warning: anyone who can
   * reach the port can then log in with the data's passwords, and with `dev` use the control API
   * (the `Host` check stops no client that sends `Host: localhost`). Default false.
   */
  allowRemote?: boolean;
  /**
   * Host names accepted besides `localhost`, `*.localhost`, `127.0.0.1` and `[::1]` (a leading
   * `.` for a domain and its subdomains); any other `Host` gets a 403 (a guard against DNS
   * rebinding). Default none.
   */
  allowedHosts?: readonly string[];
  /** Origins besides loopback ones whose pages may use the control API. Default none. */
  allowedOrigins?: readonly string[];
  /**
   * Enables the control API under `/mock/`, for tools and pages on loopback (cross-site requests
   * are refused). Default false.
   */
  dev?: boolean;
  /** Seconds after which a session's token rotates; null (default) never. */
  tokenTtl?: number | null;
  /** Seconds of inactivity after which a session ends; null (default) never. */
  sessionTimeout?: number | null;
  /** Whether a 401 on a live session carries `X-UserToken-Response`. Default true. */
  tokenResponseHeader?: boolean;
  /** The value of `X-UserToken-AllowResubmit` on a CSRF 401. Default true. */
  allowResubmit?: boolean;
  /** Which 401s carry the `WWW-Authenticate` challenge. Default `'missing-token'`. */
  challenge?: ChallengePolicy;
  /**
   * Whether a request with `X-No-Response-Challenge: true` gets its 401 without the challenge.
   * Default true (unverified on an instance: see the README).
   */
  honourNoResponseChallenge?: boolean;
  /**
   * How a REST call without a live session is answered: `'off'` (default) the 401; `'redirect'`
   * a 302 to the identity provider (served on a second port); `'html'` 200 with the login page.
   */
  sso?: SsoMode;
  /** A built single-page app served at `/`, with `window.g_ck` injected. Default none. */
  appDir?: string | null;
  /** Largest request body accepted. Default `'1mb'`. */
  bodyLimit?: string;
  /**
   * Application packages to install at start — zips `now-sdk pack` wrote, or ServiceNow SDK
   * projects' folders (the zip in their `target/`): their UI pages and UX assets are served as an
   * instance serves them. Default none.
   */
  install?: readonly string[];
  /**
   * `glide.invalid_query.returns_no_rows`: a query with an invalid condition (an unknown field or
   * operator) returns no rows instead of running without it. Default false, as on an instance.
   */
  invalidQueryReturnsNoRows?: boolean;
  /**
   * Where the mock says what a developer should know and an instance would not tell: each
   * condition it dropped from a query, naming the condition and the table. Default `console.warn`.
   */
  log?: (line: string) => void;
  /**
   * OAuth clients (`/oauth_token.do`): with none declared, any `client_id` may use the password
   * and refresh grants; with some, only they may, and a client declared with a `user` may use the
   * client credentials grant, acting as that user. Default none.
   */
  oauthClients?: readonly OAuthClient[];
  /** Users whose password login (`/angular.do`) asks for a second factor. Default none. */
  mfaUsers?: readonly string[];
  /**
   * Transactions of one session that run at once (session synchronization, KB0755706): 2, as an
   * instance since Yokohama (default); 1, as before it; 0 turns the model off.
   */
  sessionConcurrency?: number;
  /**
   * Transactions of one session that wait behind the running ones, in order (KB0655956,
   * `com.glide.request.max_waiters`). Default 10; beyond that a request is ignored.
   */
  maxWaiters?: number;
  /**
   * How an ignored request is answered: `'accepted'` (default) a 202 with no body, as reported for
   * an instance (unverified); `'hold'` no answer, the connection held until the client gives up.
   */
  ignoredRequests?: IgnoredAnswer;
  /** Service time of each transaction, in ms, so bursts take time. Default 0. */
  latency?: number;
  /** Up to this many ms more per transaction, at random. Default 0. */
  jitter?: number;
  /** Inbound REST API rate limit rules: 429 with `Retry-After` beyond the limit. Default none. */
  rateLimits?: readonly RateLimitRule[];
  /**
   * Seconds the message bus (`/amb`) holds a client's connect before it answers (a long poll's
   * length). Default 30. A session that ends is told at once, whatever this is.
   */
  busTimeout?: number;
  /**
   * Channels one message bus client may subscribe to at once; a subscribe past it is refused
   * (403, naming the cap), since every write is matched against every subscription. Default 100
   * (the mock's own cap: an instance's is unverified).
   */
  busMaxSubscriptions?: number;
  /** Time source, for tests. Default `Date.now`. */
  clock?: () => number;
}

export type { MockInstanceConfig, MockInstanceState, MockInstanceStats } from './instance-state';

export interface MockInstance extends MockInstanceState {
  /** `http://127.0.0.1:<port>`: where to reach it from this machine. */
  readonly url: string;
  readonly port: number;
  /** The address it listens on, as the socket reports it: `127.0.0.1`, `::1`, `0.0.0.0`, ... */
  readonly address: string;
  /** A client of the control API (needs `dev`): rotate tokens, end sessions, switch, count, reset. */
  readonly control: MockInstanceControl;
  close(): Promise<void>;
}

/**
 * `appDir` must be a folder: a missing one is an app not built (or a wrong path), said at start
 * rather than by a page that waits for a build. A folder without `index.html` is served as being
 * built (the demo starts the mock before its first build), unless Angular's `browser` folder inside
 * it holds the app: then the path is one level short.
 */
function checkAppDir(dir: string): void {
  const hint = existsSync(join(dir, 'browser', 'index.html'))
    ? ` Angular writes the browser build to ${join(dir, 'browser')}: give that folder.`
    : null;
  if (!existsSync(dir)) {
    throw new Error(`appDir ${dir}: no such folder. Build the app first (ng build).`);
  }
  if (hint && !existsSync(join(dir, 'index.html'))) {
    throw new Error(`appDir ${dir}: no index.html.${hint}`);
  }
}

/** Where the mock says what a developer should know, unless told otherwise. */
const defaultLog = (line: string) => console.warn(`mock instance: ${line}`);

/** Builds the Express app and its state without listening. */
export function createMockInstanceApp(options: MockInstanceOptions = {}): {
  app: Express;
  state: MockInstanceState;
} {
  const clock = options.clock ?? Date.now;
  if (options.appDir) {
    checkAppDir(options.appDir);
  }
  if (typeof options.data === 'string') {
    throw new TypeError(
      `createMockInstanceApp takes data as an object; read the file ${options.data} with ` +
        'loadInstanceData() first, or give the path to startMockInstance',
    );
  }
  const data =
    options.data === undefined
      ? demoData()
      : validateInstanceData(options.data, 'the data given to startMockInstance');
  const seconds = (s: number | null | undefined) =>
    s === null || s === undefined ? null : s * 1000;
  const bodyLimit = options.bodyLimit ?? '1mb';
  const guard = requestGuard({
    allowedHosts: options.allowedHosts,
    allowedOrigins: options.allowedOrigins,
  });
  const busTimeout = options.busTimeout ?? 30;
  if (!Number.isInteger(busTimeout) || busTimeout < 1) {
    throw new Error(`busTimeout must be a whole number of seconds, at least 1; got ${busTimeout}`);
  }
  const db = new Database(clock, data);
  const sessions = new SessionStore({
    tokenTtlMs: seconds(options.tokenTtl),
    sessionTimeoutMs: seconds(options.sessionTimeout),
    clock,
  });
  const stats = emptyStats();
  const maxSubscriptions = options.busMaxSubscriptions ?? DEFAULT_BUS_MAX_SUBSCRIPTIONS;
  if (!Number.isInteger(maxSubscriptions) || maxSubscriptions < 1) {
    throw new Error(
      `busMaxSubscriptions must be a whole number, at least 1; got ${maxSubscriptions}`,
    );
  }
  const bus = new MessageBus({ db, sessions, guard, stats, timeout: busTimeout, maxSubscriptions });
  db.onChange((def, before, after) => bus.recordChanged(def, before, after));
  const state: MockInstanceState = {
    db,
    attachments: new AttachmentStore(),
    apps: new InstalledApps(),
    sessions,
    stats,
    config: {
      tokenResponseHeader: options.tokenResponseHeader ?? true,
      allowResubmit: options.allowResubmit ?? true,
      challenge: checkedChoice(
        'challenge',
        options.challenge ?? 'missing-token',
        CHALLENGE_POLICIES,
      ),
      honourNoResponseChallenge: options.honourNoResponseChallenge ?? true,
      sso: checkedChoice('sso', options.sso ?? 'off', SSO_MODES),
      invalidQueryReturnsNoRows: options.invalidQueryReturnsNoRows ?? false,
      ...checkedLimits({
        sessionConcurrency: options.sessionConcurrency ?? 2,
        maxWaiters: options.maxWaiters ?? 10,
        ignoredRequests: options.ignoredRequests ?? 'accepted',
        latency: options.latency ?? 0,
        jitter: options.jitter ?? 0,
        rateLimits: options.rateLimits ?? [],
      }),
      dev: options.dev ?? false,
    },
    identityProviderUrl: null,
    guard,
    bus,
    redirects: new Map(),
  };
  const { config } = state;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    stats.requests++;
    next();
  });
  app.use(serverHeader);
  app.use(hostCheck(state.guard));
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
  // Redirects a test set (dev only): answered as a front door would, before anything reads the
  // request (see http/redirects.ts).
  if (config.dev) {
    app.use(redirecting(state.redirects));
  }
  // The message bus reads its own bodies (and WebSocket upgrades): before any body parser.
  app.use(bus.http);
  app.use(cookieParser());
  const log = options.log ?? defaultLog;
  // A batch's items run inside the batch's transaction (see http/batch-api.ts).
  const batchItem = { name: 'x-mock-batch-item', value: randomBytes(16).toString('hex') };
  // Each request is a transaction of its session: a few run at once, a few wait, the rest are
  // ignored (see session/transactions.ts).
  app.use(
    sessionTransactions({
      limits: config,
      stats,
      // Only which session: a request waiting in its queue, or ignored, is no activity.
      sessionOf: (req) => {
        const id = sessionIdOf(req);
        return sessions.isLive(id) ? id! : null;
      },
      log,
      clock,
      inside: (req) => req.headers[batchItem.name] === batchItem.value,
    }),
  );

  // REST: authenticate (Basic, or the session cookie plus X-UserToken), then the Table API.
  const auth = {
    db,
    sessions,
    config,
    stats,
    identityProvider: () => state.identityProviderUrl ?? 'http://idp.invalid',
    oauth: new OAuthTokens(clock),
    mfaUsers: new Set(options.mfaUsers ?? []),
  };
  app.use(angularProcessor(auth, bodyLimit));
  app.use(
    oauthEndpoint(db, auth.oauth, bodyLimit, [
      ...data.oauthClients,
      ...(options.oauthClients ?? []),
    ]),
  );
  const check = authenticate(auth);
  const limitRate = rateLimiting({
    rules: () => config.rateLimits,
    rolesOf: (userName) => rolesOf(db, userName),
    callerOf,
    clock,
    stats,
  });
  app.use('/api', (req: Request, res: Response, next: NextFunction) => {
    stats.api++;
    check(req, res, () => {
      // X-Transaction-ID, Server-Timing (its session wait), nosniff, no-cache: every REST answer.
      restAnswerHeaders(req, res);
      if (negotiate(req) === null) {
        sendError(req, res, 406, {
          message: 'Not Acceptable',
          detail: 'The Accept header must allow application/json or application/xml',
        });
        return;
      }
      // An instance serves its versioned paths (`/api/now/v1/table`, `/api/now/v2/table`, ...)
      // as the same resources (KB0534905: "latest always points to the latest version").
      req.url = req.url.replace(/^\/now\/v[12]\//, '/now/');
      limitRate(req, res, next);
    });
  });
  const rules: QueryRules = {
    clock,
    invalidQueryReturnsNoRows: () => config.invalidQueryReturnsNoRows,
    warn: log,
  };
  // The message bus's session setup: a REST call of the session (cookie and X-UserToken).
  app.all('/amb_session_setup.do', (req, res, next) =>
    check(req, res, () => bus.sessionSetup(req, res, next)),
  );
  app.use('/api', batchApi(clock, batchItem));
  app.use('/api', tableApi(db, bodyLimit, rules));
  app.use('/api', aggregateApi(db, rules));
  app.use('/api', attachmentApi(db, state.attachments, bodyLimit, rules));
  app.use('/api', unknownResource);

  if (config.dev) {
    app.use('/mock', callerCheck(state.guard), controlApi(state, bodyLimit));
  }

  for (const path of options.install ?? []) {
    state.apps.install(readPackageFile(path));
  }
  app.use(
    installedAppsRouter({
      apps: state.apps,
      db,
      sessionOf: (req) => sessions.get(sessionIdOf(req)),
    }),
  );
  app.use(
    pages(sessions, db, {
      appDir: options.appDir ?? null,
      bodyLimit,
      onTokenPage: () => stats.tokenPage++,
      identityProviderLogin: (goto) =>
        state.config.sso === 'redirect'
          ? `${state.identityProviderUrl ?? 'http://idp.invalid'}/sso/login?RelayState=${encodeURIComponent(goto)}`
          : null,
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

  return { app, state };
}

function checkedChoice<T extends string>(name: string, value: T, choices: readonly T[]): T {
  if (!choices.includes(value)) {
    throw new Error(`${name} must be one of ${choices.join(', ')}; got "${String(value)}"`);
  }
  return value;
}

/**
 * The identity provider an SSO instance sends an ended session to (`sso: 'redirect'`): a login
 * page on its own origin. It only has to exist and be another origin; no one logs in there.
 */
function identityProviderApp(guard: RequestGuard): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(hostCheck(guard));
  app.get('/sso/login', (req, res) => {
    const relay = typeof req.query['RelayState'] === 'string' ? req.query['RelayState'] : '';
    const back = relayBack(relay);
    res
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in | Identity provider</title></head>` +
          `<body><h1>Identity provider (mock)</h1><p>Your instance session has ended.</p>` +
          (back ? `<p><a href="${back}">Sign in to the instance again</a></p>` : '') +
          `</body></html>`,
      );
  });
  return app;
}

/**
 * Where the identity provider's "sign in" link leads: the instance's login, then the page the
 * user was sent away from (an API call's URL leads to the login alone). `RelayState` is the
 * instance URL the user was sent away from. How a real identity
 * provider returns (a SAML post to the instance) is not modelled.
 */
function relayBack(relay: string): string | null {
  if (!/^https?:\/\//.test(relay)) {
    return null;
  }
  const from = new URL(relay);
  const page = from.pathname.startsWith('/api/') ? '' : from.pathname + from.search;
  return new URL(page ? `/login.do?sysparm_goto=${encodeURIComponent(page)}` : '/login.do', from)
    .href;
}

async function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(s)));
    s.once('error', reject);
  });
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });

/**
 * A WebSocket upgrade: only the message bus (`/amb`) takes one, after the `Host` check (no
 * Express middleware runs for an upgrade); the bus checks the Origin.
 */
function upgrade(state: MockInstanceState, req: IncomingMessage, socket: Socket, head: Buffer) {
  state.stats.requests++;
  const refusal = hostRefusal(state.guard, req);
  if (refusal !== null) {
    refuseUpgrade(socket, refusal);
    return;
  }
  if (!state.bus.handles(req)) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  state.bus.upgrade(req, socket, head);
}

/** A host as it stands in a URL: an IPv6 address in brackets. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the mock instance and resolves once it listens. A `host` beyond loopback is refused,
 * before anything listens, unless `allowRemote`, and then comes with a warning.
 */
export async function startMockInstance(options: MockInstanceOptions = {}): Promise<MockInstance> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackAddress(host)) {
    const exposed = options.dev
      ? "log in with the data's passwords and use the control API (wipe the data, end sessions, install apps)"
      : "log in with the data's passwords";
    if (!options.allowRemote) {
      throw new Error(
        `--host ${host} is not a loopback address: anyone who can reach it could ${exposed}. ` +
          'Add --allow-remote if that is what you want.',
      );
    }
    (options.log ?? defaultLog)(
      `WARNING: listening on ${host}: anyone who can reach this port can ${exposed}; ` +
        'the Host check does not stop a client that sends Host: localhost',
    );
  }
  const { app, state } = createMockInstanceApp(
    typeof options.data === 'string'
      ? { ...options, data: await loadInstanceData(options.data) }
      : options,
  );
  // Reached from this machine through loopback when it listens on every interface.
  const shownHost = urlHost(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  let server: Server;
  try {
    server = await listen(app, options.port ?? 0, host);
  } catch (error) {
    state.bus.close();
    throw error;
  }
  server.on('upgrade', (req, socket, head) => upgrade(state, req, socket as Socket, head));
  // The identity provider always listens (on a free port), so `sso` can be switched at run time.
  const idp = await listen(identityProviderApp(state.guard), 0, host);
  state.identityProviderUrl = `http://${shownHost}:${(idp.address() as AddressInfo).port}`;
  const { port, address } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://${shownHost}:${port}`,
    port,
    address,
    control: mockInstanceControl(`http://${shownHost}:${port}`),
    close: async () => {
      state.bus.close();
      await Promise.all([closeServer(server), closeServer(idp)]);
    },
  });
}
