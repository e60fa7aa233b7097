// The deploy path: the demo built for an instance and packed by the ServiceNow SDK
// (`npm run build:instance`), installed into the mock instance, opened at its UI page in Chromium.
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

import { expect, test } from '@playwright/test';

import { answerLoginPrompts, LIST_PATH, logInAgainInPopup, reloadList } from './browser';

const root = resolve(__dirname, '../../..');
const PAGE = '/x_ngxut_demo_incidents.do';
const TOKEN_PAGE = '/x_ngxut_demo_token.do';
let server: ChildProcess | null = null;
let base = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(240_000); // the Angular build and the SDK's build and pack
  execFileSync('npm', ['run', 'build:instance'], { cwd: root, stdio: 'ignore' });
  const zip = readdirSync(resolve(root, 'dist/instance-app')).find((f) => f.endsWith('.zip'))!;
  server = spawn(
    'node_modules/.bin/tsx',
    [
      'projects/mock-instance/src/cli.ts',
      '--dev',
      '--port',
      '0',
      '--install',
      `dist/instance-app/${zip}`,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  base = await new Promise<string>((resolveUrl, reject) => {
    let output = '';
    server!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+?)\/?\s/.exec(output);
      if (match && output.includes(PAGE)) {
        resolveUrl(match[1]);
      }
    });
    server!.on('exit', (code) => reject(new Error(`mock instance exited ${code}:\n${output}`)));
  });
});

test.afterAll(() => {
  try {
    process.kill(-server!.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
});

test('the SDK package on the instance: log in, the KB list, a rotation recovered, the token page', async ({
  page,
}) => {
  const prompts = await answerLoginPrompts(page);
  const exchanges: { path: string; status: number }[] = [];
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (path === LIST_PATH || path === TOKEN_PAGE) {
      exchanges.push({ path, status: response.status() });
    }
  });
  await page.goto(`${base}${PAGE}`);
  await expect(page).toHaveURL(/\/login\.do\?sysparm_goto=%2Fx_ngxut_demo_incidents\.do/);
  await page.getByLabel('User name').fill('abel.tuter');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(`${base}${PAGE}`);
  await expect(page.getByTestId('incidents')).toBeVisible();
  await expect(page.getByTestId('range')).toHaveText('1–10 of 33');
  const token = await page.evaluate(() => (window as { g_ck?: string }).g_ck);
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  // The page names its user, as the library's PageUser reads it (rendered by the page's Jelly).
  const user = await page.evaluate(() => (window as { NOW?: object }).NOW);
  expect(user).toEqual({
    user_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    user_name: 'abel.tuter',
  });

  // The token page the app's withTokenPage() points at answers the session's token.
  const fromPage = await page.evaluate(async (path) => (await fetch(path)).text(), TOKEN_PAGE);
  expect(fromPage.trim()).toBe(token);

  // A rotation the 401 names: one 401, one retry.
  await page.getByTestId('rotate').click();
  await expect(page.getByTestId('log')).toContainText('session token rotated');
  await reloadList(page);
  await expect(page.getByTestId('incidents')).toBeVisible();
  // A rotation it does not name: the SDK-installed token page is fetched.
  await page.getByTestId('toggle-header').click();
  await expect(page.getByTestId('toggle-header')).toContainText('Turn X-UserToken-Response on');
  await page.getByTestId('rotate').click();
  await reloadList(page);
  await expect(page.getByTestId('incidents')).toBeVisible();
  await expect(page.getByTestId('log')).toContainText(`from the token page ${TOKEN_PAGE}`);
  await page.getByTestId('toggle-header').click();

  expect(exchanges.filter((e) => e.path === TOKEN_PAGE).map((e) => e.status)).toEqual([200, 200]);
  expect(exchanges.filter((e) => e.path === LIST_PATH && e.status === 401)).toHaveLength(2);
  expect(prompts).toEqual([]);
  await page.screenshot({ path: 'artifacts/demo-instance-app.png', fullPage: true });
});

test('re-login through the SDK-installed login-complete page (the library’s own snippet)', async ({
  page,
}) => {
  await page.goto(`${base}${PAGE}`);
  await page.getByLabel('User name').fill('abel.tuter');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('incidents')).toBeVisible();
  const text = `Held on the instance app ${Date.now()}`;
  await page.getByTestId('short-description').fill(text);
  await page.getByTestId('end-session').click();
  await expect(page.getByTestId('log')).toContainText('server: session ended');
  await page.getByTestId('create').click();
  await expect(page.getByTestId('session-expired')).toBeVisible();

  // The page rendered by the instance from login-complete.html closes itself.
  await logInAgainInPopup(page);
  await expect(page.getByTestId('saved')).toContainText(/Saved as INC\d+/);
  await expect(page.locator('[data-testid=incidents]')).toContainText(text);
});
