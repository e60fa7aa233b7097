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
