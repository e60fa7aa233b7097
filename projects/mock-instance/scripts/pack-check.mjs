// @ts-check
// `npm run test:pack:mock-instance`: builds the mock instance's package, packs it as npm would
// publish it, checks the tarball, installs it into a scratch project outside the workspace, and
// there runs its command line, its programmatic API as a user's tests would (TypeScript included:
// the CSRF check, a token rotation and a session end driven through the control client), its Node
// helper under node's test runner and its Playwright fixture.
// Prints one line per check and exits non-zero on the first failure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  check,
  done,
  npmInstall,
  packAndOpen,
  run,
} from '../../node-build/scripts/pack-checks.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const workspace = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
run('npm', ['run', 'build:mock-instance'], ROOT);
const scratch = mkdtempSync(join(tmpdir(), 'mock-instance-pack-'));
try {
  const { filename, manifest } = packAndOpen({
    root: ROOT,
    dist: 'dist/mock-instance',
    scratch,
    files: [
      'package.json',
      'README.md',
      'LICENSE',
      'cli.js',
      'index.js',
      'types/mock-instance/src/index.d.ts',
    ],
    sections: [
      '## Your own data',
      '## Options',
      '## Session limits and rate limits',
      '## The message bus (AMB)',
      '## Control API',
      '## Who can reach it',
    ],
  });
  check('name', manifest.name === 'ngx-user-token-mock-instance', manifest.name);
  check('license', manifest.license === 'MIT', manifest.license);
  check('bin', manifest.bin?.['ngx-user-token-mock-instance'] === 'cli.js');
  check('engines: Node >= 20', /^>=20/.test(manifest.engines?.node ?? ''), manifest.engines?.node);
  check(
    'dependencies: the libraries it requires, at the workspace’s versions (pinned where the mock reaches into one: faye)',
    Object.entries(manifest.dependencies).every(([name, range]) => {
      const version = workspace.dependencies[name] ?? workspace.devDependencies[name];
      return range === `^${version}` || (name === 'faye' && range === version);
    }),
    JSON.stringify(manifest.dependencies),
  );
  const required = ['index.js', 'cli.js', 'testing.js', 'playwright.js'].flatMap((file) =>
    [...readFileSync(join(scratch, 'package', file), 'utf8').matchAll(/require\("([^"]+)"\)/g)]
      .map((m) => m[1])
      .filter((name) => !name.startsWith('node:') && !name.startsWith('./')),
  );
  check(
    'every package the bundles require is a dependency (or the optional Playwright peer)',
    required.every((name) => name in manifest.dependencies || name in manifest.peerDependencies),
    [...new Set(required)].join(', '),
  );
  check(
    'exports: ., ./testing, ./playwright, with types',
    ['.', './testing', './playwright'].every(
      (entry) => manifest.exports?.[entry]?.types && manifest.exports?.[entry]?.default,
    ),
  );

  // A user's project, outside the workspace, that installs the tarball.
  const project = join(scratch, 'project');
  run('mkdir', ['-p', project], scratch);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'scratch-project', private: true }, null, 2),
  );
  npmInstall(
    project,
    join(scratch, filename),
    `typescript@${workspace.devDependencies.typescript}`,
    `@types/node@${workspace.devDependencies['@types/node']}`,
    `@playwright/test@${workspace.devDependencies['@playwright/test']}`,
    `tsx@${workspace.devDependencies.tsx}`,
  );
  check('installs into a project outside the workspace', true);

  // The command line, as `npx ngx-user-token-mock-instance` runs it.
  const bin = join(project, 'node_modules/.bin/ngx-user-token-mock-instance');
  const help = run(bin, ['--help'], project);
  check(
    '--help lists the flags, under the package’s name',
    help.startsWith('Usage: ngx-user-token-mock-instance') &&
      ['--port <n>', '--dev', '--allowed-hosts', '--install <zip|dir>'].every((f) =>
        help.includes(f),
      ),
  );
  // The project's own data: a table of its app, a user with a role, an access rule.
  writeFileSync(
    join(project, 'instance.json'),
    JSON.stringify({
      tables: {
        x_scratch_order: {
          numberPrefix: 'ORD',
          fields: { number: { type: 'string', readOnly: true }, item: { type: 'string' } },
        },
      },
      users: [{ user_name: 'pat', password: 'pw', roles: ['x_scratch.user'] }],
      records: { x_scratch_order: [{ item: 'Stapler' }, { item: 'Lamp' }] },
      acls: [{ table: 'x_scratch_order', operation: 'read', roles: ['x_scratch.user'] }],
    }),
  );
  const child = spawn(bin, ['--port', '0', '--dev', '--data', 'instance.json'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise((resolveUrl, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed:\n${output}`)), 30_000);
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /listening on (http:\/\/\S+?)\/?\s/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolveUrl(match[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    const noToken = await fetch(`${url}/api/now/table/x_scratch_order?sysparm_limit=1`, {
      headers: { Cookie: 'JSESSIONID=none' },
    });
    check(
      'the bin serves, and refuses a call without a session',
      noToken.status === 401,
      String(noToken.status),
    );
    const handshake = await fetch(`${url}/amb/handshake`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([
        { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['long-polling'] },
      ]),
    });
    const [reply] = handshake.status === 200 ? await handshake.json() : [{}];
    check(
      'the message bus answers a Bayeux handshake (no session: session.invalidated)',
      reply.successful === true && reply.ext?.['glide.session.status'] === 'session.invalidated',
      JSON.stringify(reply),
    );
    const orders = await fetch(`${url}/api/now/table/x_scratch_order?sysparm_fields=number,item`, {
      headers: { Authorization: `Basic ${Buffer.from('pat:pw').toString('base64')}` },
    });
    const body = await orders.json();
    check(
      'the bin serves the project’s own data file (--data)',
      orders.status === 200 &&
        JSON.stringify(body.result) ===
          JSON.stringify([
            { number: 'ORD0000001', item: 'Stapler' },
            { number: 'ORD0000002', item: 'Lamp' },
          ]),
      JSON.stringify(body),
    );
  } finally {
    child.kill('SIGTERM');
  }

  // The programmatic API, in TypeScript, as a user's test file.
  writeFileSync(
    join(project, 'check.ts'),
    `import {
  loadInstanceData,
  MockInstance,
  MockInstanceControlError,
  RateLimitRule,
  startMockInstance,
} from 'ngx-user-token-mock-instance';

async function main(): Promise<void> {
  const data = await loadInstanceData('instance.json');
  const instance: MockInstance = await startMockInstance({ dev: true, data });
  try {
    const login = await fetch(instance.url + '/login.do', {
      method: 'POST',
      body: new URLSearchParams({ user_name: 'pat', user_password: 'pw' }),
      redirect: 'manual',
    });
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    const token = await (await fetch(instance.url + '/user_token.do', { headers: { Cookie: cookie } })).text();
    const list = (t: string) =>
      fetch(instance.url + '/api/now/table/x_scratch_order?sysparm_limit=1', {
        headers: { Cookie: cookie, 'X-UserToken': t },
      }).then((r) => r.status);
    const before = await list(token);
    const rotated: number = await instance.control.rotateToken('pat');
    const stale = await list(token);
    await instance.control.endSession('pat');
    const missing = await instance.control.endSession('pat').catch((e: unknown) =>
      e instanceof MockInstanceControlError ? e.status : -1,
    );
    const rules: RateLimitRule[] = [{ limit: 0, user: 'pat' }];
    const switched = await instance.control.configure({ sessionConcurrency: 1, rateLimits: rules });
    const limited = await fetch(instance.url + '/api/now/table/x_scratch_order', {
      headers: { Authorization: 'Basic ' + Buffer.from('pat:pw').toString('base64') },
    }).then((r) => r.status);
    const { rotations, rateLimited } = await instance.control.stats();
    console.log(JSON.stringify({ before, rotated, stale, missing, rotations, concurrency: switched.sessionConcurrency, limited, rateLimited }));
  } finally {
    await instance.close();
  }
}
void main();
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node10',
        strict: true,
        types: ['node'],
        outDir: 'out',
      },
      files: ['check.ts'],
    }),
  );
  run(join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], project);
  check('its types compile in a strict TypeScript project', true);
  const result = JSON.parse(run(process.execPath, ['out/check.js'], project));
  check(
    'the API with the project’s data: a live token passes, a rotated one is refused, the control client ends sessions, sets session limits and rate limit rules',
    JSON.stringify(result) ===
      JSON.stringify({
        before: 200,
        rotated: 1,
        stale: 401,
        missing: 404,
        rotations: 1,
        concurrency: 1,
        limited: 429,
        rateLimited: 1,
      }),
    JSON.stringify(result),
  );

  // The Node helper under node's own test runner (its hooks passed, as for Vitest without globals).
  writeFileSync(
    join(project, 'helper.test.mjs'),
    `import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { logIn, useMockInstance } from 'ngx-user-token-mock-instance/testing';

const instance = useMockInstance({ hooks: { beforeAll: before, afterAll: after, beforeEach } });
test('each test starts from the starting counters', async () => {
  await fetch(instance().url + '/api/now/table/incident', { headers: { Cookie: 'JSESSIONID=x' } });
  assert.equal((await instance().control.stats()).unauthorized, 1);
});
test('and the next one too', async () => {
  assert.equal((await instance().control.stats()).unauthorized, 0);
});
test('a logged-in user calls the API with its session, until the token rotates', async () => {
  const abel = await logIn(instance().url);
  assert.equal((await abel.fetch('/api/now/table/incident')).status, 200);
  await instance().control.rotateToken('abel.tuter');
  assert.equal((await abel.fetch('/api/now/table/incident')).status, 401);
});
`,
  );
  const helper = run(process.execPath, ['--test', 'helper.test.mjs'], project);
  check(
    'the Node helper (/testing) under node --test',
    /# pass 3\b/.test(helper) && /# fail 0\b/.test(helper),
  );

  // A TypeScript data file, read through the project's own tsx (its ES module API).
  writeFileSync(
    join(project, 'instance.ts'),
    `const site: { type: 'string' } = { type: 'string' };
export default { extends: 'demo', tables: { incident: { fields: { u_site: site } } } };
`,
  );
  const typed = run(
    process.execPath,
    [
      '-e',
      "require('ngx-user-token-mock-instance').loadInstanceData('instance.ts').then((d) => console.log(Object.keys(d.tables.incident.fields).includes('u_site'), d.users.length))",
    ],
    project,
  );
  check(
    'a TypeScript data file (with tsx in the project)',
    typed.trim() === 'true 30',
    typed.trim(),
  );

  // compare <dir>, as the README gives it, on a recorded exchange: a field the demo's incidents
  // lack is a DIFF (exit 1); with data that extends the demo's by that field it matches (exit 0).
  run('mkdir', ['-p', join(project, 'recording')], project);
  writeFileSync(
    join(project, 'recording/0001-GET-api-now-table-incident.json'),
    JSON.stringify({
      format: 'ngx-user-token-recording/1',
      seq: 1,
      user: 'abel.tuter',
      attempts: 1,
      request: {
        method: 'GET',
        path: '/api/now/table/incident?sysparm_limit=1&sysparm_fields=number,u_team',
        headers: { accept: 'application/json', cookie: '[session]', 'x-usertoken': '[session]' },
        body: null,
      },
      response: {
        status: 200,
        headers: {
          'content-type': 'application/json;charset=UTF-8',
          'x-total-count': '33',
          link: '<https://instance.example/api/now/table/incident?sysparm_limit=1&sysparm_offset=1>;rel="next"',
          'cache-control': 'no-cache,no-store,must-revalidate,max-age=-1',
          'x-is-logged-in': 'true',
          'x-sessionloggedin': 'true',
        },
        body: {
          type: 'json',
          value: { result: [{ number: 'INC0010001', u_team: 'Blue' }] },
          bytes: 58,
          truncated: false,
        },
      },
    }),
  );
  writeFileSync(
    join(project, 'with-team.json'),
    JSON.stringify({
      extends: 'demo',
      tables: { incident: { fields: { u_team: { type: 'string' } } } },
    }),
  );
  const differs = spawnSync(bin, ['compare', 'recording'], { cwd: project, encoding: 'utf8' });
  const matches = spawnSync(bin, ['compare', 'recording', '--data', 'with-team.json'], {
    cwd: project,
    encoding: 'utf8',
  });
  check(
    'compare <dir> names a field the mock lacks (exit 1), and matches with data that extends the demo’s (exit 0)',
    differs.status === 1 &&
      /result\[\]\.u_team: recorded string, mock missing/.test(differs.stdout) &&
      /1 exchange: 0 match, 1 differ/.test(differs.stdout) &&
      matches.status === 0 &&
      /^MATCH {2}GET /m.test(matches.stdout),
    `${differs.stdout}${differs.stderr}${matches.stdout}${matches.stderr}`.trim(),
  );

  // The Playwright fixture (/playwright) as the README sets it up: its playwright.config.ts, data
  // that extends the demo's (a path), Debian's Chromium, a page logged in as the data's own user.
  run('mkdir', ['-p', join(project, 'e2e')], project);
  writeFileSync(
    join(project, 'e2e/instance.json'),
    JSON.stringify({
      extends: 'demo',
      users: [{ user_name: 'dana', password: 'pw', roles: ['itil'], name: 'Dana Desk' }],
      records: { incident: [{ short_description: 'Site down', caller_id: 'dana' }] },
    }),
  );
  writeFileSync(
    join(project, 'e2e/fixture.spec.ts'),
    `import { expect, test } from 'ngx-user-token-mock-instance/playwright';

test('my tests drive the worker’s instance', async ({ instance, request }) => {
  const denied = await request.get(instance.url + '/api/now/table/incident', {
    headers: { Cookie: 'JSESSIONID=x' },
  });
  expect(denied.status()).toBe(401);
  expect((await instance.control.stats()).unauthorized).toBe(1);
});

test('a page logged in as the data’s own user lists what that user called in', async ({ page, logIn }) => {
  await logIn('dana', 'pw');
  const mine = await page.evaluate(async () => {
    const token = (window as unknown as { g_ck: string }).g_ck;
    const answer = await fetch(
      '/api/now/table/incident?sysparm_query=caller_id=javascript:gs.getUserID()&sysparm_fields=number,short_description',
      { headers: { 'X-UserToken': token } },
    );
    return (await answer.json()).result;
  });
  expect(mine).toEqual([{ number: 'INC0010301', short_description: 'Site down' }]);
});
`,
  );
  writeFileSync(
    join(project, 'playwright.config.ts'),
    `import { defineConfig } from '@playwright/test';
import type { MockInstanceWorkerFixtures } from 'ngx-user-token-mock-instance/playwright';

export default defineConfig<object, MockInstanceWorkerFixtures>({
  testDir: 'e2e',
  reporter: 'line',
  use: {
    mockInstanceOptions: { data: 'e2e/instance.json' },
    launchOptions: { executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium' },
  },
});
`,
  );
  writeFileSync(
    join(project, 'tsconfig.playwright.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        noEmit: true,
        lib: ['ES2022', 'DOM'],
        types: ['node'],
      },
      files: ['playwright.config.ts', 'e2e/fixture.spec.ts'],
    }),
  );
  run(join(project, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.playwright.json'], project);
  check('the README’s playwright.config.ts and a fixture test type-check', true);
  const fixture = run(join(project, 'node_modules/.bin/playwright'), ['test'], project);
  check(
    'the Playwright fixture (/playwright) in a user’s test: data by path extending the demo’s, logIn as its user in Chromium',
    /2 passed/.test(fixture),
    fixture.trim().split('\n').pop(),
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
done();
