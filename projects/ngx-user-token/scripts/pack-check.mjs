// @ts-check
// `npm run test:pack`: packs the built library as npm would publish it, checks the tarball's
// manifest and files, installs the tarball into a scratch Angular app outside the workspace and
// builds that app for production. Prints one line per check and exits non-zero on the first
// failure.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { check, done, packAndOpen, run } from '../../node-build/scripts/pack-checks.mjs';

const ROOT = resolve(import.meta.dirname, '../../..');
const workspace = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
run('npm', ['run', 'build'], ROOT);
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
      'fesm2022/ngx-user-token.mjs',
      'fesm2022/ngx-user-token-testing.mjs',
      'types/ngx-user-token.d.ts',
      'types/ngx-user-token-testing.d.ts',
      'schematics/collection.json',
      'schematics/ng-add/index.js',
      'schematics/ng-add/schema.json',
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
    'exports: . and ./testing',
    Boolean(manifest.exports?.['.']?.default && manifest.exports?.['./testing']?.default),
  );

  // A scratch app, outside the workspace, that installs the tarball like any user would.
  const app = join(scratch, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  const version = (/** @type {string} */ name) =>
    workspace.dependencies[name] ?? workspace.devDependencies[name];
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'scratch-app',
        private: true,
        dependencies: Object.fromEntries(
          [
            '@angular/common',
            '@angular/compiler',
            '@angular/core',
            '@angular/platform-browser',
            'rxjs',
            'tslib',
          ].map((n) => [n, version(n)]),
        ),
        devDependencies: Object.fromEntries(
          ['@angular/build', '@angular/cli', '@angular/compiler-cli', 'typescript'].map((n) => [
            n,
            version(n),
          ]),
        ),
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(app, 'angular.json'),
    JSON.stringify({
      version: 1,
      cli: { analytics: false },
      projects: {
        app: {
          projectType: 'application',
          root: '',
          sourceRoot: 'src',
          architect: {
            build: {
              builder: '@angular/build:application',
              options: {
                browser: 'src/main.ts',
                index: 'src/index.html',
                tsConfig: 'tsconfig.json',
                outputPath: 'dist',
              },
            },
          },
        },
      },
    }),
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'preserve',
        skipLibCheck: false,
        types: [],
      },
      files: ['src/main.ts'],
    }),
  );
  writeFileSync(
    join(app, 'src/index.html'),
    '<!doctype html><html><head><base href="/"></head><body><app-root></app-root></body></html>',
  );
  writeFileSync(
    join(app, 'src/main.ts'),
    `import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { Component, provideZonelessChangeDetection } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';
import { provideUserToken, UserTokenEvents, userTokenInterceptor, userTokenOriginGuard, withCrossTabSync, withTokenPage } from 'ngx-user-token';
import type { FakeUserTokenSource } from 'ngx-user-token/testing';

export type UsesTheTestingTypes = FakeUserTokenSource;

@Component({ selector: 'app-root', template: 'ok' })
class App {}

bootstrapApplication(App, {
  providers: [
    provideZonelessChangeDetection(),
    provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor, userTokenOriginGuard])),
    provideUserToken(withTokenPage('/x_token.do'), withCrossTabSync()),
  ],
}).then((ref) => ref.injector.get(UserTokenEvents).events.subscribe(console.log));
`,
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app);
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      join(scratch, filename),
    ],
    app,
  );
  const installed = JSON.parse(
    readFileSync(join(app, 'node_modules/ngx-user-token/package.json'), 'utf8'),
  );
  check(
    'the scratch app installed the tarball',
    installed.version === manifest.version,
    installed.version,
  );
  // The CLI loads a schematic by its file path, with require() (ES modules included, Node >= 20.19).
  const factory = join(app, 'node_modules/ngx-user-token/schematics/ng-add/index.js');
  const ngAdd = run(
    process.execPath,
    ['-p', `typeof require(${JSON.stringify(factory)}).ngAdd`],
    app,
  ).trim();
  check('the shipped ng add schematic loads in the app', ngAdd === 'function', ngAdd);
  const generated = run(
    join(app, 'node_modules/.bin/ng'),
    ['generate', 'ngx-user-token:ng-add'],
    app,
  );
  check(
    'ng add runs through the CLI (the app is set up already: it changes nothing)',
    generated.includes('already set up'),
    generated.trim(),
  );
  run(join(app, 'node_modules/.bin/ng'), ['build'], app);
  const main = readdirSync(join(app, 'dist/browser')).find((f) => /^main(-\w+)?\.js$/.test(f));
  const bundle = main ? readFileSync(join(app, 'dist/browser', main), 'utf8') : '';
  check(
    'the scratch app builds for production with the library in it',
    bundle.includes('X-UserToken'),
  );
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
done();
