// The page's burst (eleven counters, the list, the user) against the mock instance's model of an
// instance's session limits: two of a session's transactions run at once, ten wait, the rest are
// ignored with a 202 and no body.
import { APIRequestContext, expect, Page, test } from '@playwright/test';

import { logIn } from './browser';

test.describe.configure({ mode: 'serial' });

const COUNTERS = [
  'state-1',
  'state-2',
  'state-3',
  'state-6',
  'state-7',
  'state-8',
  'priority-1',
  'priority-2',
  'priority-3',
  'priority-4',
  'priority-5',
];

async function configure(request: APIRequestContext, config: object): Promise<void> {
  const response = await request.post('/mock/config', { data: config });
  expect(response.status()).toBe(200);
}

async function ignored(request: APIRequestContext): Promise<number> {
  return ((await (await request.get('/mock/stats')).json()) as { ignored: number }).ignored;
}

/** What each counter shows once none is loading any more. */
async function counters(page: Page): Promise<string[]> {
  const strip = page.getByTestId('counters');
  await expect(strip.getByText('…')).toHaveCount(0, { timeout: 15_000 });
  return Promise.all(COUNTERS.map((id) => page.getByTestId(`counter-${id}`).innerText()));
}

test.afterEach(async ({ request }) => {
  await configure(request, { sessionConcurrency: 2, maxWaiters: 10, latency: 0 });
});

test('fills every counter and the list within the session limits: nothing ignored', async ({
  page,
  request,
}) => {
  await logIn(page);
  await configure(request, { sessionConcurrency: 2, maxWaiters: 10, latency: 100 });
  await request.post('/mock/stats/reset');

  await page.goto('/');
  const values = await counters(page);
  expect(values.every((v) => /^\d+$/.test(v))).toBe(true);
  await expect(page.getByTestId('incidents')).toBeVisible();
  await expect(page.getByTestId('user')).toHaveText('Abel Tuter');
  expect(await ignored(request)).toBe(0);
  // Thirteen REST requests at once: three on the wire, the rest waited in the browser.
  await expect(page.getByTestId('queued')).toContainText(
    /Waited in the browser: [1-9]\d* requests/,
  );
});

test('control: without the session queue and resends, a tighter queue leaves counters empty', async ({
  page,
  request,
}) => {
  // Chromium holds at most six HTTP/1.1 connections per host, so one tab alone never overflows
  // two running and ten waiting; with no waiters at all, what the page sends at once beyond the
  // two running is ignored — as on an instance served over HTTP/2, or busy with other tabs.
  await logIn(page);
  await configure(request, { sessionConcurrency: 2, maxWaiters: 0, latency: 100 });
  await request.post('/mock/stats/reset');

  await page.goto('/?maxInFlight=Infinity&retries=0');
  const values = await counters(page);
  const empty = values.filter((v) => v === '—').length;
  expect(empty).toBeGreaterThanOrEqual(3);
  expect(await ignored(request)).toBeGreaterThanOrEqual(empty);
});

test('a save made during a burst leaves before the counters still waiting in the browser', async ({
  page,
  request,
}) => {
  await logIn(page, '/?live=off');
  await counters(page);
  // 1.5 s a transaction: the eleven counters (three on the wire, eight waiting in the browser)
  // take seconds, so the save is made while some still wait; what is checked is the order the
  // page sent its requests in, never how long anything took.
  await configure(request, { sessionConcurrency: 2, maxWaiters: 10, latency: 1500 });
  const sent: string[] = [];
  page.on('request', (r) => {
    const { pathname } = new URL(r.url());
    if (pathname.startsWith('/api/now/')) {
      sent.push(`${r.method()} ${pathname}`);
    }
  });
  await page.getByTestId('refresh-counters').click();
  await page.getByTestId('short-description').fill('Printer on fire');
  await page.getByTestId('create').click();
  await expect(page.getByTestId('saved')).toBeVisible({ timeout: 30_000 });
  // Saved while the strip still loads: the counters sent after the save were waiting when it was made.
  await expect(page.getByTestId('counters').getByText('…')).not.toHaveCount(0);
  await counters(page);
  const save = sent.indexOf('POST /api/now/table/incident');
  const counterGets = sent.filter((s) => s === 'GET /api/now/stats/incident');
  expect(counterGets).toHaveLength(COUNTERS.length);
  // Three counters on the wire (background reads keep half of the six places), then the save.
  expect(save).toBeGreaterThanOrEqual(3);
  expect(
    sent.slice(save + 1).filter((s) => s === 'GET /api/now/stats/incident').length,
  ).toBeGreaterThan(0);
});
