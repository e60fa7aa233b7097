// Session synchronization and rate limits, over real HTTP: one session's transactions run two at a
// time, ten wait, the rest are ignored; rate limit rules answer 429.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { request } from 'node:http';

import { client, Client } from '../../test/client';
import { demoData } from '../data/demo-data';
import { seededSysId } from '../data/seed';
import { MockInstance, MockInstanceOptions, startMockInstance } from '../server';

const URL = '/api/now/table/incident?sysparm_limit=1';
const BASIC = `Basic ${Buffer.from('abel.tuter:demo').toString('base64')}`;

let instance: MockInstance;
let browser: Client;
let token: string;
let logged: string[];

async function start(options: MockInstanceOptions = {}): Promise<void> {
  logged = [];
  instance = await startMockInstance({ dev: true, log: (line) => logged.push(line), ...options });
  browser = client(instance.url);
  token = await browser.logIn();
  await instance.control.resetStats();
}
afterEach(async () => {
  await instance?.close();
  instance = undefined as unknown as MockInstance;
});

/** `n` GETs at once on the browser's session; each resolves to its status and body. */
function burst(n: number, path = URL, init: RequestInit = {}) {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const response = await browser.fetch(path, {
        ...init,
        headers: { 'X-UserToken': token, Accept: 'application/json', ...init.headers },
      });
      return { status: response.status, body: await response.text(), headers: response.headers };
    }),
  );
}

describe('session synchronization', () => {
  // The transactions below last long enough (0.5 s and more) that a burst's requests overlap
  // however slowly a loaded machine sends them: the assertions are about order and counts; a
  // time is only ever checked as a lower bound.
  it('runs 2 at once, lets 10 wait and ignores the rest with a 202 and no body, logging each', async () => {
    await start({ latency: 500 });
    const began = Date.now();
    const answers = await burst(20);
    const took = Date.now() - began;

    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(12);
    expect(statuses.filter((s) => s === 202)).toHaveLength(8);
    for (const ignored of answers.filter((a) => a.status === 202)) {
      expect(ignored.body).toBe('');
      expect(ignored.headers.get('content-type')).toBeNull();
    }
    // Twelve transactions of 500 ms, two at a time: six rounds.
    expect(took).toBeGreaterThanOrEqual(2990);
    const stats = await instance.control.stats();
    expect(stats).toMatchObject({ served: 12, ignored: 8, maxWaiting: 10, abandoned: 0 });
    expect(logged.filter((l) => l.includes('GlideRequestManager:Request ignored'))).toHaveLength(8);
    expect(logged[0]).toMatch(
      /GET \/api\/now\/table\/incident\?sysparm_limit=1 .* runs 2 and has 10 waiting/,
    );
  }, 20_000);

  it('runs one at a time with sessionConcurrency 1 (releases before Yokohama)', async () => {
    await start({ latency: 500, sessionConcurrency: 1, maxWaiters: 3 });
    const began = Date.now();
    const statuses = (await burst(6)).map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 202)).toHaveLength(2);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1995);
  }, 20_000);

  it('serves any number at once with sessionConcurrency 0', async () => {
    await start({ latency: 50, sessionConcurrency: 0 });
    expect((await burst(30)).every((a) => a.status === 200)).toBe(true);
    // Nothing waited for a place: no queue at all.
    expect(await instance.control.stats()).toMatchObject({ ignored: 0, maxWaiting: 0 });
  });

  it('holds an ignored request open until the client gives up, with ignoredRequests "hold"', async () => {
    await start({ latency: 500, maxWaiters: 1, ignoredRequests: 'hold' });
    const served = burst(3);
    const abort = new AbortController();
    const held = browser.fetch(URL, { headers: { 'X-UserToken': token }, signal: abort.signal });
    setTimeout(() => abort.abort(), 300);
    await expect(held).rejects.toThrow(/abort/i);
    expect((await served).map((a) => a.status)).toEqual([200, 200, 200]);
    expect((await instance.control.stats()).ignored).toBe(1);
  });

  it('drops a waiting request whose client hung up, and serves the next in its place', async () => {
    await start({ latency: 500, sessionConcurrency: 1, maxWaiters: 2 });
    const first = burst(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const abort = new AbortController();
    const gaveUp = browser.fetch(URL, { headers: { 'X-UserToken': token }, signal: abort.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const third = burst(1);
    abort.abort();
    await expect(gaveUp).rejects.toThrow(/abort/i);
    expect((await first)[0].status).toBe(200);
    expect((await third)[0].status).toBe(200);
    expect(await instance.control.stats()).toMatchObject({ abandoned: 1, served: 2, ignored: 0 });
  });

  it('queues per session: other sessions and requests without one are not held up', async () => {
    await start({ latency: 500, maxWaiters: 0 });
    const other = client(instance.url);
    const otherToken = await other.logIn('beth.anglin');
    const mine = burst(2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const [theirs, basic] = await Promise.all([
      other.fetch(URL, { headers: { 'X-UserToken': otherToken } }),
      fetch(new globalThis.URL(URL, instance.url), { headers: { Authorization: BASIC } }),
    ]);
    expect([theirs.status, basic.status]).toEqual([200, 200]);
    expect((await mine).map((a) => a.status)).toEqual([200, 200]);
    expect((await burst(3)).map((a) => a.status).sort()).toEqual([200, 200, 202]);
  }, 20_000);

  it('lets static files and the control API bypass the queue', async () => {
    const app = mkdtempSync(join(tmpdir(), 'mock-app-'));
    writeFileSync(join(app, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(app, 'main.js'), 'console.log(1)');
    // Two transactions that hold the session's places for 1.5 s: what is checked is that the
    // static files and the control API are answered while those still run (order, not speed).
    await start({ latency: 1500, maxWaiters: 0, appDir: app });
    let busyDone = false;
    const busy = burst(2).then((answers) => {
      busyDone = true;
      return answers;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const statics = await burst(10, '/main.js');
    const stats = await browser.fetch('/mock/stats');
    expect(statics.every((a) => a.status === 200 && a.body === 'console.log(1)')).toBe(true);
    expect(stats.status).toBe(200);
    expect(busyDone).toBe(false);
    // A REST call is a transaction whatever its path ends with: this one is ignored.
    expect((await burst(1, '/api/now/attachment/abc/file.png'))[0].status).toBe(202);
    expect((await busy).map((a) => a.status)).toEqual([200, 200]);
  }, 20_000);

  it('switches at run time through the control API, and refuses bad values by name', async () => {
    await start({ latency: 50 });
    // 300 ms a transaction: the three overlap even on a loaded machine (at 60 ms a CI run once
    // sent them far enough apart for all three to be served).
    expect(
      await instance.control.configure({ sessionConcurrency: 1, maxWaiters: 1, latency: 300 }),
    ).toMatchObject({ sessionConcurrency: 1, maxWaiters: 1, latency: 300 });
    expect((await burst(3)).map((a) => a.status).sort()).toEqual([200, 200, 202]);
    await expect(instance.control.configure({ sessionConcurrency: 1.5 })).rejects.toThrow(
      /sessionConcurrency must be a whole number of at least 0; got 1.5/,
    );
    await expect(instance.control.configure({ ignoredRequests: 'drop' as 'hold' })).rejects.toThrow(
      /ignoredRequests must be one of accepted, hold/,
    );
    await instance.control.reset();
    expect((await instance.control.configure({ jitter: 0 })).sessionConcurrency).toBe(2);
  });

  it('follows a concurrency lowered while transactions run', async () => {
    await start({ latency: 100 });
    const began = Date.now();
    const answers = burst(4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await instance.control.configure({ sessionConcurrency: 1 });
    expect((await answers).map((a) => a.status)).toEqual([200, 200, 200, 200]);
    // Two ran together; the two that waited then ran one at a time: 300 ms, not 200.
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
  });

  it('refuses bad options at start, naming them', async () => {
    await expect(startMockInstance({ maxWaiters: -1 })).rejects.toThrow(
      /maxWaiters must be a whole number of at least 0; got -1/,
    );
  });
});

describe('rate limit rules', () => {
  let now: number;
  const at = (iso: string) => (now = Date.parse(iso));

  async function startLimited(options: MockInstanceOptions) {
    at('2026-11-01T10:15:00Z');
    await start({ clock: () => now, ...options });
  }

  it('counts each user per hour and answers beyond the limit with the documented 429', async () => {
    await startLimited({ rateLimits: [{ name: 'Limit incidents', limit: 3 }] });
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push((await burst(1))[0]);
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual([
      '2',
      '1',
      '0',
      '0',
    ]);
    const refused = answers[3];
    expect(JSON.parse(refused.body)).toEqual({
      error: {
        message: 'Rate limit exceeded',
        detail: 'Rate limit of 3 requests per hour for Table API exceeded',
      },
      status: 'failure',
    });
    expect(refused.headers.get('x-ratelimit-limit')).toBe('3');
    // The next reset is at 11:00, 45 minutes away.
    expect(refused.headers.get('x-ratelimit-reset')).toBe(
      String(Date.parse('2026-11-01T11:00:00Z') / 1000),
    );
    expect(refused.headers.get('retry-after')).toBe(String(45 * 60));
    expect(refused.headers.get('x-ratelimit-rule')).toMatch(/^[0-9a-f]{32}$/);
    expect((await instance.control.stats()).rateLimited).toBe(1);

    at('2026-11-01T11:00:00Z');
    expect((await burst(1))[0].status).toBe(200);
  });

  it('gives a single-user rule priority over role rules, the lowest role rule over all-users rules', async () => {
    await startLimited({
      data: {
        ...demoData(),
        users: [
          ...demoData().users,
          { user_name: 'itil.admin', password: 'demo', roles: ['itil', 'admin'] },
        ],
      },
      rateLimits: [
        { limit: 1 },
        { role: 'itil', limit: 4 },
        { role: 'admin', limit: 2 },
        { user: 'beth.anglin', limit: 5 },
      ],
    });
    /** How many GETs `user` gets through before the 429. */
    const allowed = async (user: string) => {
      const session = client(instance.url);
      const userToken = await session.logIn(user);
      for (let n = 0; n < 10; n++) {
        const response = await session.fetch(URL, { headers: { 'X-UserToken': userToken } });
        if (response.status === 429) {
          return n;
        }
      }
      return Infinity;
    };
    expect(await allowed('abel.tuter')).toBe(1); // no role: the all-users rule
    expect(await allowed('admin')).toBe(2); // the admin role's rule, over all users'
    expect(await allowed('itil.admin')).toBe(2); // two role rules: the one allowing fewer
    expect(await allowed('beth.anglin')).toBe(5); // her own rule, over itil's 4
  });

  it('limits only the resource and method a rule names, and only REST calls', async () => {
    await startLimited({
      rateLimits: [{ limit: 1, window: 60, resource: '/api/now/table/incident', method: 'GET' }],
    });
    expect((await burst(1))[0].status).toBe(200);
    const second = (await burst(1))[0];
    expect(second.status).toBe(429);
    expect(JSON.parse(second.body).error.detail).toBe(
      'Rate limit of 1 requests per 60 seconds for Table API exceeded',
    );
    expect((await burst(1, '/api/now/table/sys_user?sysparm_limit=1'))[0].status).toBe(200);
    const versioned = (await burst(1, '/api/now/v2/table/incident?sysparm_limit=1'))[0];
    expect(versioned.status).toBe(429);
    expect(JSON.parse(versioned.body).error.detail).toContain('for Table API exceeded');
    const post = await browser.fetch('/api/now/table/incident', {
      method: 'POST',
      headers: { 'X-UserToken': token, 'Content-Type': 'application/json' },
      body: '{"short_description":"not limited"}',
    });
    expect(post.status).toBe(201);
    expect((await browser.fetch('/user_token.do')).status).toBe(200);
  });

  it('takes rules through the control API and refuses bad ones by path', async () => {
    await startLimited({});
    await instance.control.configure({ rateLimits: [{ limit: 0 }] });
    expect((await burst(1))[0].status).toBe(429);
    await expect(
      instance.control.configure({ rateLimits: [{ limit: -1 }] as never }),
    ).rejects.toThrow(/rateLimits: 0\.limit: /);
    await expect(
      instance.control.configure({ rateLimits: [{ limit: 1, user: 'a', role: 'b' }] as never }),
    ).rejects.toThrow(/a rule is for a user or for a role, not both/);
  });
});

describe('a batch in a session', () => {
  // A Basic client that keeps its cookies (ServiceNow's PySNC does) now sends its batches within
  // a session; an instance runs their items inside the batch's transaction.
  it('runs the items inside the batch’s transaction: one transaction per session is no deadlock', async () => {
    await start({ sessionConcurrency: 1, maxWaiters: 10 });
    const item = (id: string) => ({ id, method: 'GET', url: URL, headers: [] });
    const response = await browser.fetch('/api/now/v1/batch', {
      method: 'POST',
      headers: { 'X-UserToken': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ batch_request_id: 'b', rest_requests: [item('1'), item('2')] }),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { serviced_requests: { status_code: number }[] };
    expect(answer.serviced_requests.map((r) => r.status_code)).toEqual([200, 200]);
  });
});

/** Resolves once `check` holds, looking every few milliseconds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// An instance's `Server-Timing: sem_wait;dur=0, sesh_wait;dur=0` (every recorded REST answer)
// says how long the transaction waited for its session: the mock's session queue, measured.
describe('Server-Timing', () => {
  it('reports in sesh_wait how long a Basic call that kept its cookie waited for its session', async () => {
    let now = Date.UTC(2026, 10, 1);
    await start({ sessionConcurrency: 1, clock: () => now });
    // A Basic call sets up a session; the calls that send its cookie back are its transactions.
    const integration = client(instance.url);
    expect((await integration.fetch(URL, { headers: { Authorization: BASIC } })).status).toBe(200);
    const headers = { Authorization: BASIC, Cookie: integration.cookie() };

    // The first holds the session: an upload whose body has not all arrived.
    const own = seededSysId('incident:0'); // Abel calls it
    let firstAnswer: (value: { status: number; timing: string }) => void;
    const first = new Promise<{ status: number; timing: string }>((r) => (firstAnswer = r));
    const upload = request(
      `${instance.url}/api/now/attachment/file?table_name=incident&table_sys_id=${own}&file_name=held.txt`,
      { method: 'POST', headers: { ...headers, 'Content-Type': 'text/plain' } },
      (res) => {
        res.resume();
        firstAnswer({ status: res.statusCode!, timing: String(res.headers['server-timing']) });
      },
    );
    upload.write('part of it');
    await until(() => instance.stats.api === 2);

    // The second waits behind it, by the instance's clock, 1234 ms.
    const second = fetch(instance.url + URL, { headers });
    await until(() => instance.stats.maxWaiting === 1);
    now += 1234;
    upload.end(', the rest');

    expect(await first).toEqual({ status: 201, timing: 'sem_wait;dur=0, sesh_wait;dur=0' });
    const answer = await second;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('server-timing')).toBe('sem_wait;dur=0, sesh_wait;dur=1234');
  });
});
