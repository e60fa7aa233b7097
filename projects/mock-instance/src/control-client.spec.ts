// The control client as a user's test drives it: the browser (here a cookie-keeping client) holds
// the session, the test in Node holds only the instance's URL.
import { client } from '../test/client';
import { STARTING_LIMITS } from '../test/switches';
import {
  MockInstance,
  MockInstanceControlError,
  mockInstanceControl,
  startMockInstance,
} from './index';

let instance: MockInstance;
beforeEach(async () => {
  instance = await startMockInstance({ dev: true });
});
afterEach(() => instance.close());

const LIST = '/api/now/table/incident?sysparm_limit=1';

describe('the control client', () => {
  it("rotates the token of a user's sessions: the page's token goes stale", async () => {
    const browser = client(instance.url);
    const token = await browser.logIn('abel.tuter');
    const other = client(instance.url);
    const hers = await other.logIn('beth.anglin');

    expect(await instance.control.rotateToken('abel.tuter')).toBe(1);
    expect((await browser.fetch(LIST, { headers: { 'X-UserToken': token } })).status).toBe(401);
    expect(await browser.token()).not.toBe(token);
    // Another user's session is left alone.
    expect((await other.fetch(LIST, { headers: { 'X-UserToken': hers } })).status).toBe(200);
    expect((await instance.control.stats()).rotations).toBe(1);
  });

  it("ends a user's sessions: the page must log in again", async () => {
    const browser = client(instance.url);
    const token = await browser.logIn('abel.tuter');
    expect(await instance.control.endSession('abel.tuter')).toBe(1);
    const answer = await browser.fetch(LIST, { headers: { 'X-UserToken': token } });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('x-sessionloggedin')).toBe('false');
  });

  it('rejects, with the reason, a user who has no session', async () => {
    const failure = await instance.control.rotateToken('nobody').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(MockInstanceControlError);
    expect((failure as MockInstanceControlError).status).toBe(404);
    expect((failure as Error).message).toMatch(/rotate-token failed with 404: No session/);
  });

  it('switches, counts and resets', async () => {
    expect(await instance.control.configure({ tokenResponseHeader: false })).toEqual({
      tokenResponseHeader: false,
      allowResubmit: true,
      challenge: 'missing-token',
      honourNoResponseChallenge: true,
      sso: 'off',
      invalidQueryReturnsNoRows: false,
      ...STARTING_LIMITS,
    });
    await expect(instance.control.configure({ sso: 'nope' as 'off' })).rejects.toThrow(
      /config failed with 400: Bad request: Expected a JSON object/,
    );
    const browser = client(instance.url);
    const token = await browser.logIn();
    await browser.fetch('/api/now/table/incident', {
      method: 'POST',
      headers: { 'X-UserToken': token, 'Content-Type': 'application/json' },
      body: '{"short_description":"made by the test"}',
    });
    const rows = instance.db.rows('incident').length;
    expect((await instance.control.stats()).api).toBe(1);
    await instance.control.reset();
    expect(instance.db.rows('incident').length).toBe(rows - 1);
    expect((await instance.control.resetStats()).api).toBe(0);
  });

  it('says so when the instance runs without its control API', async () => {
    const plain = await startMockInstance();
    try {
      await expect(mockInstanceControl(plain.url).stats()).rejects.toThrow(
        /no control API at http:\/\/127\.0\.0\.1:\d+\/mock\/: start the mock instance with dev/,
      );
    } finally {
      await plain.close();
    }
  });
});

describe('redirects set by the control client', () => {
  it('answer a path, whatever the method, before authentication, the query kept', async () => {
    expect(
      await instance.control.redirect({
        path: '/api/now/table/incident',
        location: 'http://elsewhere.test:8080/collect',
      }),
    ).toEqual([
      {
        path: '/api/now/table/incident',
        location: 'http://elsewhere.test:8080/collect',
        status: 302,
      },
    ]);
    const browser = client(instance.url);
    const token = await browser.logIn('abel.tuter');
    const get = await browser.fetch(LIST, { headers: { 'X-UserToken': token } });
    expect(get.status).toBe(302);
    expect(get.headers.get('location')).toBe('http://elsewhere.test:8080/collect?sysparm_limit=1');
    expect(get.headers.get('cache-control')).toBe('no-store');
    // Nothing reached the API: not even a request without any token is refused first.
    expect((await client(instance.url).fetch(LIST)).status).toBe(302);
    expect((await instance.control.stats()).api).toBe(0);

    // A later rule for the path replaces it; a write is redirected too.
    await instance.control.redirect({
      path: '/api/now/table/incident',
      location: '/api/now/v2/table/incident',
      status: 307,
    });
    const post = await browser.fetch('/api/now/table/incident', {
      method: 'POST',
      headers: { 'X-UserToken': token, 'Content-Type': 'application/json' },
      body: '{"short_description":"redirected"}',
    });
    expect(post.status).toBe(307);
    expect(post.headers.get('location')).toBe('/api/now/v2/table/incident');
    // Where it leads is the instance's own API, answering as before.
    const moved = await browser.fetch('/api/now/v2/table/incident?sysparm_limit=1', {
      headers: { 'X-UserToken': token },
    });
    expect(moved.status).toBe(200);
    // Other paths are left alone.
    expect(
      (
        await browser.fetch('/api/now/table/sys_user?sysparm_limit=1', {
          headers: { 'X-UserToken': token },
        })
      ).status,
    ).toBe(200);
  });

  it('are removed by clearRedirects() and by reset()', async () => {
    const browser = client(instance.url);
    const token = await browser.logIn('abel.tuter');
    const list = () => browser.fetch(LIST, { headers: { 'X-UserToken': token } });
    await instance.control.redirect({ path: '/api/now/table/incident', location: '/elsewhere' });
    expect((await list()).status).toBe(302);
    await instance.control.clearRedirects();
    expect((await list()).status).toBe(200);

    await instance.control.redirect({ path: '/api/now/table/incident', location: '/elsewhere' });
    await instance.control.reset();
    const again = client(instance.url);
    const fresh = await again.logIn('abel.tuter');
    expect((await again.fetch(LIST, { headers: { 'X-UserToken': fresh } })).status).toBe(200);
  });

  it('refuse, with the reason, a rule that is not one', async () => {
    const refused = async (rule: object) =>
      ((await instance.control.redirect(rule as never).catch((e: unknown) => e)) as Error).message;
    expect(await refused({ path: 'api', location: '/x' })).toMatch(/400.*"path" must be a path/);
    expect(await refused({ path: '/a?b=1', location: '/x' })).toMatch(/without a query/);
    expect(await refused({ path: '/mock/reset', location: '/x' })).toMatch(/not be under \/mock/);
    expect(await refused({ path: '/a', location: 'javascript:alert(1)' })).toMatch(
      /"location" must be a path of the instance or an http\(s\) URL/,
    );
    expect(await refused({ path: '/a', location: '//evil.test/' })).toMatch(/"location"/);
    expect(await refused({ path: '/a', location: '/x', status: 200 })).toMatch(
      /"status" must be one of 301, 302, 303, 307, 308; got 200/,
    );
    expect(await refused({ path: '/a', location: '/x', colour: 'red' })).toMatch(
      /Expected a JSON object/,
    );
    const listed = await fetch(`${instance.url}/mock/redirects`);
    expect(await listed.json()).toEqual({ redirects: [] });
  });

  it('cannot be set without the control API, and are never answered then', async () => {
    const plain = await startMockInstance();
    try {
      const set = await fetch(`${plain.url}/mock/redirects`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ path: '/api/now/table/incident', location: '/elsewhere' }),
      });
      expect(set.status).toBe(404);
      const browser = client(plain.url);
      const token = await browser.logIn('abel.tuter');
      expect((await browser.fetch(LIST, { headers: { 'X-UserToken': token } })).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});
