// The demo as a developer runs it against their own instance: `npm run start:instance` (ng serve
// + the dev proxy), with the mock instance standing in for the remote instance on its own port.
// The browser logs in nowhere: the proxy's session does.
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

import { expect, test } from '@playwright/test';

import { LIST_PATH, reloadList } from './browser';

const root = resolve(__dirname, '../../..');
const children: ChildProcess[] = [];
let remote = '';
let app = '';

/** Starts a command and resolves with the first match of `ready` in its output. */
function launch(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<string> {
  const child = spawn(args[0], args.slice(1), {
    cwd: root,
    env: { ...process.env, ...env, NG_CLI_ANALYTICS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  return new Promise((resolveUrl, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`not ready:\n${output}`)), 150_000);
    const read = (chunk: Buffer) => {
      // eslint-disable-next-line no-control-regex
      output += chunk.toString().replace(/\x1b\[[0-9;]*m/g, '');
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

const freePort = () =>
  new Promise<number>((resolvePort) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(180_000); // ng serve builds the demo first
  remote = await launch(
    ['node_modules/.bin/tsx', 'projects/mock-instance/src/main.ts', '--dev', '--port', '0'],
    /listening on (http:\/\/\S+?)\/?\s/,
  );
  const port = await freePort();
  await launch(
    [
      'node_modules/.bin/tsx',
      'projects/demo/serve-instance.ts',
      '--instance',
      remote,
      '--port',
      String(port),
      '--mock-controls',
    ],
    /Local:\s+(http:\/\/\S+?)\/?\s/,
    { SN_USER: 'abel.tuter', SN_PASSWORD: 'demo' },
  );
  app = `http://localhost:${port}`;
});

test.afterAll(() => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  }
});

test('ng serve + the dev proxy: the KB list with no login in the browser, through a rotation', async ({
  page,
  request,
}) => {
  const statuses: number[] = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === LIST_PATH) {
      statuses.push(response.status());
    }
  });
  await page.goto(`${app}/`);
  await expect(page.getByTestId('incidents')).toBeVisible();
  await expect(page.getByTestId('user')).toHaveText('Abel Tuter');
  expect(await page.evaluate(() => (window as { g_ck?: string }).g_ck)).toBeUndefined();

  const before = (await (await request.get(`${remote}/mock/stats`)).json()) as {
    unauthorized: number;
  };
  await page.getByTestId('rotate').click();
  await expect(page.getByTestId('log')).toContainText('session token rotated');
  await reloadList(page);
  await expect(page.getByTestId('incidents')).toBeVisible();
  const after = (await (await request.get(`${remote}/mock/stats`)).json()) as {
    unauthorized: number;
  };
  // The proxy met the rotation (one 401 at the instance) and replayed: the browser saw none.
  expect(after.unauthorized - before.unauthorized).toBe(1);
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(statuses.length).toBeGreaterThanOrEqual(2);
  await page.screenshot({ path: 'artifacts/demo-dev-proxy.png', fullPage: true });
});
