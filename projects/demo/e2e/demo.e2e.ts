import { mkdirSync } from 'node:fs';

import { expect, test } from '@playwright/test';

import {
  answerLoginPrompts,
  expectedNumbers,
  LIST_PATH,
  listNumbers,
  logIn,
  record,
  reloadList,
} from './browser';

test.describe.configure({ mode: 'serial' });

test('logs in and lists exactly my active incidents in the KB order', async ({ page, baseURL }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => dialogs.push(d.message()));
  const prompts = await answerLoginPrompts(page);
  const exchanges = record(page);
  await logIn(page);

  expect(await listNumbers(page)).toEqual(await expectedNumbers(baseURL!, 10));
  const total = (await expectedNumbers(baseURL!, 1000)).length;
  await expect(page.getByTestId('range')).toHaveText(`1–10 of ${total}`);
  await expect(page.getByTestId('user')).toHaveText('Abel Tuter');
  expect(exchanges.filter((e) => e.status === 401)).toEqual([]);

  await page.getByTestId('next').click();
  await expect(page.getByTestId('range')).toHaveText(`11–20 of ${total}`);
  expect(await listNumbers(page)).toEqual(await expectedNumbers(baseURL!, 10, 10));

  await page.getByTestId('page-size').selectOption('5');
  await expect(page.getByTestId('range')).toHaveText(`1–5 of ${total}`);
  expect(await listNumbers(page)).toEqual(await expectedNumbers(baseURL!, 5));

  mkdirSync('artifacts', { recursive: true });
  await page.screenshot({ path: 'artifacts/demo-incidents.png', fullPage: true });
  expect(dialogs).toEqual([]);
  expect(prompts).toEqual([]);
});

test('recovers from a rotated token with one 401 and one retry, and no token page fetch', async ({
  page,
}) => {
  const prompts = await answerLoginPrompts(page);
  await logIn(page);
  const before = await page.getByTestId('token').textContent();
  const exchanges = record(page);

  await page.getByTestId('rotate').click();
  await expect(page.getByTestId('log')).toContainText('session token rotated');
  await reloadList(page);
  await expect(page.getByTestId('incidents')).toBeVisible();

  const list = exchanges.filter((e) => e.path === LIST_PATH);
  expect(list.map((e) => e.status)).toEqual([401, 200]);
  expect(list[0].token).not.toBe(list[1].token);
  expect(exchanges.filter((e) => e.path === '/user_token.do')).toEqual([]);
  await expect(page.getByTestId('log')).toContainText('X-UserToken-Response');
  await expect(page.getByTestId('log')).toContainText('retried once with the new token');
  await expect(page.getByTestId('token')).not.toHaveText(before!);
  await page.screenshot({ path: 'artifacts/demo-recovery.png', fullPage: true });

  // The refreshed token is the page's token now: the next load needs no retry.
  await reloadList(page);
  expect(exchanges.filter((e) => e.path === LIST_PATH).map((e) => e.status)).toEqual([
    401, 200, 200,
  ]);
  expect(prompts).toEqual([]); // a stale token is no missing one: no challenge, no dialog
});

test('fetches the token page once when the 401 names no token', async ({ page }) => {
  const prompts = await answerLoginPrompts(page);
  await logIn(page);
  const exchanges = record(page);
  await page.getByTestId('toggle-header').click();
  await expect(page.getByTestId('toggle-header')).toContainText('Turn X-UserToken-Response on');
  try {
    await page.getByTestId('rotate').click();
    await expect(page.getByTestId('log')).toContainText('session token rotated');
    await reloadList(page);
    await expect(page.getByTestId('incidents')).toBeVisible();

    expect(exchanges.filter((e) => e.path === LIST_PATH).map((e) => e.status)).toEqual([401, 200]);
    expect(exchanges.filter((e) => e.path === '/user_token.do').map((e) => e.status)).toEqual([
      200,
    ]);
    await expect(page.getByTestId('log')).toContainText('from the token page');
    expect(prompts).toEqual([]); // a stale token is no missing one: no challenge, no dialog
  } finally {
    await page.getByTestId('toggle-header').click();
    await expect(page.getByTestId('toggle-header')).toContainText('Turn X-UserToken-Response off');
  }
});

test('a token refreshed in one tab reaches the other tab, which then needs no retry', async ({
  context,
}) => {
  const first = await context.newPage();
  const firstPrompts = await answerLoginPrompts(first);
  await logIn(first);
  const second = await context.newPage(); // same browser, same session cookie
  const secondPrompts = await answerLoginPrompts(second);
  await second.goto('/');
  await expect(second.getByTestId('incidents')).toBeVisible();
  const secondExchanges = record(second);

  await first.getByTestId('rotate').click();
  await expect(first.getByTestId('log')).toContainText('session token rotated');
  await reloadList(first);
  await expect(second.getByTestId('log')).toContainText(
    'token refreshed by another tab of this session',
  );
  await reloadList(second);

  expect(secondExchanges.filter((e) => e.path === LIST_PATH).map((e) => e.status)).toEqual([200]);
  expect([firstPrompts, secondPrompts]).toEqual([[], []]);
  await expect(second.getByTestId('token')).toHaveText(
    (await first.getByTestId('token').textContent())!,
  );
});

test('says the session is gone after one rejected request: no loop, no further prompt', async ({
  page,
}) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => dialogs.push(d.message()));
  const prompts = await answerLoginPrompts(page);
  // The HTTP path alone (with the live list on, its session setup is the one 401: live.e2e.ts).
  await logIn(page, '/?live=off');
  const exchanges = record(page);

  await page.getByTestId('end-session').click();
  await expect(page.getByTestId('log')).toContainText('session ended');
  await page.getByTestId('reload').click();

  await expect(page.getByTestId('session-expired')).toBeVisible();
  await expect(page.getByTestId('incidents')).toHaveCount(0);
  // The way back in is a login window (withReLogin), not a page load.
  await expect(page.getByRole('button', { name: 'Log in again' })).toBeVisible();
  await page.waitForTimeout(2000);
  expect(exchanges.map((e) => `${e.path} ${e.status}`)).toEqual([`${LIST_PATH} 401`]);
  expect(prompts).toEqual([]); // a stale token is no missing one: no challenge, no dialog
  expect(dialogs).toEqual([]);
});
