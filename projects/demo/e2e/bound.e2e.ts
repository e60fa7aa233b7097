// The session token is bound to the page's user and to the instance's origin, seen in a browser:
// another user logging in in another tab of the same browser (the tabs share the session cookie)
// gets none of this page's writes, and a redirect never takes the token to another origin.
// Select with -g bound.
import { once } from 'node:events';
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo, createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';

import { Page } from '@playwright/test';
import type { MockInstance } from 'ngx-user-token-mock-instance';
import { expect, test as base } from 'ngx-user-token-mock-instance/playwright';

import { answerLoginPrompts, LIST_PATH, listNumbers, logIn, reloadList } from './browser';

/** What the second origin received: every request, as it came. */
interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** Another origin on loopback (`http://evil.test:<port>`) that records what reaches it. */
interface OtherOrigin {
  readonly url: string;
  readonly received: Received[];
}

const test = base.extend<{ otherOrigin: OtherOrigin }>({
  // eslint-disable-next-line no-empty-pattern
  otherOrigin: async ({}, use) => {
    const received: Received[] = [];
    // As permissive as a site can be: whatever a browser asks to send or read, it may.
    const server = createServer((req, res) => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      if (req.method === 'OPTIONS') {
        res.setHeader(
          'Access-Control-Allow-Headers',
          req.headers['access-control-request-headers'] ?? '*',
        );
        res.setHeader(
          'Access-Control-Allow-Methods',
          req.headers['access-control-request-method'] ?? '*',
        );
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"result":[]}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await use({ url: `http://evil.test:${port}`, received });
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  },
});

const APP_HOST = 'app.test';

test.use({
  // The demo as the instance serves it, on a name of its own: two hosts, two origins, cookies
  // that stay with the instance's host.
  mockInstanceOptions: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const port = await freePort();
      await use({
        appDir: resolve(__dirname, '../../../dist/demo/browser'),
        port,
        allowedHosts: [APP_HOST],
        // The demo's own control buttons and its message bus: the page's origin is not loopback.
        allowedOrigins: [`http://${APP_HOST}:${port}`],
      });
    },
    { scope: 'worker' },
  ],
  launchOptions: async ({ launchOptions }, use) => {
    await use({
      ...launchOptions,
      args: [
        ...(launchOptions.args ?? []),
        `--host-resolver-rules=MAP ${APP_HOST} 127.0.0.1, MAP evil.test 127.0.0.1`,
      ],
    });
  },
});

/** A port free now on loopback, for an instance that must know its origin before it listens. */
async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

const appUrl = (instance: MockInstance) => `http://${APP_HOST}:${instance.port}`;

const NOT_SAVED_OTHER_USER =
  'Not saved: another user logged in. Reload the page to work as that user.';

/** Every request of a page that was answered: method, origin and path, the token it carried. */
interface Sent {
  readonly method: string;
  readonly origin: string;
  readonly path: string;
  readonly token: string | null;
}

function recordSent(page: Page): Sent[] {
  const sent: Sent[] = [];
  // Answered requests only: for a redirect not followed, Chromium also reports the request to
  // where it led, aborted before it left (net::ERR_ABORTED), which no server received.
  page.on('response', (response) => {
    const request = response.request();
    const url = new URL(request.url());
    sent.push({
      method: request.method(),
      origin: url.origin,
      path: url.pathname,
      token: request.headers()['x-usertoken'] ?? null,
    });
  });
  return sent;
}

const pageToken = (page: Page) => page.evaluate(() => (window as { g_ck?: string }).g_ck);

/** The sys_user question the library asks with a token before it uses it (`askUser`). */
const USER_QUESTION = 'GET /api/now/table/sys_user';

/**
 * What a page sent with another user's token: only the question whose session it is, or nothing.
 * Recorded on the test's report as what was seen.
 */
function expectOnlyTheQuestionWith(sent: Sent[], token: string): Sent[] {
  const withToken = sent.filter((s) => s.token === token);
  const seen = withToken.map((s) => `${s.method} ${s.path}`);
  expect(new Set(seen)).toEqual(new Set(seen.length ? [USER_QUESTION] : []));
  const writes = sent.filter((s) => s.method === 'POST' && s.path === LIST_PATH);
  test.info().annotations.push({
    type: 'seen',
    description: `POSTs ${writes.length}; requests with the other user's token ${withToken.length}: ${seen.join(', ')}`,
  });
  return withToken;
}

/**
 * Abel's page, whose session then ends (the banner shows), with a write typed and held for the
 * re-login: his token, what the page sends from now on, and the write's text.
 */
async function writeHeldAfterTheEnd(page: Page, instance: MockInstance, label: string) {
  await logIn(page, `${appUrl(instance)}/`);
  const abels = await pageToken(page);
  const sent = recordSent(page);
  expect(await instance.control.endSession('abel.tuter')).toBe(1);
  await page.getByTestId('reload').click();
  await expect(page.getByTestId('session-expired')).toContainText('waits for you');
  const text = `Bound to Abel, ${label} ${Date.now()}`;
  await page.getByTestId('short-description').fill(text);
  await page.getByTestId('create').click();
  await expect(page.getByTestId('saving')).toHaveText('Waiting for you to log in again…');
  return { abels, sent, text };
}

/** The incidents with `text` as their short description, and who opened them, asked as admin. */
async function incidentsNamed(
  instance: MockInstance,
  text: string,
): Promise<{ number: string; opened_by: string }[]> {
  const query = new URLSearchParams({
    sysparm_query: `short_description=${text}`,
    sysparm_fields: 'number,opened_by',
  });
  const response = await fetch(`${instance.url}${LIST_PATH}?${query}`, {
    headers: { Authorization: `Basic ${Buffer.from('admin:demo').toString('base64')}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { result: { number: string; opened_by: string }[] }).result;
}

/**
 * Logs `user` in, in another page of the browser, through the instance's login page; `goto` is
 * where the login leads (by default the token page: no app there). Resolves to that user's token,
 * read from the token page with the browser's session cookie (from Node: the test's process does
 * not resolve the page's host name).
 */
async function logInElsewhere(
  other: Page,
  instance: MockInstance,
  user: string,
  goto = '/user_token.do',
): Promise<string> {
  const app = appUrl(instance);
  await other.goto(`${app}/login.do?sysparm_goto=${encodeURIComponent(goto)}`);
  await other.getByLabel('User name').fill(user);
  await other.getByLabel('Password').fill('demo');
  await other.getByRole('button', { name: 'Log in' }).click();
  await expect(other).toHaveURL(`${app}${goto}`);
  const cookies = await other.context().cookies(app);
  const tokenPage = await fetch(`${instance.url}/user_token.do`, {
    headers: { Cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') },
    redirect: 'manual',
  });
  expect(tokenPage.status).toBe(200);
  return (await tokenPage.text()).trim();
}

test.describe('bound to the page’s user', () => {
  test('bound: another user logging in in another tab gets none of the page’s writes, and the page says why', async ({
    page,
    context,
    instance,
  }) => {
    const app = appUrl(instance);
    await logIn(page, `${app}/`);
    const abels = await pageToken(page);
    const sent = recordSent(page);

    const bethsToken = await logInElsewhere(await context.newPage(), instance, 'beth.anglin');
    expect(bethsToken).toMatch(/^\w+$/);
    expect(bethsToken).not.toBe(abels);

    const text = `Bound to Abel, a tab ${Date.now()}`;
    await page.getByTestId('short-description').fill(text);
    await page.getByTestId('create').click();
    await expect(page.getByTestId('create-error')).toHaveText(NOT_SAVED_OTHER_USER);
    await expect(page.getByTestId('session-expired')).toContainText('Another user logged in');
    await expect(page.getByTestId('short-description')).toHaveValue(text); // the form keeps it

    expect(await incidentsNamed(instance, text)).toEqual([]);
    expect(await pageToken(page)).toBe(abels);
    // The write left once, with Abel's token; Beth's token went only with the question whose
    // session it is, and that was asked.
    const writes = sent.filter((s) => s.method === 'POST' && s.path === LIST_PATH);
    expect(writes.map((s) => s.token)).toEqual([abels]);
    expect(expectOnlyTheQuestionWith(sent, bethsToken).length).toBeGreaterThan(0);
  });

  test('bound: the app open as another user in another tab moves no token over, and gets none of the page’s writes', async ({
    page,
    context,
    instance,
  }) => {
    const app = appUrl(instance);
    await logIn(page, `${app}/`);
    const abels = await pageToken(page);
    const sent = recordSent(page);
    // What the tabs announce on the channel the library's tab sync uses (withCrossTabSync).
    await page.evaluate(() => {
      const heard: unknown[] = [];
      (window as { heard?: unknown[] }).heard = heard;
      new BroadcastChannel('ngx-user-token:g_ck').onmessage = (event) => heard.push(event.data);
    });

    const beths = await context.newPage();
    const bethsToken = await logInElsewhere(beths, instance, 'beth.anglin', '/');
    await expect(beths.getByTestId('user')).toHaveText('Beth Anglin');
    expect(bethsToken).not.toBe(abels);
    // Beth's tab announced her token to Abel's (after the library's own listener, which opened
    // its channel first, had it): Abel's tab did not take it.
    await expect
      .poll(() =>
        page.evaluate(() =>
          ((window as { heard?: { token?: string }[] }).heard ?? []).map((m) => m.token),
        ),
      )
      .toContain(bethsToken);
    expect(await pageToken(page)).toBe(abels);

    const text = `Bound to Abel, the app in a tab ${Date.now()}`;
    await page.getByTestId('short-description').fill(text);
    await page.getByTestId('create').click();
    await expect(page.getByTestId('create-error')).toHaveText(NOT_SAVED_OTHER_USER);
    await expect(page.getByTestId('session-expired')).toContainText('Another user logged in');

    expect(await incidentsNamed(instance, text)).toEqual([]);
    expect(await pageToken(page)).toBe(abels);
    expect(expectOnlyTheQuestionWith(sent, bethsToken).length).toBeGreaterThan(0);
    const writes = sent.filter((s) => s.method === 'POST' && s.path === LIST_PATH);
    expect(writes.every((s) => s.token === abels)).toBe(true);
    // Beth's tab goes on as Beth.
    await reloadList(beths);
    await expect(beths.getByTestId('incidents')).toBeVisible();
  });

  test('bound: after the session ended, a login that brings back another user’s session sends nothing, and the page says why', async ({
    page,
    context,
    instance,
  }) => {
    const { abels, sent, text } = await writeHeldAfterTheEnd(page, instance, 'after the end');

    const bethsToken = await logInElsewhere(await context.newPage(), instance, 'beth.anglin');
    // Abel logs in again: the browser's session is Beth's now, and the login window hands the
    // page her session (the login-complete page), without asking for a password.
    const opened = page.waitForEvent('popup');
    await page.getByTestId('relogin').click();
    const popup = await opened;
    // The login-complete page closes its window itself, perhaps before a listener could see it.
    await expect.poll(() => popup.isClosed()).toBe(true);

    await expect(page.getByTestId('create-error')).toHaveText(NOT_SAVED_OTHER_USER);
    await expect(page.getByTestId('session-expired')).toContainText('Another user logged in');
    expect(await pageToken(page)).toBe(abels);
    // Saving once more fails at once: nothing leaves.
    await page.getByTestId('create').click();
    await expect(page.getByTestId('create-error')).toHaveText(NOT_SAVED_OTHER_USER);

    expect(await incidentsNamed(instance, text)).toEqual([]);
    expect(sent.filter((s) => s.method === 'POST' && s.path === LIST_PATH)).toEqual([]);
    expect(sent.filter((s) => s.token === bethsToken)).toEqual([]);
  });

  test('bound: after the session ended, another user’s login in another tab that tells the tabs (login-complete page) sends nothing', async ({
    page,
    context,
    instance,
  }) => {
    const { abels, sent, text } = await writeHeldAfterTheEnd(page, instance, 'told by a tab');

    // Beth's login ends on the login-complete page, which tells every tab of the origin whose
    // session the browser has now (the ngx-user-token:login channel).
    const bethsToken = await logInElsewhere(
      await context.newPage(),
      instance,
      'beth.anglin',
      '/ngx_user_token_login_complete.do',
    );
    await expect(page.getByTestId('create-error')).toHaveText(NOT_SAVED_OTHER_USER);
    await expect(page.getByTestId('session-expired')).toContainText('Another user logged in');
    expect(await pageToken(page)).toBe(abels);
    expect(await incidentsNamed(instance, text)).toEqual([]);
    expect(sent.filter((s) => s.method === 'POST' && s.path === LIST_PATH)).toEqual([]);
    expect(sent.filter((s) => s.token === bethsToken)).toEqual([]);
  });
});

test.describe('bound to the instance’s origin', () => {
  /** Abel's page with the list shown; the login dialogs a person would see are counted. */
  async function openApp(page: Page, instance: MockInstance) {
    const prompts = await answerLoginPrompts(page);
    await logIn(page, `${appUrl(instance)}/`);
    return { prompts, token: await pageToken(page), sent: recordSent(page) };
  }

  /** The token headers that reached the other origin, or that a preflight asked to send there. */
  const tokensAt = (other: OtherOrigin) =>
    other.received.filter(
      (r) =>
        r.headers['x-usertoken'] !== undefined ||
        /x-usertoken/i.test(String(r.headers['access-control-request-headers'] ?? '')),
    );

  /**
   * What reached the other origin beyond a bodiless look (the library learns where a redirect
   * leads with a HEAD, without the token): a request that could carry a body, or the instance's
   * session cookie.
   */
  const bodiesOrCookiesAt = (other: OtherOrigin) =>
    other.received
      .filter((r) => !/^(HEAD|OPTIONS)$/.test(r.method) || r.headers.cookie !== undefined)
      .map((r) => `${r.method} ${r.path}`);

  const seen = (other: OtherOrigin) =>
    `other origin received ${other.received.length}: ${other.received.map((r) => `${r.method} ${r.path.split('?')[0]} (${Object.keys(r.headers).join(' ')})`).join('; ')}`;

  test('bound: a GET the instance redirects (302) to another origin fails with Redirect not followed, and the token never gets there', async ({
    page,
    instance,
    otherOrigin,
  }) => {
    const { token, sent, prompts } = await openApp(page, instance);
    await instance.control.redirect({
      path: LIST_PATH,
      location: `${otherOrigin.url}/collect`,
      status: 302,
    });
    await reloadList(page);
    await expect(page.getByTestId('list-error')).toContainText(
      'The instance redirected the request elsewhere: Redirect not followed.',
    );

    expect(tokensAt(otherOrigin)).toEqual([]);
    const evil = new URL(otherOrigin.url).origin;
    expect(sent.filter((s) => s.origin === evil && s.token !== null)).toEqual([]);
    // The list's GET left once with the token, to the instance only.
    const lists = sent.filter((s) => s.method === 'GET' && s.path === LIST_PATH && s.token);
    expect(lists.map((s) => [s.origin, s.token])).toEqual([[appUrl(instance), token]]);
    expect(bodiesOrCookiesAt(otherOrigin)).toEqual([]);
    expect(prompts).toEqual([]);
    test.info().annotations.push({ type: 'seen', description: seen(otherOrigin) });
  });

  test('bound: a write the instance redirects (307) to another origin fails with Redirect not followed; neither it nor the token gets there', async ({
    page,
    instance,
    otherOrigin,
  }) => {
    const { token, sent, prompts } = await openApp(page, instance);
    await instance.control.redirect({
      path: LIST_PATH,
      location: `${otherOrigin.url}/collect`,
      status: 307,
    });
    const text = `Redirected write ${Date.now()}`;
    await page.getByTestId('short-description').fill(text);
    await page.getByTestId('create').click();
    await expect(page.getByTestId('create-error')).toHaveText(
      'Not saved: the instance redirected it elsewhere (Redirect not followed).',
    );

    expect(tokensAt(otherOrigin)).toEqual([]);
    expect(bodiesOrCookiesAt(otherOrigin)).toEqual([]);
    const evil = new URL(otherOrigin.url).origin;
    expect(sent.filter((s) => s.origin === evil && s.token !== null)).toEqual([]);
    const writes = sent.filter((s) => s.method === 'POST');
    expect(writes.map((s) => [s.origin, s.path, s.token])).toEqual([
      [appUrl(instance), LIST_PATH, token],
    ]);
    await instance.control.clearRedirects();
    expect(await incidentsNamed(instance, text)).toEqual([]);
    expect(prompts).toEqual([]);
    test.info().annotations.push({ type: 'seen', description: seen(otherOrigin) });
  });

  test('bound: a GET the instance redirects within itself goes on there with the token', async ({
    page,
    instance,
  }) => {
    const { token, sent, prompts } = await openApp(page, instance);
    const before = await listNumbers(page);
    expect(before.length).toBeGreaterThan(0);
    const moved = '/api/now/v2/table/incident';
    await instance.control.redirect({ path: LIST_PATH, location: moved, status: 302 });
    await reloadList(page);
    await expect(page.getByTestId('incidents')).toBeVisible();
    expect(await listNumbers(page)).toEqual(before);

    const app = appUrl(instance);
    expect(sent.every((s) => s.origin === app || s.token === null)).toBe(true);
    const calls = sent
      .filter((s) => s.path === LIST_PATH || s.path === moved)
      .map((s) => `${s.method} ${s.path} ${s.token === token ? 'with' : 'without'} the token`);
    // Sent with the token, redirected; followed without it to learn where; sent there with it.
    const { challenged } = await instance.control.stats();
    test.info().annotations.push({
      type: 'seen',
      description: `${calls.join('; ')}; login dialogs: ${prompts.join(', ') || 'none'}; challenged 401s: ${challenged}`,
    });
    expect(calls[0]).toBe(`GET ${LIST_PATH} with the token`);
    expect(calls.at(-1)).toBe(`GET ${moved} with the token`);
    expect(calls.filter((c) => c.includes('with the token'))).toHaveLength(2);
    // The look at where the redirect leads goes without the token: it must not make the
    // browser open its login dialog (a 401 challenge), as no request of the library does.
    expect(prompts).toEqual([]);
  });
});
