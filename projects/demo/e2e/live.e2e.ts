// Live lists (ngx-user-token/live) in the browser, against the mock's message bus: another
// user's edit shows in the list within a second, over a WebSocket and over long-polling; a token
// rotation keeps the connection (no new handshake, one session setup with the new token); a
// session end is one session-expired, no reconnect loop, and the list is live again after the
// login. Select with -g 'live'.
import { mkdirSync, writeFileSync } from 'node:fs';

import { APIRequestContext, expect, Page, test } from '@playwright/test';

import { answerLoginPrompts, logIn, logInAgainInPopup } from './browser';

test.describe.configure({ mode: 'serial' });

const measured: Record<string, unknown> = {};
test.afterAll(() => {
  mkdirSync('artifacts', { recursive: true });
  writeFileSync('artifacts/felt-live.json', `${JSON.stringify(measured, null, 2)}\n`);
});

test.afterEach(async ({ request }) => {
  await request.post('/mock/config', { data: { challenge: 'missing-token' } });
});

interface BusCounts {
  busHandshakes: number;
  busConnects: number;
  busSessionSetups: number;
  busMessages: number;
}

async function busCounts(request: APIRequestContext): Promise<BusCounts> {
  return (await (await request.get('/mock/stats')).json()) as BusCounts;
}

/**
 * Another user (Beth, itil) with a session of her own, editing through the Table API with her
 * session token — a client that opens no message bus of its own, so the bus counts stay Abel's.
 */
async function otherUser(playwright: typeof import('@playwright/test'), baseURL: string) {
  const api = await playwright.request.newContext({ baseURL });
  const login = await api.post('/login.do', {
    form: { user_name: 'beth.anglin', user_password: 'demo' },
    maxRedirects: 0,
  });
  expect(login.status()).toBe(302);
  const token = await (await api.get('/user_token.do')).text();
  return {
    /** PATCHes an incident as Beth; resolves with the time it answered. */
    async edit(sysId: string, body: Record<string, string>): Promise<number> {
      const response = await api.patch(`/api/now/table/incident/${sysId}`, {
        headers: { 'X-UserToken': token },
        data: body,
      });
      expect(response.status()).toBe(200);
      return Date.now();
    },
    close: () => api.dispose(),
  };
}

/** The token each `/amb_session_setup.do` the page sends carries, as they are sent. */
function setupRequests(page: Page): (string | null)[] {
  const setups: (string | null)[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/amb_session_setup.do') {
      setups.push(r.headers()['x-usertoken'] ?? null);
    }
  });
  return setups;
}

/** Abel's demo page, its list live. */
async function openLive(page: Page, transport: 'websocket' | 'long-polling') {
  await logIn(page, `/?transport=${transport}`);
  await expect(page.getByTestId('live-state')).toHaveText('Live updates: connected');
}

const firstRow = (page: Page) => page.locator('[data-testid=incidents] tbody tr').first();

/** Beth edits the first row of Abel's list: it shows the edit, without a reload, once. */
async function expectLive(
  page: Page,
  playwright: typeof import('@playwright/test'),
  baseURL: string,
  label: string,
): Promise<void> {
  const beth = await otherUser(playwright, baseURL);
  try {
    const row = firstRow(page);
    const number = await row.locator('td.number').textContent();
    const text = `${label} ${Date.now()}`;
    await beth.edit((await row.getAttribute('data-sys-id'))!, { short_description: text });
    await expect(row).toContainText(text, { timeout: 10_000 });
    // Delivered once: no subscription left over from before a rotation or a re-login.
    const deliveries = page.locator('[data-testid=log] li', { hasText: `live: change ${number}` });
    await page.waitForTimeout(300);
    expect(await deliveries.count()).toBe(1);
  } finally {
    await beth.close();
  }
}

for (const transport of ['websocket', 'long-polling'] as const) {
  test(`live (${transport}): another user's edit shows without a reload; a resolved row goes`, async ({
    page,
    playwright,
    baseURL,
  }) => {
    await openLive(page, transport);
    const beth = await otherUser(playwright, baseURL!);
    try {
      const row = firstRow(page);
      const sysId = (await row.getAttribute('data-sys-id'))!;
      const text = `Edited by Beth over ${transport} ${Date.now()}`;
      const sent = await beth.edit(sysId, { short_description: text });
      // How fast is the bench's to say (bench/live.mjs); here, that it comes with no reload at all.
      await expect(row).toContainText(text, { timeout: 10_000 });
      const latency = Date.now() - sent;
      await expect(row).toHaveAttribute('data-changed', '');
      measured[`edit shown (${transport})`] = { latencyMs: latency };

      await beth.edit(sysId, { state: '6' }); // resolved: no longer active
      await expect(page.locator(`[data-sys-id="${sysId}"]`)).toHaveCount(0, { timeout: 10_000 });
      await beth.edit(sysId, { state: '2' }); // back in progress: it enters again
      await expect(page.locator(`[data-sys-id="${sysId}"]`)).toHaveCount(1, { timeout: 10_000 });
    } finally {
      await beth.close();
    }
  });
}

test('live: a token rotation keeps the connection — no new handshake, one session setup with the new token', async ({
  page,
  playwright,
  baseURL,
  request,
}) => {
  await openLive(page, 'websocket');
  const setups = setupRequests(page);
  await request.post('/mock/stats/reset');
  await page.getByTestId('rotate').click();
  await expect(page.getByTestId('log')).toContainText('session token rotated');
  await page.getByTestId('reload').click(); // the next request meets the new token
  await expect.poll(async () => (await busCounts(request)).busSessionSetups).toBe(1);
  const token = await page.evaluate(() => (window as unknown as { g_ck: string }).g_ck);
  expect(setups).toEqual([token]);
  expect((await busCounts(request)).busHandshakes).toBe(0);

  await expectLive(page, playwright, baseURL!, 'After the rotation');
  const after = await busCounts(request);
  measured['token rotation'] = { handshakes: after.busHandshakes, sessionSetups: setups.length };
  expect(after.busHandshakes).toBe(0);
});

test('live: a session end is one session-expired and no reconnect loop; live again after the login', async ({
  page,
  playwright,
  baseURL,
  request,
}) => {
  // Under the strictest challenge policy: the setup's 401 must not open the login dialog either.
  await request.post('/mock/config', { data: { challenge: 'always' } });
  const prompts = await answerLoginPrompts(page);
  await openLive(page, 'websocket');
  const setups = setupRequests(page);
  await request.post('/mock/stats/reset');
  await page.getByTestId('end-session').click();
  await expect(page.getByTestId('live-state')).toHaveText('Live updates: ended');
  await expect(page.getByTestId('session-expired')).toBeVisible();
  // Each session-expired event is one log line saying requests wait for a login.
  const expired = page.locator('[data-testid=log] li', { hasText: 'requests wait for a login' });
  await page.waitForTimeout(10_000);
  const quiet = await busCounts(request);
  measured['session end, 10 s'] = {
    handshakes: quiet.busHandshakes,
    connects: quiet.busConnects,
    sessionSetupsSent: setups.length,
    sessionSetupsAccepted: quiet.busSessionSetups,
    sessionExpiredEvents: await expired.count(),
    loginDialogs: prompts.length,
  };
  // One setup asked whether the session lives on; its 401 is the one session-expired.
  expect(setups.length).toBe(1);
  expect(quiet.busSessionSetups).toBe(0);
  expect(prompts).toEqual([]);
  expect(await expired.count()).toBe(1);
  expect(quiet.busHandshakes).toBe(0);
  expect(quiet.busConnects).toBeLessThanOrEqual(2); // the one the end answered, the one it holds

  await logInAgainInPopup(page);
  await expect(page.getByTestId('live-state')).toHaveText('Live updates: connected');

  await expectLive(page, playwright, baseURL!, 'After the login');
  expect((await busCounts(request)).busHandshakes).toBe(0);
});
