// Logging in again without losing anything (withReLogin): the session ends while the user types,
// the write is held, the user logs in again in a popup, and the write runs exactly once — or,
// when no login comes or another user logs in, fails and nothing runs. Select with -g 're-login'.
import { mkdirSync, writeFileSync } from 'node:fs';

import { APIRequestContext, expect, Page, test } from '@playwright/test';

import { answerLoginPrompts, logIn } from './browser';

const BASIC = `Basic ${Buffer.from('abel.tuter:demo').toString('base64')}`;

interface Felt {
  held: number;
  created: number;
  prompts: number;
  dialogs: number;
  appPageLoads: number;
}
const measured: Record<string, Felt> = {};

test.describe.configure({ mode: 'serial' });

test.afterEach(async ({ request }) => {
  await request.post('/mock/config', { data: { sso: 'off', challenge: 'missing-token' } });
});

test.afterAll(() => {
  mkdirSync('artifacts', { recursive: true });
  writeFileSync('artifacts/felt-relogin.json', `${JSON.stringify(measured, null, 2)}\n`);
});

/** How many incidents carry `text` as their short description, asked with Basic auth. */
async function incidentsNamed(request: APIRequestContext, text: string): Promise<number> {
  const response = await request.get('/api/now/table/incident', {
    headers: { Authorization: BASIC },
    params: { sysparm_query: `short_description=${text}`, sysparm_fields: 'number' },
  });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { result: unknown[] }).result.length;
}

/** A logged-in demo page, with its browser dialogs, login prompts and app page loads counted. */
async function openApp(page: Page, path = '/') {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const prompts = await answerLoginPrompts(page);
  await logIn(page, path);
  let appPageLoads = 0;
  page.on('load', () => appPageLoads++);
  return { dialogs, prompts, loads: () => appPageLoads };
}

/**
 * Records what a re-login that created one incident made the user feel, and checks it: no login
 * prompt, no browser dialog, no page load of the app.
 */
async function recordOneCreate(
  name: string,
  page: Page,
  felt: Awaited<ReturnType<typeof openApp>>,
): Promise<void> {
  measured[name] = {
    held: await heldCount(page),
    created: 1,
    prompts: felt.prompts.length,
    dialogs: felt.dialogs.length,
    appPageLoads: felt.loads(),
  };
  expect(felt.prompts).toEqual([]);
  expect(felt.dialogs).toEqual([]);
  expect(felt.loads()).toBe(0);
}

/** Types a new incident, ends the session, and submits: the write is held. */
async function typeEndAndSubmit(page: Page, text: string): Promise<void> {
  await page.getByTestId('short-description').fill(text);
  await page.getByTestId('urgency').selectOption('1');
  await page.getByTestId('end-session').click();
  await expect(page.getByTestId('log')).toContainText('server: session ended');
  await page.getByTestId('create').click();
  await expect(page.getByTestId('session-expired')).toBeVisible();
  await expect(page.getByTestId('saving')).toHaveText('Waiting for you to log in again…');
  await expect(page.getByTestId('short-description')).toHaveValue(text); // the form keeps it
}

/** Clicks "Log in again" and returns the popup it opens. */
async function openLoginWindow(page: Page): Promise<Page> {
  const opened = page.waitForEvent('popup');
  await page.getByTestId('relogin').click();
  const popup = await opened;
  await expect(page.getByTestId('logging-in')).toBeVisible();
  return popup;
}

async function logInIn(popup: Page, user = 'abel.tuter'): Promise<void> {
  await expect(popup.getByLabel('User name')).toBeVisible();
  await popup.getByLabel('User name').fill(user);
  await popup.getByLabel('Password').fill('demo');
  const closed = popup.waitForEvent('close');
  await popup.getByRole('button', { name: 'Log in' }).click();
  await closed;
}

/** The number in "logged in again: N held requests sent once more". */
async function heldCount(page: Page): Promise<number> {
  const entry = page.locator('[data-testid=log] li', { hasText: 'held requests' }).first();
  const text = (await entry.textContent()) ?? '';
  return Number(/(\d+) held requests/.exec(text)?.[1] ?? NaN);
}

test('re-login: the write typed before the session ended is created exactly once, no dialog, no page load', async ({
  page,
  request,
}) => {
  await request.post('/mock/config', { data: { challenge: 'always' } });
  const felt = await openApp(page);
  const text = `Printer on fire ${Date.now()}`;
  await typeEndAndSubmit(page, text);
  expect(await incidentsNamed(request, text)).toBe(0); // refused before it ran

  const popup = await openLoginWindow(page);
  await logInIn(popup);

  await expect(page.getByTestId('saved')).toContainText(/Saved as INC\d+/);
  await expect(page.getByTestId('session-expired')).toHaveCount(0);
  await expect(page.locator('[data-testid=incidents]')).toContainText(text); // the list shows it
  expect(await incidentsNamed(request, text)).toBe(1);
  await recordOneCreate('write held across a re-login (challenge always)', page, felt);
});

test('re-login behind single sign-on (redirect): the popup visits the identity provider and comes back', async ({
  page,
  request,
}) => {
  const felt = await openApp(page);
  await request.post('/mock/config', { data: { sso: 'redirect' } });
  const text = `SSO write ${Date.now()}`;
  await typeEndAndSubmit(page, text);

  const popup = await openLoginWindow(page);
  const visited: string[] = [];
  popup.on('framenavigated', (frame) => visited.push(new URL(frame.url()).origin));
  await expect(popup.getByRole('heading', { name: 'Identity provider (mock)' })).toBeVisible();
  const idp = new URL(popup.url()).origin;
  expect(idp).not.toBe(new URL(page.url()).origin);
  await popup.getByRole('link', { name: 'Sign in to the instance again' }).click();
  await logInIn(popup);

  await expect(page.getByTestId('saved')).toContainText(/Saved as INC\d+/);
  expect(await incidentsNamed(request, text)).toBe(1);
  expect(visited).toContain(new URL(page.url()).origin); // back on the instance
  await recordOneCreate('write held across a re-login behind single sign-on', page, felt);
});

test('re-login: the window closed without logging in fails the write, and nothing was created', async ({
  page,
  request,
}) => {
  const felt = await openApp(page);
  const text = `Never logged in ${Date.now()}`;
  await typeEndAndSubmit(page, text);
  const popup = await openLoginWindow(page);
  await popup.close();
  await expect(page.getByTestId('create-error')).toHaveText(
    'Not saved: your session has ended. Log in again and save once more.',
  );
  await expect(page.getByTestId('session-expired')).toContainText('closed before you logged in');
  await expect(page.getByTestId('short-description')).toHaveValue(text);
  expect(await incidentsNamed(request, text)).toBe(0);
  expect(felt.dialogs).toEqual([]);
  expect(felt.loads()).toBe(0);
});

test('re-login as another user replays nothing, and the app says so', async ({ page, request }) => {
  const felt = await openApp(page);
  const text = `Not as admin ${Date.now()}`;
  await typeEndAndSubmit(page, text);
  const popup = await openLoginWindow(page);
  await logInIn(popup, 'admin');
  await expect(page.getByTestId('create-error')).toHaveText(
    'Not saved: another user logged in. Reload the page to work as that user.',
  );
  await expect(page.getByTestId('session-expired')).toContainText('Another user logged in');
  expect(await incidentsNamed(request, text)).toBe(0);
  expect(felt.loads()).toBe(0);
});

test('re-login: GETs issued while the session is ended are held and all complete after the login', async ({
  page,
  request,
}) => {
  // The HTTP path alone: with the live list on, the message bus learns of the end first, and
  // none of the GETs leaves (live.e2e.ts).
  await openApp(page, '/?live=off');
  await expect(page.getByTestId('counter-state-1')).not.toHaveText('…');
  await page.getByTestId('end-session').click();
  await expect(page.getByTestId('log')).toContainText('server: session ended');
  await request.post('/mock/stats/reset');
  await page.getByTestId('refresh-counters').click(); // eleven GETs at once
  await expect(page.getByTestId('session-expired')).toBeVisible();
  await expect(page.getByTestId('counter-state-1')).toHaveText('…');
  const before = (await (await request.get('/mock/stats')).json()) as { unauthorized: number };
  // Only the requests already on the wire learn that the session ended; the rest never leave.
  expect(before.unauthorized).toBeGreaterThan(0);
  expect(before.unauthorized).toBeLessThanOrEqual(6);

  const popup = await openLoginWindow(page);
  await logInIn(popup);
  const counters = page.locator('[data-testid^=counter-]');
  await expect(counters).toHaveCount(11);
  for (const counter of await counters.all()) {
    await expect(counter).toHaveText(/^\d+$/);
  }
  expect(await heldCount(page)).toBeGreaterThanOrEqual(11);
  const after = (await (await request.get('/mock/stats')).json()) as { unauthorized: number };
  expect(after.unauthorized).toBe(before.unauthorized); // each held GET went once, and passed
});
