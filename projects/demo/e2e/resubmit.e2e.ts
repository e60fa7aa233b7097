// The instance's resubmit protocol in a real browser: for each scenario, what a person would feel —
// 401s, retries, token page fetches, and the browser's own login dialogs (KB0565021's symptom) —
// under the mock instance's challenge policies. docs/guarantees.md quotes these counts.
import { mkdirSync, writeFileSync } from 'node:fs';

import { APIRequestContext, expect, Page, test } from '@playwright/test';

import { answerLoginPrompts, LIST_PATH, logIn, record, reloadList } from './browser';

type Policy = 'missing-token' | 'always';

interface Felt {
  unauthorized: number;
  retries: number;
  tokenPage: number;
  prompts: number;
}

const measured: Record<string, Felt> = {};

/** Switches the mock instance (its switches are instance-wide); the page's cookie is not needed. */
async function configure(request: APIRequestContext, config: Record<string, unknown>) {
  const response = await request.post('/mock/config', { data: config });
  expect(response.status()).toBe(200);
}

async function stats(request: APIRequestContext) {
  return (await (await request.get('/mock/stats')).json()) as {
    unauthorized: number;
    challenged: number;
    tokenPage: number;
  };
}

/**
 * Runs `act` on a logged-in page and measures what it made the person feel, counted from the
 * instance's side (401s, token page fetches), the page's log (retries) and the browser (prompts).
 */
async function measure(
  name: string,
  page: Page,
  request: APIRequestContext,
  act: () => Promise<void>,
  path = '/',
): Promise<Felt> {
  const prompts = await answerLoginPrompts(page);
  await logIn(page, path);
  await request.post('/mock/stats/reset');
  const retries = page.locator('[data-testid=log] li', { hasText: 'retried once' });
  const retriesBefore = await retries.count();
  await act();
  const after = await stats(request);
  const felt = {
    unauthorized: after.unauthorized,
    retries: (await retries.count()) - retriesBefore,
    tokenPage: after.tokenPage,
    prompts: prompts.length,
  };
  // Every prompt the browser showed came from a 401 the instance sent with the challenge.
  expect(after.challenged).toBe(felt.prompts);
  measured[name] = felt;
  return felt;
}

async function rotate(page: Page): Promise<void> {
  await page.getByTestId('rotate').click();
  await expect(page.getByTestId('log')).toContainText('session token rotated');
}

const DEFAULTS = {
  tokenResponseHeader: true,
  allowResubmit: true,
  challenge: 'missing-token',
  sso: 'off',
};

test.describe.configure({ mode: 'serial' });

test.afterEach(async ({ request }) => {
  await configure(request, DEFAULTS);
});

test.afterAll(() => {
  mkdirSync('artifacts', { recursive: true });
  writeFileSync('artifacts/felt-by-scenario.json', `${JSON.stringify(measured, null, 2)}\n`);
});

// Each policy with the library's X-No-Response-Challenge: true (its default), and `always`
// without it (`?noResponseChallenge=false`): the header is what keeps `always` from prompting.
const CASES: [Policy, boolean][] = [
  ['missing-token', true],
  ['always', true],
  ['always', false],
];
for (const [challenge, asks] of CASES) {
  const prompt = challenge === 'always' && !asks ? 1 : 0;
  const policy = asks ? challenge : (`${challenge}, no X-No-Response-Challenge` as Policy);
  // The HTTP path alone: the live list's session setup would add its own request at a session end.
  const path = asks ? '/?live=off' : '/?live=off&noResponseChallenge=false';

  test(`steady state: no 401, no prompt (challenge ${policy})`, async ({ page, request }) => {
    await configure(request, { challenge });
    const felt = await measure(
      `steady state, ${policy}`,
      page,
      request,
      async () => {
        for (let i = 0; i < 3; i++) {
          await reloadList(page);
        }
      },
      path,
    );
    expect(felt).toEqual({ unauthorized: 0, retries: 0, tokenPage: 0, prompts: 0 });
  });

  test(`rotation with X-UserToken-Response (challenge ${policy})`, async ({ page, request }) => {
    await configure(request, { challenge });
    const felt = await measure(
      `rotation, named token, ${policy}`,
      page,
      request,
      async () => {
        await rotate(page);
        await reloadList(page);
        await expect(page.getByTestId('incidents')).toBeVisible();
      },
      path,
    );
    expect(felt).toEqual({ unauthorized: 1, retries: 1, tokenPage: 0, prompts: prompt });
  });

  test(`rotation, token page only (challenge ${policy})`, async ({ page, request }) => {
    await configure(request, { challenge, tokenResponseHeader: false });
    const felt = await measure(
      `rotation, token page, ${policy}`,
      page,
      request,
      async () => {
        await rotate(page);
        await reloadList(page);
        await expect(page.getByTestId('incidents')).toBeVisible();
      },
      path,
    );
    expect(felt).toEqual({ unauthorized: 1, retries: 1, tokenPage: 1, prompts: prompt });
  });

  test(`X-UserToken-AllowResubmit: false (challenge ${policy})`, async ({ page, request }) => {
    await configure(request, { challenge, allowResubmit: false });
    const felt = await measure(
      `resubmit forbidden, ${policy}`,
      page,
      request,
      async () => {
        await rotate(page);
        await reloadList(page);
        await expect(page.getByTestId('list-error')).toBeVisible();
        await expect(page.getByTestId('log')).toContainText('forbids a resubmit');
        // The 401's token was adopted: the next load goes through at once.
        await reloadList(page);
        await expect(page.getByTestId('incidents')).toBeVisible();
      },
      path,
    );
    expect(felt).toEqual({ unauthorized: 1, retries: 0, tokenPage: 0, prompts: prompt });
  });

  test(`session ended, X-SessionLoggedIn: false (challenge ${policy})`, async ({
    page,
    request,
  }) => {
    await configure(request, { challenge });
    const felt = await measure(
      `session ended, ${policy}`,
      page,
      request,
      async () => {
        await page.getByTestId('end-session').click();
        await expect(page.getByTestId('log')).toContainText('session ended');
        await page.getByTestId('reload').click();
        await expect(page.getByTestId('session-expired')).toBeVisible();
        await page.waitForTimeout(1000); // nothing more is sent: no loop
      },
      path,
    );
    expect(felt).toEqual({ unauthorized: 1, retries: 0, tokenPage: 0, prompts: prompt });
  });
}

for (const sso of ['html', 'redirect']) {
  test(`SSO, session ended, answered with a login page (${sso})`, async ({ page, request }) => {
    const felt = await measure(`SSO ${sso}`, page, request, async () => {
      await configure(request, { sso });
      await page.getByTestId('end-session').click();
      await expect(page.getByTestId('log')).toContainText('session ended');
      await page.getByTestId('reload').click();
      await expect(page.getByTestId('session-expired')).toBeVisible();
      await expect(page.getByTestId('log')).toContainText('a login page came instead of JSON');
      await page.waitForTimeout(1000);
      expect((await stats(request)).unauthorized).toBe(0);
    });
    expect(felt).toEqual({ unauthorized: 0, retries: 0, tokenPage: 0, prompts: 0 });
  });
}

test('a second tab that logged in again: the first tab switches with no 401 and no prompt', async ({
  context,
  request,
}) => {
  const first = await context.newPage();
  const felt = await measure('other tab logged in again', first, request, async () => {
    const before = await first.getByTestId('token').textContent();
    const second = await context.newPage();
    await second.goto('/login.do'); // a new login: a new session, a new token, a new cookie
    await second.getByLabel('User name').fill('abel.tuter');
    await second.getByLabel('Password').fill('demo');
    await second.getByRole('button', { name: 'Log in' }).click();
    await expect(second.getByTestId('incidents')).toBeVisible();
    await expect(first.getByTestId('log')).toContainText('by another tab of this session');
    await expect(first.getByTestId('token')).not.toHaveText(before!);
    await reloadList(first);
    await expect(first.getByTestId('incidents')).toBeVisible();
    await second.close();
  });
  expect(felt).toEqual({ unauthorized: 0, retries: 0, tokenPage: 0, prompts: 0 });
});

test('a page with no token at all recovers on its first request with no prompt', async ({
  page,
  request,
}) => {
  // The page's inline `window.g_ck = ...` is lost (as when a UI page forgot it); later writes stick.
  await page.addInitScript(() => {
    let ignored = false;
    Object.defineProperty(window, 'g_ck', {
      configurable: true,
      get: () => undefined,
      set(value: unknown) {
        if (!ignored) {
          ignored = true;
          return;
        }
        Object.defineProperty(window, 'g_ck', { value, writable: true, configurable: true });
      },
    });
  });
  const prompts = await answerLoginPrompts(page);
  const exchanges = record(page);
  await request.post('/mock/stats/reset');
  await logIn(page); // its first requests carry the placeholder, 401 once each, and are retried
  await expect(page.getByTestId('user')).toHaveText('Abel Tuter');
  const placeholder = exchanges.filter((e) => e.token === 'token_intentionally_left_blank');
  const after = await stats(request);
  // The app's start-up requests (the counters, the list, the user's name) leave together, before
  // any token: the three on the wire carry the placeholder and get a 401; the rest wait in the
  // browser and leave after the refresh with the token. Each ends in exactly one 200.
  expect(placeholder.length).toBeGreaterThan(0);
  expect(placeholder.length).toBeLessThanOrEqual(3);
  expect(placeholder.map((e) => e.status)).toEqual(placeholder.map(() => 401));
  expect(after.unauthorized).toBe(placeholder.length);
  const answered = exchanges.filter((e) => e.status === 200);
  expect(answered).toHaveLength(exchanges.length - placeholder.length);
  expect(answered.every((e) => e.token !== 'token_intentionally_left_blank')).toBe(true);
  expect(prompts).toEqual([]);
  measured['no token on the page (per start-up request)'] = {
    unauthorized: after.unauthorized / placeholder.length,
    retries: 1,
    tokenPage: after.tokenPage,
    prompts: prompts.length,
  };

  // The control: what the browser does to a request that carries no X-UserToken at all.
  const bare = await page.evaluate(async (path) => (await fetch(path)).status, LIST_PATH);
  expect(bare).toBe(401);
  expect(prompts).toEqual([LIST_PATH]);
  measured['request with no X-UserToken at all'] = {
    unauthorized: 1,
    retries: 0,
    tokenPage: 0,
    prompts: 1,
  };
});
