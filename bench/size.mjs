// @ts-check
// 3. Size: what an app pays for the library (a small app built without it, with its minimal
// setup, with every feature), the library's FESM bundle gzipped (as published, and minified), what
// it adds to the demo's production build, and @auth0/angular-jwt's FESM measured the same way.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

import { transformSync } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');

/** @param {string} file */
function sizes(file) {
  const code = readFileSync(file, 'utf8');
  const minified = transformSync(code, { minify: true, format: 'esm', loader: 'js' }).code;
  return {
    file: file.slice(ROOT.length + 1),
    bytes: Buffer.byteLength(code),
    gzipped: gzipSync(code, { level: 9 }).length,
    minifiedGzipped: gzipSync(minified, { level: 9 }).length,
  };
}

/**
 * Builds the demo for production with esbuild's stats and sums what the library's sources put
 * into its JavaScript output.
 */
function demoContribution() {
  const outputPath = 'tmp/bench-demo';
  execFileSync(
    resolve(ROOT, 'node_modules/.bin/ng'),
    ['build', 'demo', '--stats-json', '--output-path', outputPath],
    {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, NG_CLI_ANALYTICS: 'false' },
    },
  );
  const stats = JSON.parse(readFileSync(resolve(ROOT, outputPath, 'stats.json'), 'utf8'));
  let total = 0;
  let ngxUserToken = 0;
  for (const [name, output] of Object.entries(stats.outputs)) {
    if (!name.endsWith('.js')) continue;
    total += output.bytes;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (input.includes('projects/ngx-user-token/')) ngxUserToken += bytesInOutput;
    }
  }
  return { demoJavaScriptBytes: total, ngxUserTokenBytesInDemo: ngxUserToken };
}

/**
 * What an app pays: the same small app (bench/app) built for production without ngx-user-token,
 * with its minimal setup (the interceptor on defaults), with every feature on, with the minimal
 * setup plus a record watcher (ngx-user-token/live, watching one list), and with
 * @auth0/angular-jwt set up for the same job instead; the difference of their JavaScript,
 * minified (as built) and gzipped.
 *
 * The app imports the packaged library (dist/ngx-user-token, as an app installs it), not its
 * sources: the CLI compiles a workspace's own TypeScript with esbuild alone (isolatedModules, no
 * source maps), which leaves the static members of injectable classes unwrapped, so an injectable
 * nobody injects stays in the bundle; a package goes through the CLI's optimizer, which marks
 * them pure, and the unused ones go.
 */
function appCost() {
  /** @param {string} configuration */
  const build = (configuration) => {
    const outputPath = `tmp/bench-app/${configuration}`;
    execFileSync(
      resolve(ROOT, 'node_modules/.bin/ng'),
      [
        'build',
        'bench-app',
        ...(configuration === 'without' ? [] : ['--configuration', configuration]),
        '--output-path',
        outputPath,
      ],
      { cwd: ROOT, stdio: 'ignore', env: { ...process.env, NG_CLI_ANALYTICS: 'false' } },
    );
    const dir = resolve(ROOT, outputPath, 'browser');
    const js = readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .sort()
      .map((f) => readFileSync(resolve(dir, f), 'utf8'))
      .join('\n');
    return { minified: Buffer.byteLength(js), minifiedGzipped: gzipSync(js, { level: 9 }).length };
  };
  const without = build('without');
  const minimal = build('minimal');
  const full = build('full');
  const jwt = build('jwt');
  const live = build('live');
  return {
    without,
    minimalMinGz: minimal.minifiedGzipped - without.minifiedGzipped,
    minimalMin: minimal.minified - without.minified,
    fullMinGz: full.minifiedGzipped - without.minifiedGzipped,
    fullMin: full.minified - without.minified,
    // The same measure for @auth0/angular-jwt doing the same job: an app-to-app comparison.
    jwtMinGz: jwt.minifiedGzipped - without.minifiedGzipped,
    jwtMin: jwt.minified - without.minified,
    // What the live entry point adds on top of the minimal setup: the record watcher and CometD.
    liveMinGz: live.minifiedGzipped - minimal.minifiedGzipped,
    liveMin: live.minified - minimal.minified,
  };
}

/** Measures sizes; the library must have been built into dist/ngx-user-token. */
export function measureSize() {
  return {
    app: appCost(),
    ngxUserToken: sizes(resolve(ROOT, 'dist/ngx-user-token/fesm2022/ngx-user-token.mjs')),
    angularJwt: sizes(
      resolve(ROOT, 'node_modules/@auth0/angular-jwt/fesm2020/auth0-angular-jwt.mjs'),
    ),
    demo: demoContribution(),
  };
}
