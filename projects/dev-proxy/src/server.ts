/**
 * The dev proxy: forwards every request to the instance with the proxy's own session (cookies from
 * its jar, its `X-UserToken`), follows token rotation and session end, and serves the current
 * token at a localhost token page for the library's refresh path. Built on `http-proxy-3` (the
 * proxy under Angular's Vite dev server) for HTTP and WebSockets.
 *
 * What a request meets, in order: the `Host` check and the cross-site check (`dev-guard`), on every
 * path, WebSocket upgrades included; then the path check (a path the proxy cannot read as the
 * instance would is refused) and the session's own pages (login and logout are not the browser's
 * to do), upgrades included; the token page; the body limits (`body.ts`); and only then the
 * instance. With `record`, each request that reached the instance is written down with the
 * instance's answer, scrubbed (`recorder.ts`).
 */
import { readdir } from 'node:fs/promises';
import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';

import { createProxyServer } from 'http-proxy-3';

import { BodyBudget } from './body';
import type { CapturedBody } from './recording';
import { captureBody, Recorder } from './recorder';
import {
  GuardRefusal,
  isLoopbackAddress,
  refuseUpgrade,
  requestGuard,
} from '../../dev-guard/src/index';
import {
  browserHeaders,
  changesSession,
  forwardedHeaders,
  mayReplay,
  refusalOf,
  requestPath,
} from './rules';
import { Credentials, InstanceSession, LoginError } from './session';

export interface DevProxyOptions {
  /** The instance, `https://dev12345.service-now.com`. */
  readonly instance: string;
  readonly credentials: Credentials;
  /** Port to listen on; 0 picks a free one. Default 4300. */
  readonly port?: number;
  /** Address to listen on: a loopback address unless `allowRemote`. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Listen on an address other than loopback. Anyone who can reach the port then acts on the
   * instance as the session's user: the proxy has no authentication of its own. Default false.
   */
  readonly allowRemote?: boolean;
  /** Host names accepted besides loopback ones (`.example.com` for a domain and its subdomains). */
  readonly allowedHosts?: readonly string[];
  /** Origins accepted besides loopback ones, as `http(s)://host[:port]`. */
  readonly allowedOrigins?: readonly string[];
  /** Where the token page is served on localhost (the app's `withTokenPage` URL). Default `/user_token.do`. */
  readonly tokenPath?: string;
  /** Largest request body, in bytes, buffered for a replay. Default 50 MB. */
  readonly bodyLimit?: number;
  /** Most bytes of bodies held at once across all requests. Default 256 MB. */
  readonly maxBuffer?: number;
  /**
   * A folder (created if need be) where each request forwarded to the instance is written with the
   * instance's answer, one JSON file each, scrubbed of cookies, tokens, passwords and the
   * instance's host name: what the mock instance's `compare` replays. WebSocket traffic, the token
   * page and what the proxy answers itself are not recorded. Default: no recording.
   */
  readonly record?: string;
  /** Where the proxy says what it does (never a token or password). Default: nowhere. */
  readonly log?: (line: string) => void;
  /** For tests: how the session talks to the instance. */
  readonly fetch?: typeof fetch;
}

export interface DevProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly session: InstanceSession;
  /** Requests sent to the instance a second time (after a rotation or a new login). */
  readonly replays: () => number;
  /** Requests and upgrades refused by the Host or the cross-site check. */
  readonly refused: () => number;
  /**
   * With `record`: resolves once every exchange answered so far is written (or its write failed).
   * `close()` waits for them too.
   */
  readonly flushRecording: () => Promise<void>;
  close(): Promise<void>;
}

/** What one browser request carries through its attempts. */
interface Exchange {
  readonly body: Buffer;
  attempt: number;
  sentToken: string | null;
  /** Its place in the recording (0 when the proxy records nothing). */
  seq: number;
}

/** Thrown before anything starts for an option that cannot be used; its message names it. */
export class DevProxyOptionError extends Error {}

/**
 * The instance's URL, checked: http(s), no user name or password in it (they would land in the
 * shell's history and the process list; an error never repeats them).
 */
function instanceUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DevProxyOptionError(
      '--instance must be a URL such as https://dev12345.service-now.com',
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new DevProxyOptionError(
      '--instance must not carry a user name or password: give them in SN_USER and SN_PASSWORD',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DevProxyOptionError(`--instance must be an http(s) URL; got a ${url.protocol} URL`);
  }
  return url;
}

/**
 * Logs in (or checks the exported session), then listens. Rejects with a
 * {@link DevProxyOptionError} for an option it cannot use, and with a `LoginError` when it cannot
 * get a session.
 */
export async function startDevProxy(options: DevProxyOptions): Promise<DevProxy> {
  const instance = instanceUrl(options.instance);
  const log = options.log ?? (() => undefined);
  const listenHost = options.host ?? '127.0.0.1';
  if (!isLoopbackAddress(listenHost)) {
    if (!options.allowRemote) {
      throw new DevProxyOptionError(
        `--host ${listenHost} is not a loopback address: anyone who can reach it would act on ` +
          'the instance as the logged-in user. Add --allow-remote if that is what you want.',
      );
    }
    log(
      `WARNING: listening on ${listenHost}: anyone who can reach this port acts on ` +
        `${instance.origin} as the session's user; the proxy has no authentication of its own`,
    );
  }
  let guard: ReturnType<typeof requestGuard>;
  try {
    guard = requestGuard({
      allowedHosts: options.allowedHosts,
      allowedOrigins: options.allowedOrigins,
    });
  } catch (error) {
    throw new DevProxyOptionError(`--allowed-hosts/--allowed-origins: ${(error as Error).message}`);
  }
  const tokenPath = options.tokenPath ?? '/user_token.do';
  const bodies = new BodyBudget(
    options.bodyLimit ?? 50 * 1024 * 1024,
    options.maxBuffer ?? 256 * 1024 * 1024,
  );
  const session = new InstanceSession(instance, options.credentials, options.fetch);
  // A recording is one session's, numbered from 1: files left by another would mix with it.
  const recorded =
    options.record === undefined
      ? 0
      : await readdir(options.record).then(
          (names) => names.filter((name) => name.endsWith('.json')).length,
          () => 0,
        );
  if (recorded > 0) {
    throw new DevProxyOptionError(
      `--record ${options.record} already holds a recording (${recorded} ` +
        `file${recorded === 1 ? '' : 's'}): give a new ` +
        'folder, or empty that one',
    );
  }
  const recorder =
    options.record === undefined
      ? null
      : await Recorder.open(
          options.record,
          instance,
          {
            user: () => session.user,
            secrets: () => secretsOf(session, options.credentials),
            authorizes: session.mode === 'bearer',
          },
          log,
        ).catch((error: unknown) => {
          const reason = (error as { code?: string }).code ?? String(error);
          throw new DevProxyOptionError(
            `--record ${options.record}: cannot create the folder (${reason})`,
          );
        });
  await session.start();
  let user = session.user;

  const exchanges = new WeakMap<IncomingMessage, Exchange>();
  let replays = 0;
  const proxy = createProxyServer({ target: instance.origin, changeOrigin: true, secure: true });

  const credentialsFor = (req: IncomingMessage) => ({
    instance,
    cookie: session.cookieFor(new URL(req.url ?? '/', instance).href),
    token: session.mode === 'bearer' ? null : session.token,
    authorization: session.authorization,
  });
  const applyHeaders = (
    proxyReq: { setHeader(n: string, v: string): void; removeHeader(n: string): void },
    req: IncomingMessage,
  ) => {
    for (const [name, value] of Object.entries(
      forwardedHeaders(req.headers, credentialsFor(req)),
    )) {
      if (value === null) {
        proxyReq.removeHeader(name);
      } else {
        proxyReq.setHeader(name, value);
      }
    }
  };
  proxy.on('proxyReq', (proxyReq, req) => applyHeaders(proxyReq, req));
  proxy.on('proxyReqWs', (proxyReq, req) => {
    applyHeaders(proxyReq, req);
    // Registered before http-proxy-3's own listener, so it runs first: the 101 reaches the browser
    // without the instance's cookies, as every other answer does.
    proxyReq.once('upgrade', (proxyRes: IncomingMessage) => {
      delete proxyRes.headers['set-cookie'];
    });
  });

  const forward = (req: IncomingMessage, res: ServerResponse, exchange: Exchange) => {
    // The body is already here. Passed on, `Expect: 100-continue` would make Node's client send
    // the request's headers at once, before the session's could be set on it.
    delete req.headers['expect'];
    exchange.sentToken = session.token;
    if (recorder !== null && exchange.seq === 0) {
      exchange.seq = recorder.next();
    }
    exchanges.set(req, exchange);
    proxy.web(req, res, {
      selfHandleResponse: true,
      buffer: Readable.from(exchange.body.length > 0 ? [exchange.body] : []),
    });
  };

  proxy.on('proxyRes', (proxyRes, req, res) => {
    void answer(proxyRes, req, res as ServerResponse).catch((error: unknown) =>
      fail(res as ServerResponse, 502, `the dev proxy failed: ${String(error)}`),
    );
  });

  /**
   * Hands an answer of the instance to the recorder (the last one a request got), with the request
   * as it was sent. Whatever goes wrong there stays there: the browser gets its answer regardless.
   */
  const record = (req: IncomingMessage, exchange: Exchange, proxyRes: IncomingMessage) => {
    if (recorder === null) {
      return null;
    }
    return (body: CapturedBody) => {
      try {
        const sent: IncomingHttpHeaders = { ...req.headers };
        for (const [name, value] of Object.entries(
          forwardedHeaders(req.headers, credentialsFor(req)),
        )) {
          if (value === null) {
            delete sent[name];
          } else {
            sent[name] = value;
          }
        }
        recorder.record({
          seq: exchange.seq,
          attempts: exchange.attempt + 1,
          method: req.method ?? 'GET',
          target: req.url ?? '/',
          requestHeaders: sent,
          requestBody: exchange.body,
          status: proxyRes.statusCode ?? 502,
          responseHeaders: proxyRes.headers,
          responseBody: body,
        });
      } catch (error) {
        log(`WARNING: could not record an exchange (${String(error)})`);
      }
    };
  };
  const heldBody = (proxyRes: IncomingMessage, body: Buffer): CapturedBody => ({
    head: body,
    bytes: body.length,
    contentType: single(proxyRes.headers['content-type']),
    contentEncoding: single(proxyRes.headers['content-encoding']),
  });

  async function answer(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) {
    const exchange = exchanges.get(req)!;
    const recordAnswer = record(req, exchange, proxyRes);
    const url = new URL(req.url ?? '/', instance);
    const status = proxyRes.statusCode ?? 502;
    const refusal = refusalOf(status, proxyRes.headers, url.pathname, exchange.sentToken);
    if (refusal === null || exchange.attempt > 0) {
      res.writeHead(status, proxyRes.statusMessage, browserHeaders(proxyRes.headers, instance));
      proxyRes.pipe(res);
      if (recordAnswer) {
        captureBody(proxyRes, proxyRes.headers, recordAnswer);
      }
      return;
    }
    const read = await bodies.read(proxyRes);
    if (read.kind !== 'body') {
      proxyRes.destroy();
      fail(res, 502, `Dev proxy: the instance's answer was too large to hold (${read.kind})`);
      return;
    }
    const body = read.body;
    read.release();
    const method = req.method ?? 'GET';
    if (!mayReplay(method, status, proxyRes.headers, body.toString('utf8'))) {
      res.writeHead(status, proxyRes.statusMessage, browserHeaders(proxyRes.headers, instance));
      res.end(body);
      recordAnswer?.(heldBody(proxyRes, body));
      return;
    }
    try {
      if (refusal.kind === 'new-token') {
        session.adopt(refusal.token);
        log('the instance rotated the session token: adopted the new one');
      } else if (refusal.kind === 'token-unknown') {
        await session.findToken();
        log('the session token was stale: asked the instance for the current one');
      } else {
        await session.renew();
        log('the session had ended: logged in again');
        if (session.user !== user) {
          log(
            `the user behind the session changed: ${user ?? 'unknown'} → ${session.user ?? 'unknown'}`,
          );
          user = session.user;
        }
      }
    } catch (error) {
      const message = error instanceof LoginError ? error.message : String(error);
      log(`cannot recover the session: ${message}`);
      // The library in the page reads this as an ended session: no refresh, `session-expired`.
      fail(res, 401, `Dev proxy: ${message}`, { 'X-SessionLoggedIn': 'false' });
      recordAnswer?.(heldBody(proxyRes, body));
      return;
    }
    replays++;
    exchange.attempt++;
    forward(req, res, exchange);
  }

  proxy.on('error', (error, _req, target) => {
    if (target instanceof ServerResponse) {
      fail(target, 502, `Dev proxy: cannot reach ${instance.origin} (${error.message})`);
    } else {
      (target as Socket).destroy();
    }
  });

  let refusals = 0;
  /** The Host and cross-site checks, first for every request and upgrade. */
  const refusalOfCaller = (req: IncomingMessage): GuardRefusal | null => {
    const refusal = guard.host(req.headers.host) ?? guard.caller(req.headers);
    if (refusal) {
      refusals++;
      log(`refused a request (${refusal.check} check): ${req.method ?? 'GET'} ${pathOf(req)}`);
    }
    return refusal;
  };

  /**
   * Where a request that passed the caller checks may go: on, to the session page (it would log
   * the session in or out), or refused with a reason (a path the proxy cannot read unambiguously).
   */
  const destinationOf = (req: IncomingMessage): 'on' | 'session-page' | { refused: string } => {
    if (!(req.url ?? '').startsWith('/')) {
      return { refused: 'Dev proxy: a request target must be a path (origin-form)' };
    }
    const path = requestPath(req.url!);
    if (path.kind === 'ambiguous') {
      log(`refused a request (path check): ${req.method ?? 'GET'} ${pathOf(req)}`);
      return {
        refused:
          `Dev proxy: refused a request path with ${path.reason}: servers read such a path ` +
          'differently, so the proxy cannot tell whether it would log its session in or out',
      };
    }
    const query = new URL(req.url!, instance).searchParams;
    return changesSession(req.method ?? 'GET', path.path, query) ? 'session-page' : 'on';
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const refusal = refusalOfCaller(req);
    if (refusal) {
      refuse(res, refusal);
      return;
    }
    const destination = destinationOf(req);
    if (typeof destination === 'object') {
      fail(res, 400, destination.refused);
      return;
    }
    if (destination === 'session-page') {
      sessionPage(res, instance, session);
      return;
    }
    const url = new URL(req.url!, instance);
    const method = req.method ?? 'GET';
    if (url.pathname === tokenPath && (method === 'GET' || method === 'HEAD')) {
      tokenPage(res, session);
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > bodies.limit) {
      tooLarge(res, bodies.limit, false);
      return;
    }
    bodies.read(req).then(
      (read) => {
        if (read.kind === 'body') {
          res.once('close', read.release);
          forward(req, res, { body: read.body, attempt: 0, sentToken: null, seq: 0 });
        } else if (read.kind === 'too-large') {
          tooLarge(res, bodies.limit, read.drained);
        } else {
          busy(res, read.drained);
        }
      },
      () => res.destroy(),
    );
  };
  const server: Server = createServer(handle);
  // `Expect: 100-continue`: a refused request, or a body over the limit, is answered before the
  // client sends the body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const welcome =
      guard.host(req.headers.host) === null &&
      guard.caller(req.headers) === null &&
      Number(req.headers['content-length'] ?? 0) <= bodies.limit;
    if (welcome) {
      res.writeContinue();
    }
    handle(req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const refusal = refusalOfCaller(req);
    if (refusal) {
      refuseUpgrade(socket, `Dev proxy: ${refusal.message}`);
      return;
    }
    // An instance may run a GET to /logout.do that asks for an upgrade as a plain GET.
    const destination = destinationOf(req);
    if (destination !== 'on') {
      refuseUpgrade(
        socket,
        destination === 'session-page'
          ? 'Dev proxy: the session belongs to the dev proxy: logging in or out is not passed on'
          : destination.refused,
      );
      return;
    }
    proxy.ws(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4300, listenHost, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    session,
    replays: () => replays,
    refused: () => refusals,
    flushRecording: () => recorder?.flush() ?? Promise.resolve(),
    close: async () => {
      await new Promise<void>((resolve) => {
        proxy.close();
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await recorder?.flush();
    },
  };
}

/** One header's value as a single string. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The values of the session a recording must never hold, wherever they appear: its token, the
 * values of its cookies, and the credentials it was started with.
 */
function secretsOf(session: InstanceSession, credentials: Credentials): string[] {
  const cookieValues = (header: string) =>
    header
      .split(';')
      .map((pair) => pair.slice(pair.indexOf('=') + 1).trim())
      .filter((value) => value !== '');
  const secrets = [...cookieValues(session.cookieFor(session.instance.href))];
  if (session.token) {
    secrets.push(session.token);
  }
  if (credentials.mode === 'password') {
    secrets.push(credentials.password);
  } else if (credentials.mode === 'cookie') {
    secrets.push(...cookieValues(credentials.cookie));
  } else {
    secrets.push(credentials.token);
  }
  return secrets;
}

/** The path of a request, for a log line (never its query: it may carry anything). */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/')
    .split('?')[0]
    .slice(0, 200)
    .replace(/[^\x20-\x7e]/g, '?');
}

/** Headers on every answer the proxy makes itself. */
const OWN_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  // Not to be embedded by, or read into, a page of another origin.
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
} as const;

/** The current session token as plain text: what the library's `withTokenPage` reads. */
function tokenPage(res: ServerResponse, session: InstanceSession): void {
  const headers = { ...OWN_HEADERS, 'Content-Type': 'text/plain;charset=UTF-8' };
  if (session.token === null || session.token === '') {
    res.writeHead(404, headers).end('The dev proxy has no session token (bearer mode needs none).');
    return;
  }
  res.writeHead(200, headers).end(session.token);
}

/**
 * What the browser gets for a login or logout path: the session is the proxy's, so a browser
 * (or a website it visits) can neither switch it to another user nor end it.
 */
function sessionPage(res: ServerResponse, instance: URL, session: InstanceSession): void {
  const who = session.user === null ? 'its own user' : escapeHtml(session.user);
  res
    .writeHead(403, {
      ...OWN_HEADERS,
      'Content-Type': 'text/html;charset=UTF-8',
      'Content-Security-Policy': "default-src 'none'",
    })
    .end(
      '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
        '<title>The session belongs to the dev proxy</title></head><body>' +
        '<h1>The session belongs to the dev proxy</h1>' +
        `<p>This dev proxy holds its own session on ${escapeHtml(instance.origin)}, as ${who}, ` +
        'and sends it with every request: logging in or out from the browser is not passed on.</p>' +
        '<p>To work as another user, stop the proxy and start it again with other credentials ' +
        '(<code>SN_USER</code> and <code>SN_PASSWORD</code>, <code>SN_COOKIE</code> or ' +
        '<code>SN_OAUTH_TOKEN</code>).</p></body></html>',
    );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The refusal of the Host or cross-site check. */
function refuse(res: ServerResponse, refusal: GuardRefusal): void {
  if (refusal.check === 'host') {
    res
      .writeHead(403, { ...OWN_HEADERS, 'Content-Type': 'text/plain;charset=UTF-8' })
      .end(`Dev proxy: ${refusal.message}`);
    return;
  }
  fail(res, 403, `Dev proxy: ${refusal.message}`, {}, 'Dev proxy refused a cross-site request');
}

/** 413; when the body was not read to its end, the connection closes after the answer. */
function tooLarge(res: ServerResponse, limit: number, drained: boolean): void {
  fail(
    res,
    413,
    `Dev proxy: request body larger than ${limit} bytes`,
    drained ? {} : { Connection: 'close' },
    'Request body too large',
  );
}

/** 503 when the bodies held at once would pass `maxBuffer`. */
function busy(res: ServerResponse, drained: boolean): void {
  fail(res, 503, 'Dev proxy: too many request bodies held at once (--max-buffer); try again', {
    'Retry-After': '1',
    ...(drained ? {} : { Connection: 'close' }),
  });
}

/** An error in the instance's shape, from the proxy itself. */
function fail(
  res: ServerResponse,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
  message = status === 401 ? 'User Not Authenticated' : 'Dev proxy error',
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message, detail }, status: 'failure' });
  res
    .writeHead(status, {
      ...OWN_HEADERS,
      'Content-Type': 'application/json;charset=UTF-8',
      ...headers,
    })
    .end(body);
}
