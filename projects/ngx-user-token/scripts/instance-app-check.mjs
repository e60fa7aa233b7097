// @ts-check
// `npm run test:instance-app`: what a new user does to put their own Angular app on an instance,
// from the packed packages, outside the workspace: `ng new` (Angular 21, its router, a second
// route), `ng add` of the library's tarball, `ng generate ngx-user-token:instance-app`,
// `npm run build:instance` (offline), then the zip on the mock instance's package (`npm run
// mock:instance`, as the schematic writes it) and Chromium: log in, a list from the Table API
// with the token, a router link, a reload that stays on the view, the back button, a token
// rotation survived, and the same page framed as the Next Experience frames it, reporting its
// permalinks. Prints one line per check and exits non-zero on the first failure.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from '@playwright/test';

import { check, done, ngNew, npmInstall, run } from '../../node-build/scripts/pack-checks.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const workspace = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const SCOPE = 'x_acme_myapp';
const PAGE = `/${SCOPE}_app.do`;
/** Where the generated `mock:instance` script serves the mock. */
const BASE = 'http://localhost:8080';

run('npm', ['run', 'build'], ROOT);
run('npm', ['run', 'build:mock-instance'], ROOT);
const scratch = mkdtempSync(join(tmpdir(), 'ngx-user-token-instance-app-'));
/** @type {import('node:child_process').ChildProcess | null} */
let mock = null;
/** @type {import('@playwright/test').Browser | null} */
let browser = null;
try {
  /** @param {string} dist */
  const pack = (dist) =>
    join(
      scratch,
      JSON.parse(
        run('npm', ['pack', '--json', '--pack-destination', scratch, `./${dist}`], ROOT),
      )[0].filename,
    );
  const library = pack('dist/ngx-user-token');
  const mockPackage = pack('dist/mock-instance');

  const app = ngNew({
    scratch,
    version: workspace.devDependencies['@angular/cli'],
    name: 'myapp',
    args: ['--routing'],
  });
  const ng = (/** @type {string[]} */ ...args) => run(join(app, 'node_modules/.bin/ng'), args, app);
  npmInstall(app);
  npmInstall(app, '--save-dev', mockPackage);
  ng('add', library, '--skip-confirmation');

  // The schematic, as the README gives it.
  const generate = () =>
    ng('generate', 'ngx-user-token:instance-app', `--scope=${SCOPE}`, '--interactive=false');
  const generated = generate();
  check(
    'ng generate ngx-user-token:instance-app writes the SDK project, the configuration, the scripts',
    [
      'instance-app/now.config.json',
      'instance-app/src/fluent/pages.now.ts',
      'angular.json',
      'package.json',
    ].every((file) => generated.includes(file)) && generated.includes(PAGE),
    generated.split('\n').find((line) => line.includes('goes on the instance')),
  );
  const again = generate();
  check(
    'a second run changes nothing',
    !/^(CREATE|UPDATE|DELETE) /m.test(again) && !again.includes('kept your'),
    again,
  );

  // The app a user writes: a list from the Table API, and a second view behind a router link.
  writeFileSync(
    join(app, 'src/app/incidents.ts'),
    `import { HttpClient } from '@angular/common/http';
import { Component, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { RouterLink } from '@angular/router';
import { map } from 'rxjs';

@Component({
  selector: 'app-incidents',
  imports: [RouterLink],
  template: \`
    <ul data-testid="incidents">
      @for (incident of incidents(); track incident.number) {
        <li>{{ incident.number }}</li>
      }
    </ul>
    <a routerLink="/about">About</a>
  \`,
})
export class Incidents {
  readonly incidents = toSignal(
    inject(HttpClient)
      .get<{ result: { number: string }[] }>(
        '/api/now/table/incident?sysparm_query=active=true^ORDERBYnumber&sysparm_fields=number&sysparm_limit=5',
      )
      .pipe(map((body) => body.result)),
    { initialValue: [] },
  );
}
`,
  );
  writeFileSync(
    join(app, 'src/app/about.ts'),
    `import { Component } from '@angular/core';
import { RouterLink } from '@angular/router';

@Component({
  selector: 'app-about',
  imports: [RouterLink],
  template: '<h1 data-testid="about">About this app</h1><a routerLink="/">Incidents</a>',
})
export class About {}
`,
  );
  writeFileSync(
    join(app, 'src/app/app.routes.ts'),
    `import { Routes } from '@angular/router';

import { About } from './about';
import { Incidents } from './incidents';

export const routes: Routes = [
  { path: '', component: Incidents, title: 'Incidents' },
  { path: 'about', component: About, title: 'About' },
];
`,
  );
  writeFileSync(join(app, 'src/app/app.html'), '<router-outlet />\n');

  const built = run('npm', ['run', 'build:instance'], app);
  const zip = built.match(/artifact emitted as "([^"]+\.zip)"/)?.[1];
  check(
    'npm run build:instance builds and packs offline, printing the zip',
    Boolean(zip && existsSync(zip)),
    zip,
  );
  check(
    'the prebuild names what it leaves out (public/favicon.ico)',
    /not packaged \(only JavaScript and CSS become UX assets\): .*favicon\.ico/.test(built),
    built.match(/not packaged.*/)?.[0],
  );

  // The local loop as the schematic wrote it, with the control API for the rotation.
  mock = spawn('npm', ['run', 'mock:instance', '--', '--dev'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const started = mock;
  await new Promise((resolveStart, reject) => {
    let output = '';
    /** @param {Buffer} chunk */
    const read = (chunk) => {
      output += chunk.toString();
      if (/listening on/.test(output) && output.includes(PAGE)) {
        resolveStart(undefined);
      }
    };
    started.stdout?.on('data', read);
    started.stderr?.on('data', read);
    started.on('exit', (code) =>
      reject(new Error(`npm run mock:instance exited ${code}:\n${output}`)),
    );
  });
  check('npm run mock:instance serves the package', true, `${BASE}${PAGE}`);

  browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const page = await browser.newPage();
  /** @type {{ path: string, status: number, token: string | null }[]} */
  const lists = [];
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (url.pathname === '/api/now/table/incident') {
      const token = (await response.request().allHeaders())['x-usertoken'] ?? null;
      lists.push({ path: url.pathname, status: response.status(), token });
    }
  });
  await page.goto(`${BASE}${PAGE}`);
  await page.getByLabel('User name').fill('abel.tuter');
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${BASE}${PAGE}`);
  await page.getByTestId('incidents').locator('li').first().waitFor();
  const token = await page.evaluate(() => /** @type {any} */ (globalThis).g_ck);
  const shown = await page.getByTestId('incidents').locator('li').count();
  check(
    'logged in, the page lists incidents from the Table API, sent with the page’s token',
    shown === 5 && lists.length === 1 && lists[0].status === 200 && lists[0].token === token,
    `${shown} shown; ${JSON.stringify(lists)}`,
  );

  await page.getByRole('link', { name: 'About' }).click();
  await page.getByTestId('about').waitFor();
  check(
    'a router link goes to the view, named in the query string',
    page.url() === `${BASE}${PAGE}?view=about` && (await page.title()) === 'About',
    page.url(),
  );
  await page.reload();
  await page.getByTestId('about').waitFor();
  check('a reload stays on that view', page.url() === `${BASE}${PAGE}?view=about`, page.url());
  await page.goBack();
  await page.getByTestId('incidents').locator('li').first().waitFor();
  check('the back button steps back to the list', page.url() === `${BASE}${PAGE}`, page.url());

  const rotated = await fetch(`${BASE}/mock/rotate-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user: 'abel.tuter' }),
  });
  check('the mock rotates the session’s token', rotated.ok, String(rotated.status));
  lists.length = 0;
  await page.getByRole('link', { name: 'About' }).click();
  await page.getByTestId('about').waitFor();
  await page.getByRole('link', { name: 'Incidents' }).click();
  await page.getByTestId('incidents').locator('li').nth(4).waitFor();
  check(
    'a token rotation is survived: one 401, the retry with the new token',
    lists.map((l) => l.status).join(',') === '401,200' && lists[1].token !== token,
    JSON.stringify(lists.map((l) => l.status)),
  );

  // The Next Experience frames a UI page in its shell; the shell here records what the page tells it.
  const shellPath = `/now/nav/ui/classic/params/target/${SCOPE}_app.do`;
  await page.route(`${BASE}${shellPath}`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body:
        '<!doctype html><title>Shell</title><script>window.permalinks = [];' +
        'CustomEvent.fireTop = (name, detail) => window.permalinks.push({ name, detail });</script>' +
        `<iframe name="app" src="${PAGE}"></iframe>`,
    }),
  );
  await page.goto(`${BASE}${shellPath}`);
  const frame = page.frameLocator('iframe[name="app"]');
  await frame.getByTestId('incidents').locator('li').first().waitFor();
  await frame.getByRole('link', { name: 'About' }).click();
  await frame.getByTestId('about').waitFor();
  await page.waitForFunction(() => /** @type {any} */ (globalThis).permalinks.length > 0);
  const permalinks = await page.evaluate(() => /** @type {any} */ (globalThis).permalinks);
  check(
    'framed, the page tells the shell its permalink and title on navigation',
    JSON.stringify(permalinks.at(-1)) ===
      JSON.stringify({
        name: 'magellanNavigator.permalink.set',
        detail: { relativePath: `${PAGE}?view=about`, title: 'About' },
      }),
    JSON.stringify(permalinks),
  );
} finally {
  await browser?.close();
  if (mock?.pid) {
    try {
      process.kill(-mock.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  rmSync(scratch, { recursive: true, force: true });
}
done();
