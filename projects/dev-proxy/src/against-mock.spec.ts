// The dev proxy against the mock instance running as the remote instance on its own port: the
// client sends no cookie and no token, as an app on localhost would.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MockInstance, recordChannel, startMockInstance } from '../../mock-instance/src/index';
import {
  connect,
  handshake,
  longPolling,
  subscribe,
  webSocket,
} from '../../mock-instance/test/bayeux';
import { client } from '../../mock-instance/test/client';
import { DevProxy, startDevProxy } from './server';
import { Credentials, LoginError } from './session';

const KB =
  '/api/now/table/incident?sysparm_query=active=true^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()&sysparm_fields=number';
const ABEL: Credentials = { mode: 'password', user: 'abel.tuter', password: 'demo' };

let instance: MockInstance;
let proxy: DevProxy | null = null;
const lines: string[] = [];

beforeEach(async () => {
  instance = await startMockInstance({ dev: true, mfaUsers: ['beth.anglin'] });
});
afterEach(async () => {
  await proxy?.close();
  proxy = null;
  await instance.close();
  lines.length = 0;
});

async function start(credentials: Credentials = ABEL): Promise<DevProxy> {
  proxy = await startDevProxy({
    instance: instance.url,
    credentials,
    port: 0,
    log: (line) => lines.push(line),
  });
  return proxy;
}

/** A request to the proxy as a page on localhost sends it: no cookie, no token. */
const viaProxy = (path: string, init: RequestInit = {}) =>
  fetch(`${proxy!.url}${path}`, { redirect: 'manual', ...init });
const kbCount = async () => {
  const response = await viaProxy(KB);
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: unknown[] }).result.length;
};

describe('the dev proxy, password mode', () => {
  it("serves the KB request with the proxy's session, without cookie or token from the client", async () => {
    await start();
    // Logging in cost one 401: the one that names the token, as for ServiceNow's CLI.
    expect(instance.stats).toMatchObject({ unauthorized: 1, challenged: 1 });
    expect(await kbCount()).toBe(33);
    expect(instance.stats).toMatchObject({ unauthorized: 1 });
  });

  it('follows a token rotation on the instance: one 401, adopted, replayed', async () => {
    await start();
    const before = proxy!.session.token;
    expect((await viaProxy('/mock/rotate-token', { method: 'POST' })).status).toBe(200);
    expect(await kbCount()).toBe(33);
    expect(proxy!.session.token).not.toBe(before);
    expect(proxy!.replays()).toBe(1);
    expect(instance.stats.unauthorized).toBe(2); // the login's, and the rotation's
    expect(lines).toContain('the instance rotated the session token: adopted the new one');
    // The token page on localhost follows it.
    const page = await viaProxy('/user_token.do');
    expect(await page.text()).toBe(proxy!.session.token);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  it('replays a write after a rotation exactly once, since the 401 proves it was not run', async () => {
    await start();
    await viaProxy('/mock/rotate-token', { method: 'POST' });
    const created = await viaProxy('/api/now/table/incident', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ short_description: 'through the dev proxy' }),
    });
    expect(created.status).toBe(201);
    const rows = instance.db
      .rows('incident')
      .filter((r) => r['short_description'] === 'through the dev proxy');
    expect(rows).toHaveLength(1);
  });

  it('logs in again, silently, when the session ends', async () => {
    await start();
    await viaProxy('/mock/end-session', { method: 'POST' });
    expect(await kbCount()).toBe(33);
    expect(proxy!.session.logins).toBe(2);
    expect(lines).toContain('the session had ended: logged in again');
  });

  it('logs in again after an SSO instance answers with its login page', async () => {
    await start();
    await viaProxy('/mock/config', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"sso":"redirect"}',
    });
    await viaProxy('/mock/end-session', { method: 'POST' });
    expect(await kbCount()).toBe(33);
    expect(proxy!.session.logins).toBe(2);
  });

  it('never loops: a request is sent at most twice', async () => {
    await start();
    // Every token the proxy gets is stale at once: the instance rotates on every request.
    await instance.close();
    instance = await startMockInstance({ dev: true, tokenTtl: 0.000001 });
    await proxy!.close();
    await start();
    const before = instance.stats.api;
    const response = await viaProxy(KB);
    expect(response.status).toBe(401);
    expect(instance.stats.api - before).toBe(2);
  });

  it('rewrites redirects so the browser stays on localhost', async () => {
    await start();
    await viaProxy('/mock/end-session', { method: 'POST' });
    const page = await viaProxy('/');
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login.do?sysparm_goto=%2F');
  });

  it.each(['websocket', 'long-polling'])(
    "carries the message bus (%s) with the proxy's session: a watcher sees a write",
    async (transport) => {
      await start();
      const page = client(proxy!.url); // no cookie of its own, as a page on localhost
      const bus = transport === 'websocket' ? await webSocket(proxy!.url, page) : longPolling(page);
      try {
        const reply = await handshake(bus, transport);
        expect(reply).toMatchObject({
          successful: true,
          ext: { 'glide.session.status': 'session.logged.in' },
        });
        const channel = recordChannel('incident', 'active=true');
        expect(await subscribe(bus, reply.clientId!, channel)).toMatchObject({ successful: true });
        const [row] = (
          (await (await viaProxy(KB.replace('number', 'sys_id'))).json()) as {
            result: { sys_id: string }[];
          }
        ).result;
        const written = await viaProxy(`/api/now/table/incident/${row.sys_id}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ short_description: `via the proxy (${transport})` }),
        });
        expect(written.status).toBe(200);
        const answer = await connect(bus, reply.clientId!, transport, 300);
        expect(answer.find((m) => m.channel === channel)).toMatchObject({
          data: { action: 'change', sys_id: row.sys_id },
        });
      } finally {
        bus.close();
      }
    },
  );
});

describe('the dev proxy, other modes', () => {
  it('uses an exported browser session and says so when it ends', async () => {
    const login = await fetch(`${instance.url}/login.do`, {
      method: 'POST',
      body: new URLSearchParams({ user_name: 'abel.tuter', user_password: 'demo' }),
      redirect: 'manual',
    });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    await start({ mode: 'cookie', cookie: `${cookie}; other=1` });
    expect(await kbCount()).toBe(33);
    await viaProxy('/mock/end-session', { method: 'POST' });
    const ended = await viaProxy(KB);
    expect(ended.status).toBe(401);
    expect(ended.headers.get('x-sessionloggedin')).toBe('false');
    expect(((await ended.json()) as { error: { detail: string } }).error.detail).toMatch(
      /export a fresh session \(SN_COOKIE\)/,
    );
  });

  it('uses an OAuth bearer token: no session token at all', async () => {
    const grant = await fetch(`${instance.url}/oauth_token.do`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'dev',
        username: 'abel.tuter',
        password: 'demo',
      }),
    });
    const { access_token: token } = (await grant.json()) as { access_token: string };
    await start({ mode: 'bearer', token });
    expect(await kbCount()).toBe(33);
    expect(proxy!.session.token).toBeNull();
    expect((await viaProxy('/user_token.do')).status).toBe(404);
  });

  it.each<[string, Credentials, LoginError['reason'], RegExp]>([
    [
      'a wrong password',
      { ...ABEL, password: 'nope' },
      'wrong-password',
      /refused the user name or password of abel.tuter/,
    ],
    [
      'an MFA user',
      { mode: 'password', user: 'beth.anglin', password: 'demo' },
      'mfa-required',
      /multi-factor/,
    ],
  ])('fails fast on %s', async (_name, credentials, reason, message) => {
    const failure = await start(credentials).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LoginError);
    expect((failure as LoginError).reason).toBe(reason);
    expect((failure as LoginError).message).toMatch(message);
  });

  it('fails fast when no instance answers, or something else answers 404', async () => {
    const nothing = await startDevProxy({
      instance: 'http://127.0.0.1:9',
      credentials: ABEL,
      port: 0,
    }).catch((e: unknown) => e);
    expect((nothing as LoginError).reason).toBe('unreachable');
    const other = await startDevProxy({
      instance: instance.identityProviderUrl!,
      credentials: ABEL,
      port: 0,
    }).catch((e: unknown) => e);
    expect((other as LoginError).reason).toBe('instance-not-found');
  });
});

describe('the command line', () => {
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          join(__dirname, '../../../node_modules/tsx/dist/cli.mjs'),
          join(__dirname, 'main.ts'),
          ...args,
        ],
        { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('listening on')) {
          child.kill('SIGTERM');
        }
      });
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => resolve({ code, out }));
    });

  it('exits non-zero with the reason on a wrong password, and never prints it', async () => {
    const { code, out } = await run(['--instance', instance.url, '--port', '0'], {
      SN_USER: 'abel.tuter',
      SN_PASSWORD: 'wrong-secret',
    });
    expect(code).toBe(1);
    expect(out).toMatch(/dev proxy: login failed: the instance refused the user name or password/);
    expect(out).not.toContain('wrong-secret');
  }, 30_000);

  it('prints its URL when ready, and nothing secret', async () => {
    const { out } = await run(['--instance', instance.url, '--port', '0'], {
      SN_USER: 'abel.tuter',
      SN_PASSWORD: 'demo',
    });
    expect(out).toMatch(
      /Dev proxy for http:\/\/127\.0\.0\.1:\d+ listening on http:\/\/127\.0\.0\.1:\d+$/m,
    );
    expect(out).not.toMatch(/\bdemo\b/);
  }, 30_000);

  it('writes the Angular CLI proxy configuration on request', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'dev-proxy-')), 'proxy.conf.json');
    const { out } = await run(
      ['--instance', instance.url, '--port', '0', '--write-proxy-config', file],
      { SN_USER: 'abel.tuter', SN_PASSWORD: 'demo' },
    );
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)$/m.exec(out)![1];
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<
      string,
      { target: string; ws?: boolean }
    >;
    expect(Object.keys(config)).toEqual([
      '/user_token.do',
      '/api',
      '/amb',
      '/scripts',
      '/uxasset',
      '/uxta',
      '^/[^?#]*\\.do(?:[?#].*)?$',
    ]);
    expect(config['/api'].target).toBe(`http://127.0.0.1:${port}`);
    expect(config['/amb'].ws).toBe(true);
    expect(new RegExp(Object.keys(config)[6]).test('/login.do?sysparm_goto=%2F')).toBe(true);
    expect(new RegExp(Object.keys(config)[6]).test('/main.js')).toBe(false);
  }, 30_000);

  it('refuses credentials in --instance without printing them', async () => {
    const { code, out } = await run(
      ['--instance', instance.url.replace('//', '//abel.tuter:hunter2@'), '--port', '0'],
      { SN_USER: 'abel.tuter', SN_PASSWORD: 'demo' },
    );
    expect(code).toBe(1);
    expect(out).toMatch(/--instance must not carry a user name or password/);
    expect(out).not.toContain('hunter2');
  }, 30_000);

  it('refuses a --host beyond loopback unless --allow-remote, and then warns', async () => {
    const refused = await run(['--instance', instance.url, '--port', '0', '--host', '0.0.0.0'], {
      SN_USER: 'abel.tuter',
      SN_PASSWORD: 'demo',
    });
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/--host 0\.0\.0\.0 is not a loopback address.*--allow-remote/);
    const allowed = await run(
      ['--instance', instance.url, '--port', '0', '--host', '0.0.0.0', '--allow-remote'],
      { SN_USER: 'abel.tuter', SN_PASSWORD: 'demo' },
    );
    expect(allowed.out).toMatch(
      /dev proxy: WARNING: listening on 0\.0\.0\.0: anyone who can reach/,
    );
    expect(allowed.out).toMatch(/UI session of abel\.tuter/);
  }, 30_000);

  it('asks for credentials when none are set and there is no terminal', async () => {
    const { code, out } = await run(['--instance', instance.url], {});
    expect(code).toBe(1);
    expect(out).toMatch(/no credentials: set SN_USER and SN_PASSWORD, SN_COOKIE or SN_OAUTH_TOKEN/);
  }, 30_000);
});
