// The demo as a developer runs it against their own instance: `npm run start:instance` (ng serve
// + the dev proxy), with the mock instance standing in for the remote instance on its own port.
// The browser logs in nowhere: the proxy's session does.
import { ChildProcess, spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { resolve } from 'node:path';

import { chromium, expect, test } from '@playwright/test';

import { LIST_PATH, reloadList } from './browser';

const root = resolve(__dirname, '../../..');
const children: ChildProcess[] = [];
let remote = '';
let app = '';
let proxyUrl = '';
/** What `npm run start:instance` (the dev proxy and ng serve) printed so far. */
const served: string[] = [];

/**
 * Starts a command and resolves with the first match of `ready` in its output; what it prints
 * goes on into `sink`.
 */
function launch(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
  sink: string[] = [],
): Promise<string> {
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
      const text = chunk.toString().replace(/\x1b\[[0-9;]*m/g, '');
      output += text;
      sink.push(text);
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
    ['node_modules/.bin/tsx', 'projects/mock-instance/src/cli.ts', '--dev', '--port', '0'],
    /listening on (http:\/\/\S+?)\/?\s/,
  );
  const port = await freePort();
  const proxyPort = await freePort();
  await launch(
    [
      'node_modules/.bin/tsx',
      'projects/demo/serve-instance.ts',
      '--instance',
      remote,
      '--port',
      String(port),
      '--proxy-port',
      String(proxyPort),
      '--mock-controls',
    ],
    /Local:\s+(http:\/\/\S+?)\/?\s/,
    { SN_USER: 'abel.tuter', SN_PASSWORD: 'demo' },
    served,
  );
  app = `http://localhost:${port}`;
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
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

  // No `window.NOW` either: the library's PageUser asks the instance (through the proxy) who the
  // session is, so the create names its caller as it does on the instance's own page.
  const text = `Mine under ng serve ${Date.now()}`;
  await page.getByTestId('short-description').fill(text);
  await page.getByTestId('create').click();
  await expect(page.getByTestId('saved')).toBeVisible();
  const created = await request.get(`${remote}/api/now/table/incident`, {
    headers: { Authorization: `Basic ${Buffer.from('admin:demo').toString('base64')}` },
    params: {
      sysparm_query: `short_description=${text}`,
      sysparm_fields: 'caller_id.user_name,opened_by.user_name',
    },
  });
  expect(((await created.json()) as { result: unknown[] }).result).toEqual([
    { 'caller_id.user_name': 'abel.tuter', 'opened_by.user_name': 'abel.tuter' },
  ]);
  await page.screenshot({ path: 'artifacts/demo-dev-proxy.png', fullPage: true });
});

/**
 * A website the developer visits while the proxy runs: served on loopback under a name Chromium
 * resolves to 127.0.0.1 (so the browser treats it as any other site), it tries what any page can
 * do without CORS — a form POST, a no-cors fetch, a CORS read of the token page, a WebSocket —
 * against the proxy's port and against ng serve's.
 */
const ATTACK_PAGE = `<!doctype html><html><body><iframe name="sink"></iframe><script>
const results = [];
async function run(target) {
  const form = document.createElement('form');
  form.method = 'POST';
  form.enctype = 'text/plain';
  form.target = 'sink';
  form.action = target + '/api/now/table/incident';
  const field = document.createElement('input');
  field.name = '{"short_description":"forged by a website","x":"';
  field.value = '"}';
  form.append(field);
  document.body.append(form);
  form.submit();
  await new Promise((r) => setTimeout(r, 500));
  await fetch(target + '/api/now/table/incident', {
    method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' },
    body: '{"short_description":"forged by a website"}',
  }).then((r) => results.push([target, 'no-cors', r.type]), (e) => results.push([target, 'no-cors', String(e)]));
  await fetch(target + '/user_token.do').then(
    async (r) => results.push([target, 'token page', r.status, await r.text()]),
    (e) => results.push([target, 'token page', String(e)]));
  await new Promise((done) => {
    const ws = new WebSocket(target.replace('http', 'ws') + '/amb');
    ws.onopen = () => { results.push([target, 'websocket', 'open']); ws.close(); done(); };
    ws.onerror = () => { results.push([target, 'websocket', 'refused']); done(); };
  });
}
(async () => {
  for (const target of new URLSearchParams(location.search).getAll('target')) await run(target);
  window.results = results;
})();
</script></body></html>`;

test('a website in the same browser can neither write nor read through the proxy, or through ng serve', async ({
  request,
}) => {
  const site = createHttpServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(ATTACK_PAGE);
  });
  await new Promise<void>((ready) => site.listen(0, '127.0.0.1', ready));
  const sitePort = (site.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--host-resolver-rules=MAP evil.test 127.0.0.1',
    ],
  });
  try {
    const token = await (await request.get(`${proxyUrl}/user_token.do`)).text();
    expect(token.length).toBeGreaterThan(10);
    const forged = async () => {
      const response = await request.get(
        `${remote}/api/now/table/incident?sysparm_query=short_descriptionLIKEforged&sysparm_limit=1`,
        { headers: { Authorization: `Basic ${Buffer.from('admin:demo').toString('base64')}` } },
      );
      return Number(response.headers()['x-total-count']);
    };
    const received = async () =>
      ((await (await request.get(`${remote}/mock/stats`)).json()) as { requests: number }).requests;
    expect(await forged()).toBe(0);
    const before = await received();
    const logged = served.length;

    const page = await browser.newPage();
    const targets = [proxyUrl, app].map((t) => `target=${encodeURIComponent(t)}`).join('&');
    await page.goto(`http://evil.test:${sitePort}/?${targets}`);
    await page.waitForFunction(() => 'results' in window, null, { timeout: 30_000 });
    const results = (await page.evaluate(() => (window as { results?: unknown }).results)) as [
      string,
      string,
      ...unknown[],
    ][];

    // Nothing reached the instance (the one request counted is the count's own).
    expect((await received()) - before).toBe(1);
    expect(await forged()).toBe(0);
    // The token never reached the page: the proxy's port answers no CORS at all; through ng
    // serve (which reflects any Origin, Angular CLI 21) the page reads the proxy's 403.
    expect(JSON.stringify(results)).not.toContain(token);
    expect(results).toContainEqual([proxyUrl, 'token page', 'TypeError: Failed to fetch']);
    const viaNgServe = results.find(([t, what]) => t === app && what === 'token page')!;
    expect(viaNgServe[2]).toBe(403);
    expect(viaNgServe[3]).toContain('Dev proxy refused a cross-site request');
    expect(results.filter(([, what]) => what === 'websocket').map((r) => r[2])).toEqual([
      'refused',
      'refused',
    ]);
    // The proxy saw the attempts and refused them: forms, no-cors posts, reads and upgrades.
    const refusals =
      served
        .slice(logged)
        .join('')
        .match(/refused a request \(\w+ check\)/g) ?? [];
    expect(refusals.length).toBeGreaterThanOrEqual(8);

    // DNS rebinding: the page's own name pointed at the proxy's port and at ng serve's.
    for (const port of [new URL(proxyUrl).port, new URL(app).port]) {
      const rebound = await page.goto(`http://evil.test:${port}/user_token.do`);
      expect(rebound?.status()).toBe(403);
      expect(await rebound?.text()).not.toContain(token);
    }
    expect((await received()) - before).toBe(3); // the counts' own: two of requests, one of records

    await page.screenshot({ path: 'artifacts/dev-proxy-cross-site.png' });
  } finally {
    await browser.close();
    site.close();
  }
});
