import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { client, Client } from '../test/client';
import { STARTING_LIMITS } from '../test/switches';
import { seededSysId } from './data/seed';
import { MockInstance, MockInstanceOptions, startMockInstance } from './server';

const KB_REQUEST =
  '/api/now/table/incident?sysparm_query=active=true^ORDERBYDESCsys_updated_on^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()&sysparm_display_value=true&sysparm_fields=number,short_description,description,sys_updated_on,closed_at,incident_state,opened_at,caller_id,state,sys_id,resolved_at&sysparm_limit=1&stamp=1454246237320';
const KB_FIELDS =
  'number,short_description,description,sys_updated_on,closed_at,incident_state,opened_at,caller_id,state,sys_id,resolved_at'.split(
    ',',
  );
const KB_JSON =
  '{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}';
const KB_XML =
  '<response><error><message>User Not Authenticated</message><detail>Required to provide Auth information</detail></error><status>failure</status></response>';
const ABEL = seededSysId('sys_user:abel.tuter');
const BASIC = `Basic ${Buffer.from('abel.tuter:demo').toString('base64')}`;

let instance: MockInstance;
let browser: Client;
let now: number;

async function start(options: MockInstanceOptions = {}): Promise<void> {
  now = Date.UTC(2026, 10, 1);
  instance = await startMockInstance({ dev: true, clock: () => now, ...options });
  browser = client(instance.url);
}
afterEach(async () => {
  await instance?.close();
});

async function json(response: Response): Promise<any> {
  return JSON.parse(await response.text());
}

describe('the CSRF check', () => {
  beforeEach(() => start());

  it('answers the KB request without a token with the instance 401, exactly', async () => {
    const token = await browser.logIn();
    const response = await browser.fetch(KB_REQUEST);
    expect(response.status).toBe(401);
    expect(await response.text()).toBe(KB_JSON);
    expect(
      Object.fromEntries(
        [
          'www-authenticate',
          'content-type',
          'cache-control',
          'pragma',
          'expires',
          'x-is-logged-in',
          'x-sessionloggedin',
          'x-usertoken-request',
          'x-usertoken-response',
          'x-usertoken-allowresubmit',
        ].map((h) => [h, response.headers.get(h)]),
      ),
    ).toEqual({
      'www-authenticate': 'BASIC realm="Service-now"',
      'content-type': 'application/json;charset=UTF-8',
      'cache-control': 'no-cache,no-store,must-revalidate,max-age=-1',
      pragma: 'no-store,no-cache',
      expires: '0',
      'x-is-logged-in': 'true',
      'x-sessionloggedin': 'true',
      'x-usertoken-request': null,
      'x-usertoken-response': token,
      'x-usertoken-allowresubmit': 'true',
    });
  });

  it('answers in XML when the browser tab asks for it, as in the KB', async () => {
    await browser.logIn();
    const response = await browser.fetch(KB_REQUEST, {
      headers: { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/xml;charset=UTF-8');
    expect(await response.text()).toBe(KB_XML);
  });

  it('serves the KB request with the token: the KB fields, the demo user rows only', async () => {
    const token = await browser.logIn();
    const response = await browser.fetch(
      KB_REQUEST.replace('sysparm_limit=1', 'sysparm_limit=1000'),
      {
        headers: { 'X-UserToken': token },
      },
    );
    expect(response.status).toBe(200);
    const { result } = await json(response);
    const mine = instance.db
      .rows('incident')
      .filter((r) => r['active'] === 'true' && (r['caller_id'] === ABEL || r['opened_by'] === ABEL))
      .sort((a, b) => (a['sys_updated_on'] < b['sys_updated_on'] ? 1 : -1));
    expect(mine.length).toBeGreaterThan(10);
    expect(result.map((r: any) => r.sys_id)).toEqual(mine.map((r) => r['sys_id']));
    expect(Object.keys(result[0]).sort()).toEqual([...KB_FIELDS].sort());
    expect(['New', 'In Progress', 'On Hold']).toContain(result[0].state);
    expect(result[0].sys_updated_on).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it('returns none of the demo user rows to another user', async () => {
    const other = client(instance.url);
    const token = await other.logIn('beth.anglin');
    const response = await other.fetch(
      KB_REQUEST.replace('sysparm_limit=1', 'sysparm_limit=1000').replace(
        'sysparm_display_value=true',
        'sysparm_display_value=false',
      ),
      {
        headers: { 'X-UserToken': token },
      },
    );
    const { result } = await json(response);
    expect(result.length).toBeGreaterThan(5);
    const beth = seededSysId('sys_user:beth.anglin');
    for (const row of result) {
      expect(
        row.caller_id.value === beth ||
          instance.db.get('incident', row.sys_id)!['opened_by'] === beth,
      ).toBe(true);
    }
  });

  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'])('checks the token on %s', async (method) => {
    await browser.logIn();
    const id = instance.db.rows('incident')[0]['sys_id'];
    const path = method === 'POST' ? '/api/now/table/incident' : `/api/now/table/incident/${id}`;
    const response = await browser.fetch(path, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-UserToken': 'stale' },
      body: method === 'GET' || method === 'DELETE' ? undefined : '{"short_description":"x"}',
    });
    expect(response.status).toBe(401);
    expect(instance.db.get('incident', id)!['short_description']).not.toBe('x');
  });

  it('skips the check for Basic authentication, and rejects bad credentials', async () => {
    const ok = await fetch(instance.url + KB_REQUEST, { headers: { Authorization: BASIC } });
    expect(ok.status).toBe(200);
    expect((await json(ok)).result).toHaveLength(1);
    const bad = await fetch(instance.url + KB_REQUEST, {
      headers: { Authorization: `Basic ${Buffer.from('abel.tuter:wrong').toString('base64')}` },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('x-sessionloggedin')).toBe('false');
    expect(bad.headers.get('www-authenticate')).toBe('BASIC realm="Service-now"');
  });

  it('rejects the old token after a rotation and names the new one', async () => {
    const old = await browser.logIn();
    expect((await browser.fetch('/mock/rotate-token', { method: 'POST' })).status).toBe(200);
    const response = await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': old } });
    expect(response.status).toBe(401);
    const current = await browser.token();
    expect(current).not.toBe(old);
    expect(response.headers.get('x-usertoken-response')).toBe(current);
    expect(response.headers.get('x-is-logged-in')).toBe('true');
    expect((await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': current } })).status).toBe(
      200,
    );
  });

  it('answers an ended session with X-SessionLoggedIn: false and no token', async () => {
    const token = await browser.logIn();
    await browser.fetch('/mock/end-session', { method: 'POST' });
    const response = await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': token } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-sessionloggedin')).toBe('false');
    // No X-Is-Logged-In without a live session, as a recorded instance's 401 (it said true
    // before the recordings showed otherwise).
    expect(response.headers.has('x-is-logged-in')).toBe(false);
    expect(response.headers.has('x-usertoken-response')).toBe(false);
    expect(await response.text()).toBe(KB_JSON);
  });

  it('leaves X-UserToken-Response out when switched off', async () => {
    await browser.logIn();
    const off = await browser.fetch('/mock/config', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"tokenResponseHeader":false}',
    });
    expect(off.status).toBe(200);
    const response = await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': 'stale' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-is-logged-in')).toBe('true');
    expect(response.headers.has('x-usertoken-response')).toBe(false);
  });

  it('counts API calls, 401s and token page fetches', async () => {
    const token = await browser.logIn();
    await browser.fetch('/mock/stats/reset', { method: 'POST' });
    await browser.fetch(KB_REQUEST);
    await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': token } });
    await browser.token();
    expect(await json(await browser.fetch('/mock/stats'))).toEqual({
      requests: 4, // the two API calls, the token page, and this one
      api: 2,
      unauthorized: 1,
      challenged: 1,
      ssoLogin: 0,
      tokenPage: 1,
      rotations: 0,
      served: 3, // the same three through their session's queue; /mock/ bypasses it
      maxWaiting: 0,
      ignored: 0,
      abandoned: 0,
      rateLimited: 0,
      busHandshakes: 0,
      busConnects: 0,
      busSubscribes: 0,
      busRefused: 0,
      busMessages: 0,
      busSessionSetups: 0,
    });
  });
});

// The headers every recorded 200 and 201 of an instance carries (http/instance-headers.ts names
// the captures).
describe('the headers of a REST answer, as recorded instances send them', () => {
  beforeEach(() => start());

  const RECORDED = {
    'cache-control': 'no-cache,no-store,must-revalidate,max-age=-1',
    pragma: 'no-store,no-cache',
    expires: '0',
    'x-content-type-options': 'nosniff',
    server: 'ServiceNow',
    // Nothing waited: no semaphores here, and the session was free.
    'server-timing': 'sem_wait;dur=0, sesh_wait;dur=0',
    'x-is-logged-in': 'true',
  };
  const headersOf = (response: Response, names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, response.headers.get(name)]));

  it('says ServiceNow, no caching, nosniff, its waits and a new 12-digit transaction id each time', async () => {
    const token = await browser.logIn();
    const ids: string[] = [];
    for (const path of [KB_REQUEST, `/api/now/v2/table/sys_user/${ABEL}`]) {
      const response = await browser.fetch(path, { headers: { 'X-UserToken': token } });
      expect(response.status).toBe(200);
      expect(headersOf(response, Object.keys(RECORDED))).toEqual(RECORDED);
      ids.push(response.headers.get('x-transaction-id') ?? '');
    }
    const created = await fetch(`${instance.url}/api/now/table/incident`, {
      method: 'POST',
      headers: { Authorization: BASIC, 'Content-Type': 'application/json' },
      body: '{"short_description":"headers"}',
    });
    expect(created.status).toBe(201);
    expect(headersOf(created, Object.keys(RECORDED))).toEqual(RECORDED);
    ids.push(created.headers.get('x-transaction-id') ?? '');
    expect(ids.every((id) => /^[0-9a-f]{12}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(3);
  });

  it('answers a refused call as ServiceNow too, but with no transaction of its own', async () => {
    const response = await fetch(instance.url + KB_REQUEST);
    expect(response.status).toBe(401);
    expect(
      headersOf(response, ['server', 'cache-control', 'x-transaction-id', 'server-timing']),
    ).toEqual({
      server: 'ServiceNow',
      'cache-control': 'no-cache,no-store,must-revalidate,max-age=-1',
      'x-transaction-id': null,
      'server-timing': null,
    });
  });
});

describe('token life on a timer', () => {
  it('rotates the token after --token-ttl', async () => {
    await start({ tokenTtl: 60 });
    const first = await browser.logIn();
    now += 59_000;
    expect(await browser.token()).toBe(first);
    now += 1_000;
    const response = await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': first } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-usertoken-response')).not.toBe(first);
    expect(response.headers.get('x-is-logged-in')).toBe('true');
  });

  it('ends an idle session after --session-timeout', async () => {
    await start({ sessionTimeout: 1800 });
    const token = await browser.logIn();
    now += 1_799_000;
    expect((await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': token } })).status).toBe(
      200,
    );
    now += 1_800_000;
    const response = await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': token } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-sessionloggedin')).toBe('false');
    expect((await browser.fetch('/user_token.do')).headers.get('location')).toMatch(/^\/login\.do/);
  });
});

describe('pages', () => {
  beforeEach(() => start());

  it('sends an unauthenticated visit to the login page, and back after logging in', async () => {
    const visit = await browser.fetch('/');
    expect(visit.status).toBe(302);
    expect(visit.headers.get('location')).toBe('/login.do?sysparm_goto=%2F');
    const page = await browser.fetch('/login.do');
    expect(await page.text()).toContain('name="user_password"');
    const login = await browser.fetch('/login.do', {
      method: 'POST',
      body: new URLSearchParams({
        user_name: 'abel.tuter',
        user_password: 'demo',
        sysparm_goto: '/',
      }),
    });
    expect(login.status).toBe(302);
    expect(login.headers.get('set-cookie')).toMatch(
      /^JSESSIONID=[0-9A-F]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );
  });

  it('refuses a wrong password and never redirects off the instance', async () => {
    const wrong = await browser.fetch('/login.do', {
      method: 'POST',
      body: new URLSearchParams({ user_name: 'abel.tuter', user_password: 'nope' }),
    });
    expect(wrong.status).toBe(200);
    expect(await wrong.text()).toContain('User name or password invalid');
    const login = await browser.fetch('/login.do', {
      method: 'POST',
      body: new URLSearchParams({
        user_name: 'abel.tuter',
        user_password: 'demo',
        sysparm_goto: '//evil.test/',
      }),
    });
    expect(login.headers.get('location')).toBe('/');
  });

  it('renders window.g_ck into the page for a logged-in user', async () => {
    const token = await browser.logIn();
    const page = await (await browser.fetch('/')).text();
    expect(page).toContain(`window.g_ck = "${token}";`);
  });

  it('logs out', async () => {
    const token = await browser.logIn();
    expect((await browser.fetch('/logout.do')).headers.get('location')).toBe('/login.do');
    const response = await browser.fetch(KB_REQUEST, { headers: { 'X-UserToken': token } });
    expect(response.headers.get('x-sessionloggedin')).toBe('false');
  });

  it('serves a built app with g_ck injected, and its assets', async () => {
    await instance.close();
    const dir = mkdtempSync(join(tmpdir(), 'mock-app-'));
    writeFileSync(
      join(dir, 'index.html'),
      '<!doctype html><html><head><title>App</title></head><body><app-root></app-root><script src="main.js"></script></body></html>',
    );
    writeFileSync(join(dir, 'main.js'), 'console.log("app");');
    await start({ appDir: dir });
    const token = await browser.logIn();
    const page = await (await browser.fetch('/')).text();
    expect(page).toContain(`<script>window.g_ck = "${token}"; window.NOW = `);
    expect(page).toMatch(
      /\{"user_id":"[0-9a-f]{32}","user_name":"abel\.tuter"\}\);<\/script><\/head>/,
    );
    expect(page).toContain('<app-root>');
    expect(await (await browser.fetch('/main.js')).text()).toBe('console.log("app");');
    // A deep link of the app's router gets the app's page; a missing file stays a 404.
    const deep = await browser.fetch('/incidents/42', { headers: { Accept: 'text/html' } });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain(`window.g_ck = "${token}"`);
    expect((await browser.fetch('/missing.js')).status).toBe(404);
    expect(
      (await browser.fetch('/incidents/42', { headers: { Accept: 'application/json' } })).status,
    ).toBe(404);
  });

  it('refuses an appDir that is not there, or one level above the build, at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-app-'));
    await expect(startMockInstance({ appDir: join(dir, 'dist/my-app/browser') })).rejects.toThrow(
      /appDir .*dist\/my-app\/browser: no such folder\. Build the app first \(ng build\)\./,
    );
    mkdirSync(join(dir, 'browser'));
    writeFileSync(join(dir, 'browser', 'index.html'), '<!doctype html>');
    await expect(startMockInstance({ appDir: dir })).rejects.toThrow(
      /no index\.html\. Angular writes the browser build to .*browser: give that folder\./,
    );
  });
});

describe('the control API', () => {
  it('exists only in dev mode', async () => {
    await start({ dev: false });
    await browser.logIn();
    expect((await browser.fetch('/mock/rotate-token', { method: 'POST' })).status).toBe(404);
    expect((await browser.fetch('/mock/state')).status).toBe(404);
  });

  it('resets the data to the seed', async () => {
    await start();
    const token = await browser.logIn('admin'); // only admin may delete incidents
    const id = instance.db.rows('incident')[0]['sys_id'];
    await browser.fetch(`/api/now/table/incident/${id}`, {
      method: 'DELETE',
      headers: { 'X-UserToken': token },
    });
    expect(instance.db.get('incident', id)).toBeNull();
    await browser.fetch('/mock/reset', { method: 'POST' });
    expect(instance.db.get('incident', id)).not.toBeNull();
  });

  it('reports its state and rejects a bad config body', async () => {
    await start();
    await browser.logIn();
    expect(await json(await browser.fetch('/mock/state'))).toEqual({
      dev: true,
      tokenResponseHeader: true,
      allowResubmit: true,
      challenge: 'missing-token',
      honourNoResponseChallenge: true,
      invalidQueryReturnsNoRows: false,
      sso: 'off',
      ...STARTING_LIMITS,
      user: 'abel.tuter',
    });
    const bad = await browser.fetch('/mock/config', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"tokenResponseHeader":"no"}',
    });
    expect(bad.status).toBe(400);
    for (const body of [
      '{"challenge":"sometimes"}',
      '{"sso":true}',
      '{"colour":"red"}',
      '{}',
      '[]',
    ]) {
      const refused = await browser.fetch('/mock/config', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      expect(refused.status).toBe(400);
      expect((await json(refused)).error.detail).toMatch(
        /challenge \(missing-token\|always\|never\)/,
      );
    }
    expect((await json(await browser.fetch('/mock/state'))).challenge).toBe('missing-token');
  });
});

describe('where it listens', () => {
  // Each test has a live loopback instance for the shared afterEach to close.
  beforeEach(() => start());

  it.each(['0.0.0.0', '::', '192.168.1.10', 'dev.example.com'])(
    'refuses host %s without allowRemote, before listening',
    async (host) => {
      const lines: string[] = [];
      await expect(
        startMockInstance({ host, dev: true, log: (line) => lines.push(line) }),
      ).rejects.toThrow(
        `--host ${host} is not a loopback address: anyone who can reach it could log in with ` +
          "the data's passwords and use the control API (wipe the data, end sessions, install " +
          'apps). Add --allow-remote if that is what you want.',
      );
      expect(lines).toEqual([]);
    },
  );

  it('with allowRemote, warns before it listens', async () => {
    const lines: string[] = [];
    // A malformed allowedHosts entry stops it after the warning: nothing listens beyond loopback.
    await expect(
      startMockInstance({
        host: '0.0.0.0',
        allowRemote: true,
        allowedHosts: ['a:1'],
        log: (line) => lines.push(line),
      }),
    ).rejects.toThrow(/an allowed host must be a host name/);
    expect(lines).toEqual([
      "WARNING: listening on 0.0.0.0: anyone who can reach this port can log in with the data's " +
        'passwords; the Host check does not stop a client that sends Host: localhost',
    ]);
  });

  it('takes a loopback name without allowRemote, and reports the address it bound', async () => {
    const lines: string[] = [];
    await instance.close();
    instance = await startMockInstance({ host: 'localhost', dev: true, log: (l) => lines.push(l) });
    expect(['127.0.0.1', '::1']).toContain(instance.address);
    expect(instance.url).toBe(`http://localhost:${instance.port}`);
    expect(await instance.control.stats()).toMatchObject({ requests: 1 });
    expect(lines).toEqual([]);
  });
});
