/**
 * The dev proxy: forwards every request to the instance with the proxy's own session (cookies from
 * its jar, its `X-UserToken`), follows token rotation and session end, and serves the current
 * token at a localhost token page for the library's refresh path. Built on `http-proxy-3` (the
 * proxy under Angular's Vite dev server) for HTTP and WebSockets.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';

import { createProxyServer } from 'http-proxy-3';

import { browserHeaders, forwardedHeaders, mayReplay, refusalOf } from './rules';
import { Credentials, InstanceSession, LoginError } from './session';

export interface DevProxyOptions {
  /** The instance, `https://dev12345.service-now.com`. */
  readonly instance: string;
  readonly credentials: Credentials;
  /** Port to listen on; 0 picks a free one. Default 4300. */
  readonly port?: number;
  /** Address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Where the token page is served on localhost (the app's `withTokenPage` URL). Default `/user_token.do`. */
  readonly tokenPath?: string;
  /** Largest request body buffered for a replay. Default 50 MB. */
  readonly bodyLimit?: number;
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
  close(): Promise<void>;
}

/** What one browser request carries through its attempts. */
interface Exchange {
  readonly body: Buffer;
  attempt: number;
  sentToken: string | null;
}

/**
 * Logs in (or checks the exported session), then listens. Rejects with a `LoginError` when it
 * cannot get a session.
 */
export async function startDevProxy(options: DevProxyOptions): Promise<DevProxy> {
  const instance = new URL(options.instance);
  if (instance.protocol !== 'https:' && instance.protocol !== 'http:') {
    throw new LoginError('failed', `--instance must be an http(s) URL; got ${options.instance}`);
  }
  const log = options.log ?? (() => undefined);
  const tokenPath = options.tokenPath ?? '/user_token.do';
  const bodyLimit = options.bodyLimit ?? 50 * 1024 * 1024;
  const session = new InstanceSession(instance, options.credentials, options.fetch);
  await session.start();

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
  proxy.on('proxyReqWs', (proxyReq, req) => applyHeaders(proxyReq, req));

  const forward = (req: IncomingMessage, res: ServerResponse, exchange: Exchange) => {
    exchange.sentToken = session.token;
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

  async function answer(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) {
    const exchange = exchanges.get(req)!;
    const url = new URL(req.url ?? '/', instance);
    session.storeCookies(proxyRes.headers['set-cookie'] ?? [], url.href);
    const status = proxyRes.statusCode ?? 502;
    const refusal = refusalOf(status, proxyRes.headers, url.pathname, exchange.sentToken);
    if (refusal === null || exchange.attempt > 0) {
      res.writeHead(status, proxyRes.statusMessage, browserHeaders(proxyRes.headers, instance));
      proxyRes.pipe(res);
      return;
    }
    const body = await readAll(proxyRes, bodyLimit);
    const method = req.method ?? 'GET';
    if (!mayReplay(method, status, proxyRes.headers, body.toString('utf8'))) {
      res.writeHead(status, proxyRes.statusMessage, browserHeaders(proxyRes.headers, instance));
      res.end(body);
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
      }
    } catch (error) {
      const message = error instanceof LoginError ? error.message : String(error);
      log(`cannot recover the session: ${message}`);
      // The library in the page reads this as an ended session: no refresh, `session-expired`.
      fail(res, 401, `Dev proxy: ${message}`, { 'X-SessionLoggedIn': 'false' });
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

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === tokenPath && (req.method === 'GET' || req.method === 'HEAD')) {
      tokenPage(res, session);
      return;
    }
    readAll(req, bodyLimit).then(
      (body) => forward(req, res, { body, attempt: 0, sentToken: null }),
      () => fail(res, 413, 'Dev proxy: request body too large'),
    );
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    proxy.ws(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4300, options.host ?? '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    port,
    session,
    replays: () => replays,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The current session token as plain text: what the library's `withTokenPage` reads. */
function tokenPage(res: ServerResponse, session: InstanceSession): void {
  const headers = { 'Content-Type': 'text/plain;charset=UTF-8', 'Cache-Control': 'no-store' };
  if (session.token === null || session.token === '') {
    res.writeHead(404, headers).end('The dev proxy has no session token (bearer mode needs none).');
    return;
  }
  res.writeHead(200, headers).end(session.token);
}

/** An error in the instance's shape, from the proxy itself. */
function fail(
  res: ServerResponse,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({
    error: { message: status === 401 ? 'User Not Authenticated' : 'Dev proxy error', detail },
    status: 'failure',
  });
  res
    .writeHead(status, {
      'Content-Type': 'application/json;charset=UTF-8',
      'Cache-Control': 'no-store',
      ...headers,
    })
    .end(body);
}

/** A whole stream, refused past `limit` bytes. */
function readAll(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.destroy();
        reject(new Error('too large'));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}
