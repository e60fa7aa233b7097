// The dev proxy as an attacker meets it: a website in the developer's browser, a DNS-rebinding
// page, a login forged from another site. Each attack is refused and nothing of it reaches the
// instance (the mock instance, running as the remote instance, counts what it receives); the
// legitimate uses still work.
import { createServer, IncomingMessage, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

import { MockInstance, startMockInstance } from '../../mock-instance/src/index';
import { raw, RawAnswer, upgrade } from '../../mock-instance/test/raw';
import { DevProxy, DevProxyOptionError, DevProxyOptions, startDevProxy } from './server';

const ABEL = { mode: 'password', user: 'abel.tuter', password: 'demo' } as const;
const TABLE = '/api/now/table/incident';

let instance: MockInstance;
let proxy: DevProxy;
const lines: string[] = [];

async function start(options: Partial<DevProxyOptions> = {}): Promise<void> {
  proxy = await startDevProxy({
    instance: instance.url,
    credentials: ABEL,
    port: 0,
    log: (line) => lines.push(line),
    ...options,
  });
}

beforeEach(async () => {
  instance = await startMockInstance({ dev: true });
  await start();
});
afterEach(async () => {
  await proxy.close();
  await instance.close();
  lines.length = 0;
});

const incidents = () => instance.db.rows('incident').length;

/**
 * Sends a request to the proxy with its path exactly as given (`raw` and `fetch` would resolve
 * `..` and `\` first); asserts that nothing reached the instance and nothing changed.
 */
async function attack(path: string, init: Parameters<typeof raw>[1] = {}) {
  const requests = instance.stats.requests;
  const rows = incidents();
  const answer = await exactly(proxy.port, path, init);
  expect(instance.stats.requests - requests).toBe(0);
  expect(incidents()).toBe(rows);
  return answer;
}

function exactly(
  port: number,
  path: string,
  init: Parameters<typeof raw>[1] = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

const EVIL_PAGE = { Origin: 'http://evil.example', 'Sec-Fetch-Site': 'cross-site' };
const FORM = { ...EVIL_PAGE, 'Content-Type': 'text/plain' };

describe('cross-site requests', () => {
  it.each<[string, string, Record<string, string>]>([
    ['a form POST creating a record', 'POST', FORM],
    ['a no-cors fetch marked cross-site only', 'POST', { 'Sec-Fetch-Site': 'cross-site' }],
    ['a foreign Origin without Fetch Metadata', 'POST', { Origin: 'http://evil.example' }],
    ['a sandboxed page (Origin: null)', 'POST', { Origin: 'null' }],
    ['a foreign preflight', 'OPTIONS', { ...EVIL_PAGE, 'Access-Control-Request-Method': 'DELETE' }],
  ])(
    '%s: 403 in the instance shape, nothing reaches the instance',
    async (_what, method, headers) => {
      const answer = await attack(TABLE, { method, headers, body: '{"short_description":"x"}' });
      expect(answer.status).toBe(403);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
      expect(JSON.parse(answer.body)).toEqual({
        error: {
          message: 'Dev proxy refused a cross-site request',
          detail: expect.stringMatching(
            /^Dev proxy: refused a cross-site request .*--allowed-origins/,
          ),
        },
        status: 'failure',
      });
    },
  );

  it.each<[string, string]>([
    ['the token page', '/user_token.do'],
    ['a read', `${TABLE}?sysparm_limit=1`],
    ['the logout page (an <img> on another site)', '/logout.do'],
  ])('%s, fetched from another site: 403', async (_what, path) => {
    const answer = await attack(path, { headers: { 'Sec-Fetch-Site': 'cross-site' } });
    expect(answer.status).toBe(403);
    expect(answer.body).not.toContain(proxy.session.token!);
  });

  it('a WebSocket upgrade of /amb from a foreign Origin: 403', async () => {
    const before = instance.stats.requests;
    const answer = await upgrade(`${proxy.url}/amb`, { Origin: 'http://evil.example' });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(/cross-site/);
    expect(instance.stats.requests).toBe(before);
    expect(proxy.refused()).toBe(1);
  });
});

describe('DNS rebinding: a Host that is not loopback', () => {
  it.each<[string, string, string]>([
    ['the token page', 'GET', '/user_token.do'],
    ['a read', 'GET', TABLE],
    ['a write', 'POST', TABLE],
    ['a delete', 'DELETE', `${TABLE}/0123456789abcdef0123456789abcdef`],
    ['the control API of the mock behind it', 'POST', '/mock/reset'],
  ])(
    '%s: 403 naming --allowed-hosts, nothing reaches the instance',
    async (_what, method, path) => {
      const answer = await attack(path, {
        method,
        headers: { Host: `attacker.example:${proxy.port}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(answer.status).toBe(403);
      expect(answer.headers['content-type']).toMatch(/^text\/plain/);
      expect(answer.body).toMatch(/"attacker\.example:\d+".*--allowed-hosts/);
    },
  );

  it('also for WebSocket upgrades', async () => {
    const before = instance.stats.requests;
    const answer = await upgrade(`${proxy.url}/amb`, { Host: 'attacker.example' });
    expect(answer.status).toBe(403);
    expect(instance.stats.requests).toBe(before);
  });

  it('a name given with allowedHosts passes', async () => {
    await proxy.close();
    await start({ allowedHosts: ['dev.test.example'] });
    const answer = await raw(`${proxy.url}/user_token.do`, {
      headers: { Host: 'dev.test.example:4300' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(proxy.session.token);
  });
});

describe('the session is the proxy’s', () => {
  const kbCount = async () =>
    ((await (await fetch(`${proxy.url}${TABLE}?sysparm_fields=number`)).json()) as { result: [] })
      .result.length;

  it("a login to another user's session is not forwarded; the proxy stays who it was", async () => {
    const mine = await kbCount();
    for (const [path, query] of [
      ['/login.do', ''],
      ['/angular.do', '?sysparm_type=view_form.login'],
    ]) {
      const answer = await attack(path + query, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'user_name=admin&user_password=demo&sysparm_type=login',
      });
      expect(answer.status).toBe(403);
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
      expect(answer.headers['set-cookie']).toBeUndefined();
      expect(answer.body).toContain('The session belongs to the dev proxy');
      expect(answer.body).toContain('as abel.tuter');
      expect(answer.body).toMatch(/start it again with other credentials/);
    }
    expect(proxy.session.user).toBe('abel.tuter');
    expect(await kbCount()).toBe(mine);
  });

  it('a logout is not forwarded: the session lives on', async () => {
    const mine = await kbCount();
    const answer = await attack('/logout.do');
    expect(answer.status).toBe(403);
    expect(await kbCount()).toBe(mine);
    expect(proxy.session.logins).toBe(1);
  });

  // What an attacker found: the instance (the mock here, like Express and Tomcat) reads
  // `/logout.do/` as `/logout.do`, so a block on exact paths let it through.
  it('the instance behind it reads GET /logout.do/ as a logout (what the proxy must not forward)', async () => {
    const cookie = proxy.session.cookieFor(`${instance.url}/logout.do/`);
    await raw(`${instance.url}/logout.do/`, { headers: { Cookie: cookie } });
    await kbCount();
    expect(proxy.session.logins).toBe(2);
  });

  it('GET /logout.do/ is not forwarded: the session lives on, no new login', async () => {
    const mine = await kbCount();
    const answer = await attack('/logout.do/');
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('The session belongs to the dev proxy');
    expect(await kbCount()).toBe(mine);
    expect(proxy.session.logins).toBe(1);
  });

  it('POST /login.do/ with another user never reaches the instance', async () => {
    const answer = await attack('/login.do/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'user_name=admin&user_password=demo',
    });
    expect(answer.status).toBe(403);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(proxy.session.user).toBe('abel.tuter');
  });

  it.each<[string, string, string]>([
    ['a path parameter', 'POST', '/login.do;jsessionid=x'],
    ['a percent-encoded letter', 'POST', '/%6Cogin.do'],
    ['repeated slashes', 'GET', '//logout.do'],
    ['a backslash', 'GET', '/x\\..\\logout.do'],
    ['a dot segment', 'GET', '/api/now/../../logout.do'],
    ['upper case and a slash', 'GET', '/LOGOUT.DO/'],
  ])('%s (%s %s): the session page, nothing forwarded', async (_form, method, path) => {
    const answer = await attack(path, { method, body: 'user_name=admin&user_password=demo' });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('The session belongs to the dev proxy');
    expect(proxy.session.logins).toBe(1);
  });

  it.each<[string, string]>([
    ['an encoded slash', '/x%2F..%2Flogout.do'],
    ['a malformed percent-escape', '/%6Xogout.do'],
    ['an encoded NUL', '/logout.do%00'],
  ])('a path with %s (%s): 400 naming it, nothing forwarded', async (what, path) => {
    const answer = await attack(path);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        message: 'Dev proxy error',
        detail: expect.stringMatching(
          new RegExp(`^Dev proxy: refused a request path with ${what}.*log its session in or out`),
        ),
      },
      status: 'failure',
    });
    expect(lines).toContain(`refused a request (path check): GET ${path}`);
  });

  it('a WebSocket upgrade of /logout.do/ is refused: nothing reaches the instance', async () => {
    const before = instance.stats.requests;
    const answer = await upgrade(`${proxy.url}/logout.do/`);
    expect(answer.status).toBe(403);
    expect(instance.stats.requests).toBe(before);
    expect(proxy.session.logins).toBe(1);
  });

  it('knows its user, and says when it changes', async () => {
    expect(proxy.session.user).toBe('abel.tuter');
    const mine = await kbCount();
    await fetch(`${proxy.url}/mock/end-session`, { method: 'POST' });
    expect(await kbCount()).toBe(mine);
    expect(proxy.session.logins).toBe(2);
    // Logged in again as the same user: nothing to say.
    expect(lines.filter((l) => l.includes('user behind the session'))).toEqual([]);
  });
});

describe('bodies', () => {
  it('a declared Content-Length over the limit: 413 before anything is read or forwarded', async () => {
    const requests = instance.stats.requests;
    const answer = await new Promise<IncomingMessage>((resolve, reject) => {
      // Headers only: the proxy must answer without waiting for the 60 MB.
      const req = request(`${proxy.url}${TABLE}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(60 * 1024 * 1024) },
      });
      req.on('response', resolve);
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer.statusCode).toBe(413);
    expect(answer.headers['connection']).toBe('close');
    answer.resume();
    expect(instance.stats.requests).toBe(requests);
  });

  it('with Expect: 100-continue, a body over the limit or a refused caller is answered before it is sent', async () => {
    const ask = (headers: Record<string, string>) =>
      new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = request(`${proxy.url}${TABLE}`, {
          method: 'POST',
          headers: { Expect: '100-continue', 'Content-Type': 'application/json', ...headers },
        });
        req.on('continue', () => {
          continued = true;
          req.end('{}');
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode!, continued });
          req.destroy();
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    expect(await ask({ 'Content-Length': String(60 * 1024 * 1024) })).toEqual({
      status: 413,
      continued: false,
    });
    expect(await ask({ 'Content-Length': '2', Origin: 'http://evil.example' })).toEqual({
      status: 403,
      continued: false,
    });
    expect(await ask({ 'Content-Length': '2' })).toEqual({ status: 201, continued: true });
  });

  it('a chunked body over the limit: a clean 413, not a reset', async () => {
    await proxy.close();
    await start({ bodyLimit: 1024 * 1024 });
    const body = Readable.from(
      (function* () {
        for (let i = 0; i < 24; i++) {
          yield Buffer.alloc(64 * 1024, 120);
        }
      })(),
    );
    const response = await fetch(`${proxy.url}${TABLE}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'Request body too large',
    );
    // And it keeps serving.
    expect((await fetch(`${proxy.url}/user_token.do`)).status).toBe(200);
  });

  it('bodies held at once share a budget: past it, 503 with Retry-After; the first still lands', async () => {
    await proxy.close();
    await start({ bodyLimit: 1024 * 1024, maxBuffer: 1024 * 1024 });
    const rows = incidents();
    // A slow upload holds 700 kB...
    let finish!: () => void;
    const slow = new Readable({ read() {} });
    slow.push(`{"short_description":"slow","description":"${'x'.repeat(700 * 1024)}`);
    const first = fetch(`${proxy.url}${TABLE}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Readable.toWeb(slow) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const finished = new Promise<void>((resolve) => (finish = resolve));
    void finished.then(() => {
      slow.push('"}');
      slow.push(null);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // ...so another 700 kB does not fit.
    const second = await fetch(`${proxy.url}${TABLE}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ short_description: 'second', description: 'y'.repeat(700 * 1024) }),
    });
    expect(second.status).toBe(503);
    expect(second.headers.get('retry-after')).toBe('1');
    finish();
    expect((await first).status).toBe(201);
    expect(incidents()).toBe(rows + 1);
  });
});

describe('options that would open the session', () => {
  it('refuses credentials in the instance URL without repeating them', async () => {
    const failure = await startDevProxy({
      instance: 'http://abel.tuter:s3cret-pw@127.0.0.1:9',
      credentials: ABEL,
      port: 0,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DevProxyOptionError);
    expect((failure as Error).message).toMatch(/must not carry a user name or password/);
    expect((failure as Error).message).not.toContain('s3cret-pw');
    expect((failure as Error).message).not.toContain('abel.tuter');
  });

  it('refuses to listen beyond loopback unless told to, and then warns', async () => {
    const refused = await startDevProxy({
      instance: instance.url,
      credentials: ABEL,
      port: 0,
      host: '0.0.0.0',
    }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DevProxyOptionError);
    expect((refused as Error).message).toMatch(/not a loopback address.*--allow-remote/);

    const remote = await startDevProxy({
      instance: instance.url,
      credentials: ABEL,
      port: 0,
      host: '0.0.0.0',
      allowRemote: true,
      log: (line) => lines.push(line),
    });
    await remote.close();
    expect(lines.some((l) => /^WARNING: .*anyone who can reach this port acts on/.test(l))).toBe(
      true,
    );
  });
});

describe('legitimate use', () => {
  it("the ng serve page's POST, with its loopback Origin and Host, creates exactly one record", async () => {
    const rows = incidents();
    const answer = await raw(proxy.url + TABLE, {
      method: 'POST',
      headers: {
        Host: 'localhost:4200',
        Origin: 'http://localhost:4200',
        'Sec-Fetch-Site': 'same-origin',
        'Content-Type': 'application/json',
        'X-UserToken': 'token_intentionally_left_blank',
      },
      body: '{"short_description":"from ng serve"}',
    });
    expect(answer.status).toBe(201);
    expect(incidents()).toBe(rows + 1);
    // The instance saw its own origin, not the page's.
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('an origin given with allowedOrigins may use the session', async () => {
    await proxy.close();
    await start({ allowedOrigins: ['https://portal.test.example'] });
    const answer = await raw(`${proxy.url}${TABLE}?sysparm_limit=1`, {
      headers: { Origin: 'https://portal.test.example', 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(answer.status).toBe(200);
  });
});

/**
 * An instance that sets cookies, CORS headers and odd redirects on its answers, which the mock
 * instance does not: enough of the login the proxy makes, then whatever a test asks.
 */
describe('what the instance answers a browser request', () => {
  let fake: Server;
  const seen: (string | undefined)[] = [];
  let userName = 'abel.tuter';

  beforeEach(async () => {
    await proxy.close();
    fake = createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (
        url.pathname === '/angular.do' &&
        url.searchParams.get('sysparm_type') === 'view_form.login'
      ) {
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Set-Cookie': 'JSESSIONID=PROXY; Path=/',
        });
        res.end('{"status":"success"}');
      } else if (url.pathname === '/angular.do') {
        res.writeHead(401, { 'X-UserToken-Response': 'tok', 'X-SessionLoggedIn': 'true' }).end();
      } else if (url.pathname === '/api/now/table/sys_user') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ result: [{ user_name: userName }] }));
      } else if (url.pathname === '/api/ended') {
        res.writeHead(401, { 'X-SessionLoggedIn': 'false' }).end();
      } else if (url.pathname === '/redirect') {
        res.writeHead(302, { Location: `http://${req.headers.host}//evil.example/x` }).end();
      } else {
        seen.push(req.headers.cookie);
        res.writeHead(200, {
          'Content-Type': 'application/json',
          'Set-Cookie': ['JSESSIONID=ATTACKER; Path=/', 'glide_user_route=glide.x; Path=/'],
          'Access-Control-Allow-Origin': 'http://evil.example',
          'Access-Control-Allow-Credentials': 'true',
        });
        res.end('{"result":[]}');
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    await start({ instance: `http://127.0.0.1:${(fake.address() as AddressInfo).port}` });
    seen.length = 0;
  });
  afterEach(() => new Promise<void>((resolve) => fake.close(() => resolve())));

  it("never lets its Set-Cookie change the proxy's session, nor reach the browser", async () => {
    const first = await raw(`${proxy.url}${TABLE}`);
    expect(first.headers['set-cookie']).toBeUndefined();
    await raw(`${proxy.url}${TABLE}`);
    expect(seen).toEqual(['JSESSIONID=PROXY', 'JSESSIONID=PROXY']);
  });

  it('strips its CORS headers', async () => {
    const answer = await raw(`${proxy.url}${TABLE}`, {
      headers: { Origin: 'http://localhost:4200' },
    });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('logs a line when the user behind the session changes', async () => {
    userName = 'beth.anglin';
    await raw(`${proxy.url}/api/ended`);
    expect(proxy.session.logins).toBe(2);
    expect(lines).toContain('the user behind the session changed: abel.tuter → beth.anglin');
  });

  it('rewrites a redirect on the instance to a path that stays on localhost', async () => {
    const answer = await raw(`${proxy.url}/redirect`);
    expect(answer.status).toBe(302);
    expect(answer.headers['location']).toBe('/evil.example/x');
  });
});
