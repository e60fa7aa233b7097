// @ts-check
// `npm run test:pack`: packs the built library as npm would publish it, checks the tarball's
// manifest and files, then does what a new user does, outside the workspace: `ng new`, install the
// tarball, `ng add`, the README's test snippet under `ng new`'s test runner, a production build.
// Prints one line per check and exits non-zero on the first failure.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { stripVTControlCharacters } from 'node:util';

import {
  check,
  done,
  ngNew,
  npmInstall,
  packAndOpen,
  run,
} from '../../node-build/scripts/pack-checks.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const workspace = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
run('npm', ['run', 'build'], ROOT);
/**
 * Runs a command that may fail, for a check of its own: its exit status and its whole output.
 * @param {string} cmd @param {string[]} args @param {string} cwd
 */
const attempt = (cmd, args, cwd) => {
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
};
const scratch = mkdtempSync(join(tmpdir(), 'ngx-user-token-pack-'));
try {
  const { filename, manifest } = packAndOpen({
    root: ROOT,
    dist: 'dist/ngx-user-token',
    scratch,
    files: [
      'package.json',
      'README.md',
      'LICENSE',
      'login-complete.html',
      'fesm2022/ngx-user-token.mjs',
      'fesm2022/ngx-user-token-testing.mjs',
      'fesm2022/ngx-user-token-live.mjs',
      'fesm2022/ngx-user-token-ui-page.mjs',
      'types/ngx-user-token.d.ts',
      'types/ngx-user-token-testing.d.ts',
      'types/ngx-user-token-live.d.ts',
      'types/ngx-user-token-ui-page.d.ts',
      'schematics/collection.json',
      'schematics/ng-add/index.js',
      'schematics/ng-add/schema.json',
      'schematics/workspace.js',
      'schematics/instance-app/index.js',
      'schematics/instance-app/schema.json',
      'schematics/instance-app/files/now.prebuild.mjs.template',
      'schematics/instance-app/files/package.json.template',
      'schematics/instance-app/files/src/fluent/page.html.template',
      'schematics/instance-app/files/src/fluent/pages.now.ts.template',
      'schematics/instance-app/files/src/fluent/token.html.template',
    ],
    sections: [
      '## Install',
      '## Use it in an app',
      '## API',
      '## Recipes',
      '## Troubleshooting',
      '## Compatibility',
    ],
  });
  check('name', manifest.name === 'ngx-user-token', manifest.name);
  check('license', manifest.license === 'MIT', manifest.license);
  check('sideEffects: false', manifest.sideEffects === false);
  check(
    'peerDependencies',
    JSON.stringify(manifest.peerDependencies) ===
      JSON.stringify({
        '@angular/common': '>=20.0.0 <23.0.0',
        '@angular/core': '>=20.0.0 <23.0.0',
        rxjs: '^7.4.0',
      }),
    JSON.stringify(manifest.peerDependencies),
  );
  check(
    'keywords',
    ['servicenow', 'csrf', 'x-usertoken', 'g_ck', 'angular', 'interceptor'].every((k) =>
      manifest.keywords?.includes(k),
    ),
    String(manifest.keywords),
  );
  check(
    'exports: ., ./testing, ./live and ./ui-page',
    Boolean(
      manifest.exports?.['.']?.default &&
      manifest.exports?.['./testing']?.default &&
      manifest.exports?.['./live']?.default &&
      manifest.exports?.['./ui-page']?.default,
    ),
  );
  check(
    'dependencies: tslib and cometd (the live entry point)',
    Boolean(manifest.dependencies?.tslib && manifest.dependencies?.cometd),
    JSON.stringify(manifest.dependencies),
  );

  // A new user's app: `ng new` with the workspace's Angular CLI, then the tarball, then `ng add`.
  const app = ngNew({ scratch, version: workspace.devDependencies['@angular/cli'], name: 'app' });
  const ng = (/** @type {string[]} */ ...args) => run(join(app, 'node_modules/.bin/ng'), args, app);
  npmInstall(app);
  // `ng add` writes the setup the README shows first (under "Use it in an app").
  const guide = readFileSync(join(scratch, 'package/README.md'), 'utf8');
  const setup = guide.match(/providers: \[(provideHttpClient\(withFetch\(\).*\))\],/)?.[1];
  check("the README's setup is found", Boolean(setup), setup);
  // As README's Install says for the package before it is published: `ng add` of the tarball.
  const added = ng('add', join(scratch, filename), '--skip-confirmation');
  const installed = JSON.parse(
    readFileSync(join(app, 'node_modules/ngx-user-token/package.json'), 'utf8'),
  );
  check(
    'ng add installed the tarball in the ng new app',
    installed.version === manifest.version,
    installed.version,
  );
  const configPath = join(app, 'src/app/app.config.ts');
  const config = readFileSync(configPath, 'utf8');
  check(
    "ng add writes the README's setup into app.config.ts",
    Boolean(setup) && config.includes(/** @type {string} */ (setup)),
    config.match(/provideHttpClient\(.*\)/)?.[0],
  );
  check('ng add writes no empty provideUserToken()', !config.includes('provideUserToken'));
  check(
    'ng add says what else there is',
    added.includes('provideUserToken(withTokenPage(') && added.includes('userTokenOriginGuard'),
    added.match(/ngx-user-token: registered .*/)?.[0],
  );
  const again = ng('add', join(scratch, filename), '--skip-confirmation');
  check(
    'ng add a second time changes nothing',
    again.includes('already set up') && readFileSync(configPath, 'utf8') === config,
    again.match(/ngx-user-token is already .*/)?.[0] ?? again,
  );

  // The README's test snippet, unchanged, under the runner `ng new` set up (Vitest).
  const snippet = guide.match(/```ts\n(TestBed\.configureTestingModule\([\s\S]*?)```/)?.[1];
  check("the README's test snippet is found", Boolean(snippet));
  writeFileSync(
    join(app, 'src/app/incidents.spec.ts'),
    `import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { inject, Injectable } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { userTokenInterceptor } from 'ngx-user-token';
import {
  expectOneWithToken,
  FakeUserTokenSource,
  flushUserTokenRejection,
  provideUserTokenTesting,
} from 'ngx-user-token/testing';

@Injectable({ providedIn: 'root' })
class IncidentService {
  private readonly http = inject(HttpClient);
  load() {
    return this.http.get('/api/now/table/incident');
  }
}

describe('the README snippet', () => {
  it('retries a rejected request once with the fresh token', () => {
${snippet}
  });
});
`,
  );
  const tested = attempt(join(app, 'node_modules/.bin/ng'), ['test', '--watch=false'], app);
  const summary = stripVTControlCharacters(tested.output);
  check(
    "the README's test snippet passes under ng new's Vitest",
    tested.ok && summary.includes('incidents.spec.ts') && /Tests\s+\d+ passed/.test(summary),
    tested.ok ? summary.match(/Tests\s+.*/)?.[0]?.trim() : summary,
  );

  // The rest of the README's setup, as a user adds it after `ng add`: the optional features, the
  // guard, the events; type-checked against the shipped declarations, then a production build.
  writeFileSync(
    configPath,
    config
      .replace(
        'withInterceptors([userTokenInterceptor])',
        'withInterceptors([userTokenInterceptor, userTokenOriginGuard])',
      )
      .replace(
        /provideHttpClient\(/,
        "provideUserToken(withTokenPage('/x_token.do'), withCrossTabSync()),\n    provideUiPageLocation(),\n    provideNextExperienceFrame(),\n    provideRecordWatcher(),\n    provideAppInitializer(() => { inject(UserTokenEvents).events.subscribe(console.log); inject(RecordWatcher).watch('incident', 'active=true').subscribe(console.log); }),\n    provideHttpClient(",
      )
      .replace(
        /^/,
        "import { inject, provideAppInitializer } from '@angular/core';\nimport { provideUserToken, UserTokenEvents, userTokenOriginGuard, withCrossTabSync, withTokenPage } from 'ngx-user-token';\nimport { provideRecordWatcher, RecordWatcher } from 'ngx-user-token/live';\nimport { provideNextExperienceFrame, provideUiPageLocation } from 'ngx-user-token/ui-page';\nimport type { FakeUserTokenSource } from 'ngx-user-token/testing';\nexport type UsesTheTestingTypes = FakeUserTokenSource;\n",
      ),
  );
  const typed = attempt(
    join(app, 'node_modules/.bin/tsc'),
    ['--noEmit', '-p', 'tsconfig.app.json', '--skipLibCheck', 'false'],
    app,
  );
  check(
    'the app type-checks against the shipped declarations (skipLibCheck off)',
    typed.ok,
    typed.output.trim(),
  );
  ng('build');
  const dist = join(app, 'dist/app/browser');
  const main = readdirSync(dist).find((f) => /^main(-\w+)?\.js$/.test(f));
  const bundle = main ? readFileSync(join(dist, main), 'utf8') : '';
  check(
    'the app builds for production with the library in it',
    bundle.includes('X-UserToken') && bundle.includes('x_token.do'),
  );
  check(
    'the live entry point and CometD are in it (the watcher, the session setup)',
    bundle.includes('/amb_session_setup.do') && bundle.includes('/meta/handshake'),
  );
  check(
    "the UI-page entry point is in it, beside ng new's router (the frame's permalink)",
    bundle.includes('magellanNavigator.permalink.set'),
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
done();
