// The mock instance's Playwright fixture, imported by its package name as a user's own test would: the demo's build
// served by the worker's instance, the instance driven through its control client.
import { resolve } from 'node:path';

import { expect, test } from 'ngx-user-token-mock-instance/playwright';
import { LIST_PATH, reloadList } from './browser';

test.use({
  mockInstanceOptions: { appDir: resolve(__dirname, '../../../dist/demo/browser') },
});

test.beforeEach(async ({ page, logIn }) => {
  await logIn('abel.tuter', 'demo');
  await expect(page.getByTestId('incidents')).toBeVisible();
});

test('logIn names the user whose password the instance refused', async ({ logIn }) => {
  await expect(logIn('abel.tuter', 'wrong')).rejects.toThrow(
    'the mock instance refused the login of "abel.tuter" (wrong password?)',
  );
});

test('my app survives a token rotation', async ({ page, instance }) => {
  const statuses: number[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === LIST_PATH) {
      statuses.push(r.status());
    }
  });
  expect(await instance.control.rotateToken('abel.tuter')).toBe(1);
  await reloadList(page);
  await expect(page.getByTestId('incidents')).toBeVisible();
  // One 401 on the stale token, then the retry with the new one.
  expect(statuses).toEqual([401, 200]);
  expect((await instance.control.stats()).rotations).toBe(1);
});

test('my app shows the session-ended state', async ({ page, instance }) => {
  expect(await instance.control.endSession('abel.tuter')).toBe(1);
  await page.getByTestId('reload').click();
  await expect(page.getByTestId('session-expired')).toBeVisible();
  // One 401 that says the session ended; no refresh was tried.
  expect(await instance.control.stats()).toMatchObject({ unauthorized: 1, tokenPage: 0 });
});
