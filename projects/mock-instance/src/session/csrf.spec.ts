import { client, Client } from '../../test/client';
import { MockInstance, MockInstanceOptions, startMockInstance } from '../server';

// The ServiceNow SDK CLI's own login code, as shipped (not ours): it must get a session and its
// token from the mock exactly as it does from an instance.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UISession } = require('@servicenow/sdk-cli/dist/auth/basic-auth/UISession.js') as {
  UISession: new (url: string) => {
    login(user: string, password: string): Promise<{ userToken: string; cookie: CookieJarLike }>;
  };
};
interface CookieJarLike {
  getCookieStringSync(url: string): string;
}

const LIST = '/api/now/table/incident?sysparm_limit=1';

let instance: MockInstance;
let browser: Client;

async function start(options: MockInstanceOptions = {}): Promise<void> {
  instance = await startMockInstance({ dev: true, ...options });
  browser = client(instance.url);
}
afterEach(async () => {
  await instance?.close();
  instance = undefined as unknown as MockInstance;
});

async function configure(body: Record<string, unknown>): Promise<void> {
  const response = await browser.fetch('/mock/config', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

const header = (response: Response, name: string) => response.headers.get(name);

describe('the CSRF 401 speaks the resubmit protocol', () => {
  beforeEach(() => start());

  it('echoes the token the request carried and names the session token', async () => {
    const token = await browser.logIn();
    const response = await browser.fetch(LIST, { headers: { 'X-UserToken': 'stale-token' } });
    expect(response.status).toBe(401);
    expect(header(response, 'x-usertoken-request')).toBe('stale-token');
    expect(header(response, 'x-usertoken-response')).toBe(token);
    expect(header(response, 'x-sessionloggedin')).toBe('true');
    expect(header(response, 'x-usertoken-allowresubmit')).toBe('true');
  });

  it('says the session is alive on every successful response', async () => {
    const token = await browser.logIn();
    const response = await browser.fetch(LIST, { headers: { 'X-UserToken': token } });
    expect(response.status).toBe(200);
    expect(header(response, 'x-sessionloggedin')).toBe('true');
    expect(header(response, 'x-is-logged-in')).toBe('true');
  });

  it('says X-UserToken-AllowResubmit: false when switched, at run time or at start', async () => {
    await browser.logIn();
    await configure({ allowResubmit: false });
    const response = await browser.fetch(LIST, { headers: { 'X-UserToken': 'stale' } });
    expect(header(response, 'x-usertoken-allowresubmit')).toBe('false');
    await instance.close();

    await start({ allowResubmit: false });
    await browser.logIn();
    const again = await browser.fetch(LIST, { headers: { 'X-UserToken': 'stale' } });
    expect(header(again, 'x-usertoken-allowresubmit')).toBe('false');
  });

  // Until the recordings, this said X-Is-Logged-In: true to a guest (from a note in ServiceNow's
  // iOS SDK about public APIs); a recorded instance's 401 without a session has none.
  it('tells a guest that no session lives, without X-Is-Logged-In, as a recorded instance', async () => {
    const response = await browser.fetch(LIST, { headers: { 'X-UserToken': 'whatever' } });
    expect(response.status).toBe(401);
    expect(header(response, 'x-sessionloggedin')).toBe('false');
    expect(response.headers.has('x-is-logged-in')).toBe(false);
    expect(response.headers.has('x-usertoken-response')).toBe(false);
  });
});

describe('the WWW-Authenticate challenge policy', () => {
  const challenged = async (init: RequestInit) =>
    header(await browser.fetch(LIST, init), 'www-authenticate');

  it('by default challenges only a request that carried no X-UserToken (the KB case)', async () => {
    await start();
    await browser.logIn();
    expect(await challenged({})).toBe('BASIC realm="Service-now"');
    expect(await challenged({ headers: { 'X-UserToken': 'stale' } })).toBeNull();
    expect(
      await challenged({ headers: { 'X-UserToken': 'token_intentionally_left_blank' } }),
    ).toBeNull();
    expect(instance.stats).toMatchObject({ unauthorized: 3, challenged: 1 });
  });

  it('challenges every 401 under "always", none under "never"', async () => {
    await start({ challenge: 'always' });
    await browser.logIn();
    expect(await challenged({ headers: { 'X-UserToken': 'stale' } })).toBe(
      'BASIC realm="Service-now"',
    );
    await configure({ challenge: 'never' });
    expect(await challenged({})).toBeNull();
    expect(instance.stats).toMatchObject({ unauthorized: 2, challenged: 1 });
  });

  it('refuses an unknown policy at start', async () => {
    await expect(startMockInstance({ challenge: 'sometimes' as never })).rejects.toThrow(
      /challenge must be one of missing-token, always, never/,
    );
  });
});

describe('the ServiceNow CLI login (/angular.do)', () => {
  beforeEach(() => start());

  it("logs the CLI's own UISession in and hands it the session token through the 401", async () => {
    const login = await new UISession(instance.url).login('abel.tuter', 'demo');
    const cookie = login.cookie.getCookieStringSync(instance.url);
    expect(cookie).toMatch(/^JSESSIONID=[0-9A-F]{32}$/);
    const page = await fetch(`${instance.url}/user_token.do`, { headers: { Cookie: cookie } });
    expect(login.userToken).toBe(await page.text());
    const list = await fetch(instance.url + LIST, {
      headers: { Cookie: cookie, 'X-UserToken': login.userToken },
    });
    expect(list.status).toBe(200);
  });

  it('makes the CLI fail with the instance message on a wrong password', async () => {
    await expect(new UISession(instance.url).login('abel.tuter', 'nope')).rejects.toThrow(
      'User name or password invalid',
    );
    expect(instance.sessions.size).toBe(0);
  });

  it('answers get_user with the user once the token is sent', async () => {
    const response = await browser.fetch('/angular.do?sysparm_type=view_form.login', {
      method: 'POST',
      body: new URLSearchParams({
        sysparm_type: 'login',
        'ni.nolog.user_password': 'true',
        user_name: 'beth.anglin',
        user_password: 'demo',
      }),
    });
    expect(await response.json()).toMatchObject({ status: 'success' });
    const refused = await browser.fetch('/angular.do?sysparm_type=get_user', { method: 'POST' });
    expect(refused.status).toBe(401);
    const token = header(refused, 'x-usertoken-response')!;
    const user = await browser.fetch('/angular.do?sysparm_type=get_user', {
      method: 'POST',
      headers: { 'X-UserToken': token },
    });
    expect(user.status).toBe(200);
    expect(await user.json()).toMatchObject({ user_name: 'beth.anglin' });
    const unknown = await browser.fetch('/angular.do?sysparm_type=nothing', {
      method: 'POST',
      headers: { 'X-UserToken': token },
    });
    expect(unknown.status).toBe(400);
  });
});

describe('SSO: an ended session is not a 401', () => {
  it('redirects a REST call to the identity provider on another origin', async () => {
    await start({ sso: 'redirect' });
    const token = await browser.logIn();
    expect((await browser.fetch(LIST, { headers: { 'X-UserToken': token } })).status).toBe(200);
    await browser.fetch('/mock/end-session', { method: 'POST' });
    const response = await browser.fetch(LIST, { headers: { 'X-UserToken': token } });
    expect(response.status).toBe(302);
    const location = new URL(header(response, 'location')!);
    expect(location.origin).toBe(instance.identityProviderUrl);
    expect(location.origin).not.toBe(instance.url);
    const idp = await fetch(location);
    expect(idp.status).toBe(200);
    expect(await idp.text()).toContain('Identity provider');
    expect(instance.stats).toMatchObject({ ssoLogin: 1, unauthorized: 0 });
  });

  it('answers 200 with the HTML login page in "html" mode', async () => {
    await start({ sso: 'html' });
    const response = await browser.fetch(LIST, { headers: { 'X-UserToken': 'x' } });
    expect(response.status).toBe(200);
    expect(header(response, 'content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<form method="post" action="/login.do">');
  });

  it('still answers a live session with a stale token with the CSRF 401', async () => {
    await start({ sso: 'html' });
    await browser.logIn();
    const response = await browser.fetch(LIST, { headers: { 'X-UserToken': 'stale' } });
    expect(response.status).toBe(401);
    await configure({ sso: 'off' });
    await browser.fetch('/mock/end-session', { method: 'POST' });
    expect((await browser.fetch(LIST, { headers: { 'X-UserToken': 'x' } })).status).toBe(401);
  });
});

describe('OAuth bearer tokens (/oauth_token.do)', () => {
  beforeEach(() => start());

  const grant = (password: string) =>
    fetch(`${instance.url}/oauth_token.do`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'any-client',
        client_secret: 'x',
        username: 'abel.tuter',
        password,
      }),
    });

  it('issues a bearer token that authenticates without any CSRF token', async () => {
    const response = await grant('demo');
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 1799, scope: 'useraccount' });
    const list = await fetch(instance.url + LIST, {
      headers: { Authorization: `Bearer ${String(body['access_token'])}` },
    });
    expect(list.status).toBe(200);
    const forged = await fetch(instance.url + LIST, { headers: { Authorization: 'Bearer nope' } });
    expect(forged.status).toBe(401);
  });

  it('refuses bad credentials as an instance does', async () => {
    const response = await grant('wrong');
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: 'server_error',
      error_description: 'access_denied',
    });
  });
});

describe('OAuth grants and client authentication', () => {
  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${instance.url}/oauth_token.do`, {
      method: 'POST',
      headers,
      body: new URLSearchParams(fields),
    });
  const bearerWorks = async (body: Record<string, unknown>) =>
    (
      await fetch(instance.url + LIST, {
        headers: { Authorization: `Bearer ${String(body['access_token'])}` },
      })
    ).status === 200;
  const basicClient = (id: string, secret: string) => ({
    Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });

  it('takes the client credentials in an Authorization: Basic header (RFC 6749 §2.3.1)', async () => {
    await start({ oauthClients: [{ clientId: 'app', clientSecret: 's3cret' }] });
    const ok = await token(
      { grant_type: 'password', username: 'abel.tuter', password: 'demo' },
      basicClient('app', 's3cret'),
    );
    expect(ok.status).toBe(200);
    expect(await bearerWorks((await ok.json()) as Record<string, unknown>)).toBe(true);
    const wrongSecret = await token(
      { grant_type: 'password', username: 'abel.tuter', password: 'demo' },
      basicClient('app', 'nope'),
    );
    expect(wrongSecret.status).toBe(401);
    const unknownClient = await token({
      grant_type: 'password',
      client_id: 'other',
      client_secret: 's3cret',
      username: 'abel.tuter',
      password: 'demo',
    });
    expect(unknownClient.status).toBe(401);
  });

  it('refreshes with the refresh token it issued, for the same client only', async () => {
    await start();
    const first = (await (
      await token({
        grant_type: 'password',
        client_id: 'app',
        username: 'abel.tuter',
        password: 'demo',
      })
    ).json()) as Record<string, string>;
    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: 'app',
      refresh_token: first['refresh_token'],
    });
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as Record<string, string>;
    expect(body['access_token']).not.toBe(first['access_token']);
    expect(await bearerWorks(body)).toBe(true);
    for (const fields of [
      { grant_type: 'refresh_token', client_id: 'other', refresh_token: first['refresh_token'] },
      { grant_type: 'refresh_token', client_id: 'app', refresh_token: 'forged' },
    ]) {
      expect((await token(fields)).status).toBe(401);
    }
  });

  it('runs the client credentials grant as the user its client is declared with', async () => {
    await start({
      oauthClients: [
        { clientId: 'robot', clientSecret: 'r', user: 'beth.anglin' },
        { clientId: 'plain', clientSecret: 'p' },
      ],
    });
    const granted = await token({ grant_type: 'client_credentials' }, basicClient('robot', 'r'));
    expect(granted.status).toBe(200);
    const body = (await granted.json()) as Record<string, unknown>;
    expect(body['refresh_token']).toBeUndefined();
    expect(await bearerWorks(body)).toBe(true);
    expect(
      (await token({ grant_type: 'client_credentials' }, basicClient('plain', 'p'))).status,
    ).toBe(401);
    const unsupported = await token({ grant_type: 'authorization_code', client_id: 'robot' });
    expect(unsupported.status).toBe(400);
    expect(await unsupported.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });
});

describe('multi-factor users', () => {
  it("makes the CLI's password login fail with mfa_code_required", async () => {
    await start({ mfaUsers: ['beth.anglin'] });
    const response = await browser.fetch('/angular.do?sysparm_type=view_form.login', {
      method: 'POST',
      body: new URLSearchParams({ user_name: 'beth.anglin', user_password: 'demo' }),
    });
    expect(await response.json()).toMatchObject({ status: 'mfa_code_required' });
    expect(response.headers.has('set-cookie')).toBe(false);
    await expect(new UISession(instance.url).login('beth.anglin', 'demo')).rejects.toThrow(
      'Multi-factor authentication required',
    );
  });
});

describe('X-No-Response-Challenge (a modelled switch)', () => {
  it('leaves the challenge off a 401 to a request that asks, under any policy', async () => {
    await start({ challenge: 'always' });
    const asked = await browser.fetch(LIST, {
      headers: { 'X-UserToken': 'stale', 'X-No-Response-Challenge': 'true' },
    });
    expect(asked.status).toBe(401);
    expect(header(asked, 'www-authenticate')).toBeNull();
    const plain = await browser.fetch(LIST, { headers: { 'X-UserToken': 'stale' } });
    expect(header(plain, 'www-authenticate')).toBe('BASIC realm="Service-now"');
    expect(instance.stats).toMatchObject({ unauthorized: 2, challenged: 1 });
  });

  it('challenges it anyway when switched off', async () => {
    await start({ challenge: 'always' });
    await configure({ honourNoResponseChallenge: false });
    const asked = await browser.fetch(LIST, {
      headers: { 'X-UserToken': 'stale', 'X-No-Response-Challenge': 'true' },
    });
    expect(header(asked, 'www-authenticate')).toBe('BASIC realm="Service-now"');
  });
});

describe('the login-complete page (withReLogin)', () => {
  const PAGE = '/ngx_user_token_login_complete.do';

  it('sends a visitor without a session to the login, and hands a live session over', async () => {
    await start();
    const away = await browser.fetch(PAGE);
    expect(away.status).toBe(302);
    expect(header(away, 'location')).toBe(`/login.do?sysparm_goto=${encodeURIComponent(PAGE)}`);
    const token = await browser.logIn();
    const page = await browser.fetch(PAGE);
    expect(page.status).toBe(200);
    const html = await page.text();
    const message = /var message = (\{.*\});/.exec(html)?.[1];
    expect(JSON.parse(message!)).toEqual({
      type: 'ngx-user-token:login',
      token,
      user: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(html).toContain('window.opener.postMessage(message, location.origin)');
    expect(html).toContain("new BroadcastChannel('ngx-user-token:login')");
  });

  it('takes sysparm_goto_url on the login page, as app code links to it', async () => {
    await start();
    const login = await browser.fetch(`/login.do?sysparm_goto_url=${encodeURIComponent(PAGE)}`);
    expect(await login.text()).toContain(`name="sysparm_goto" value="${PAGE}"`);
    const offsite = await browser.fetch('/login.do?sysparm_goto_url=https%3A%2F%2Fevil.example');
    expect(await offsite.text()).toContain('name="sysparm_goto" value="/"');
  });

  it('behind single sign-on (redirect), a page visit goes to the identity provider and back', async () => {
    await start({ sso: 'redirect' });
    const away = await browser.fetch(PAGE);
    expect(away.status).toBe(302);
    const idp = new URL(header(away, 'location')!);
    expect(idp.origin).toBe(instance.identityProviderUrl);
    expect(idp.searchParams.get('RelayState')).toBe(`${instance.url}${PAGE}`);
    const html = await (await fetch(idp)).text();
    const back = /href="([^"]+)"/.exec(html)?.[1];
    expect(back).toBe(`${instance.url}/login.do?sysparm_goto=${encodeURIComponent(PAGE)}`);
  });
});

/** The cookies an answer sets, by name: `{ value, attributes }` (attributes lower-cased). */
function setCookies(response: Response): Record<string, { value: string; attributes: string }> {
  return Object.fromEntries(
    response.headers.getSetCookie().map((line) => {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      return [
        pair.slice(0, at),
        { value: pair.slice(at + 1), attributes: attributes.join(';').toLowerCase() },
      ];
    }),
  );
}

const basic = (user: string, password = 'demo') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

// What recorded instances set and say on REST answers (session/session-cookies.ts names the
// captures): a Basic call sets up a session, a refused guest gets a fresh session cookie.
describe('sessions and cookies of REST calls, as recorded instances set them', () => {
  beforeEach(() => start());

  it('answers a wrong Basic password without X-Is-Logged-In, with a fresh JSESSIONID and the glide_user cookies cleared', async () => {
    const response = await fetch(instance.url + LIST, {
      headers: { Authorization: basic('abel.tuter', 'wrong') },
    });
    expect(response.status).toBe(401);
    expect(response.headers.has('x-is-logged-in')).toBe(false);
    expect(header(response, 'x-sessionloggedin')).toBe('false');
    const cookies = setCookies(response);
    expect(Object.keys(cookies).sort()).toEqual(['JSESSIONID', 'glide_user', 'glide_user_session']);
    expect(cookies['JSESSIONID'].value).toMatch(/^[0-9A-F]{32}$/);
    // A guest's id: it names no session, so the next call with it is refused as well.
    expect(instance.sessions.isLive(cookies['JSESSIONID'].value)).toBe(false);
    for (const cleared of ['glide_user', 'glide_user_session']) {
      expect(cookies[cleared].value).toBe('');
      expect(cookies[cleared].attributes).toContain('max-age=0');
    }
  });

  it('answers a call without any credentials the same way, as the recorded curl -v shows', async () => {
    const response = await fetch(instance.url + LIST);
    expect(response.status).toBe(401);
    expect(response.headers.has('x-is-logged-in')).toBe(false);
    expect(header(response, 'server')).toBe('ServiceNow');
    expect(header(response, 'www-authenticate')).toBe('BASIC realm="Service-now"');
    expect(Object.keys(setCookies(response)).sort()).toEqual([
      'JSESSIONID',
      'glide_user',
      'glide_user_session',
    ]);
  });

  it('leaves the cookie of an ended session alone (a late 401 cannot undo a new login)', async () => {
    await browser.logIn();
    const ended = browser.cookie();
    await browser.fetch('/mock/end-session', { method: 'POST' });
    const response = await fetch(instance.url + LIST, {
      headers: { Cookie: ended, 'X-UserToken': 'x' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.has('x-is-logged-in')).toBe(false);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('sets up a session for a Basic call: JSESSIONID, glide_session_store for 1800 s, glide_user_route', async () => {
    const response = await fetch(instance.url + LIST, {
      headers: { Authorization: basic('abel.tuter') },
    });
    expect(response.status).toBe(200);
    const cookies = setCookies(response);
    expect(Object.keys(cookies).sort()).toEqual([
      'JSESSIONID',
      'glide_session_store',
      'glide_user',
      'glide_user_route',
      'glide_user_session',
    ]);
    expect(instance.sessions.peek(cookies['JSESSIONID'].value)?.userName).toBe('abel.tuter');
    expect(cookies['glide_session_store'].value).toMatch(/^[0-9A-F]{32}$/);
    expect(cookies['glide_session_store'].attributes).toContain('max-age=1800');
    expect(cookies['glide_user_route'].value).toMatch(/^glide\.[0-9a-f]{32}$/);
    expect(cookies['glide_user_route'].attributes).toContain('max-age=2147483647');
    expect(cookies['glide_user'].attributes).toContain('max-age=0');
    expect(cookies['glide_user_session'].attributes).toContain('max-age=0');
  });

  it('keeps that session for the calls that send its cookie back, the same user’s only', async () => {
    const abel = client(instance.url);
    const first = await abel.fetch(LIST, { headers: { Authorization: basic('abel.tuter') } });
    const session = setCookies(first)['JSESSIONID'].value;
    const store = setCookies(first)['glide_session_store'].value;
    const sessions = instance.sessions.size;
    const again = await abel.fetch(LIST, { headers: { Authorization: basic('abel.tuter') } });
    expect(again.status).toBe(200);
    expect(setCookies(again)['JSESSIONID']).toBeUndefined();
    expect(setCookies(again)['glide_session_store'].value).toBe(store);
    expect(instance.sessions.size).toBe(sessions);
    // Another user's credentials with that cookie: a session of their own.
    const beth = await abel.fetch(LIST, { headers: { Authorization: basic('beth.anglin') } });
    const hers = setCookies(beth)['JSESSIONID'].value;
    expect(hers).not.toBe(session);
    expect(instance.sessions.peek(hers)?.userName).toBe('beth.anglin');
  });

  it('ends a Basic call’s session after 30 minutes without activity', async () => {
    await instance.close();
    let now = Date.UTC(2026, 10, 1);
    await start({ clock: () => now });
    const response = await fetch(instance.url + LIST, {
      headers: { Authorization: basic('abel.tuter') },
    });
    const id = setCookies(response)['JSESSIONID'].value;
    now += 29 * 60_000;
    expect(instance.sessions.isLive(id)).toBe(true);
    now += 60_000;
    expect(instance.sessions.isLive(id)).toBe(false);
  });
});
