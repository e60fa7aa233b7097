// @ts-check
// `npm run bench`: every measurement side by side in one run; writes bench/results.json and
// bench/results.md. `--smoke` runs each scenario at a tiny size (what `npm test` does), `--out`
// writes elsewhere.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { measureHotPath } from './hot-path.mjs';
import { measureRoundTrips } from './round-trips.mjs';
import { measureSize } from './size.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench' },
  },
});
const smoke = values.smoke;
const outDir = resolve(ROOT, values.out);

console.log('Building the library (dist/ngx-user-token)…');
execFileSync(resolve(ROOT, 'node_modules/.bin/ng'), ['build', 'ngx-user-token'], {
  cwd: ROOT,
  stdio: 'ignore',
  env: { ...process.env, NG_CLI_ANALYTICS: 'false' },
});
const lib = await import(resolve(ROOT, 'dist/ngx-user-token/fesm2022/ngx-user-token.mjs'));

console.log('1/3 hot path…');
const hotPath = measureHotPath(
  smoke
    ? { userTokenInterceptor: lib.userTokenInterceptor, requests: 200, rounds: 3, warmup: 1 }
    : { userTokenInterceptor: lib.userTokenInterceptor },
);
console.log('2/3 round trips…');
const roundTrips = await measureRoundTrips(smoke ? { lib, bursts: [1, 3], repeats: 1 } : { lib });
console.log('3/3 size…');
const size = measureSize();

const goals = {
  hotPathVsAngular: {
    goal: '≤ 1.0',
    value: hotPath.oursVsAngular,
    met: hotPath.oursVsAngular <= 1.0,
  },
  hotPathVsJwt: { goal: '≤ 0.5', value: hotPath.oursVsJwt, met: hotPath.oursVsJwt <= 0.5 },
  tokenPageFetchesWithHeader: {
    goal: '0',
    met: roundTrips.rows
      .filter((r) => r.strategy.includes('X-UserToken-Response'))
      .every((r) => r.tokenPageFetches === 0),
  },
  tokenPageFetchesPageOnly: {
    goal: 'exactly 1 per burst',
    met: roundTrips.rows
      .filter((r) => r.strategy.includes('token page only'))
      .every((r) => r.tokenPageFetches === 1),
  },
  no401DuringRefresh: {
    goal: '0',
    met: roundTrips.rows
      .filter((r) => r.strategy.startsWith('ngx-user-token'))
      .every((r) => r.duringRefresh.unauthorized === 0),
  },
  minimalAppSmallerThanAngularJwt: {
    goal: "≤ angular-jwt's FESM (minified, gzipped)",
    value: size.app.minimalMinGz,
    met: size.app.minimalMinGz <= size.angularJwt.minifiedGzipped,
  },
  smallerThanAngularJwt: {
    goal: '< angular-jwt (minified, gzipped)',
    met: size.ngxUserToken.minifiedGzipped < size.angularJwt.minifiedGzipped,
  },
};

const results = {
  date: new Date().toISOString(),
  command: smoke ? 'node --expose-gc bench/run.mjs --smoke' : 'npm run bench',
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' },
  smoke,
  hotPath,
  roundTrips,
  size,
  goals,
};

/** @param {number} x @param {number} [digits] */
const f = (x, digits = 2) => x.toFixed(digits);
/** @param {boolean} met */
const verdict = (met) => (met ? 'met' : '**not met**');
const md = `# Benchmark results

Made by \`${results.command}\` on ${results.date.slice(0, 10)} (Node ${results.machine.node}, ${results.machine.cpus} cores${smoke ? ', smoke run: tiny sizes, not a measurement' : ''}).
Everything below was measured side by side in that one run. Machines here are noisy: read the
ratios and medians, not the absolute times.

## 1. Hot path: cost per request

${hotPath.requestsPerRound} POST requests per batch through \`HttpClient\` with a synchronous backend, ${hotPath.rounds} rounds, configurations interleaved${hotPath.gcBetweenBatches ? "; before each configuration's batches the heap is collected, then two batches are timed: the second (steady state, optimized code) is the figure below, the first (right after the collection, when V8 has just discarded optimized code) is reported after it" : ''}; median ns per request.

| configuration | ns / request | added by the interceptor |
| --- | ---: | ---: |
${hotPath.rows.map((r) => `| ${r.name} | ${f(r.nsPerRequest, 0)} | ${f(r.addedNs, 0)} |`).join('\n')}

Added cost of ngx-user-token (same origin), median of per-round ratios: **${f(hotPath.oursVsAngular)}×** Angular's XSRF interceptor (goal ≤ 1.0: ${verdict(goals.hotPathVsAngular.met)}), **${f(hotPath.oursVsJwt)}×** @auth0/angular-jwt's (goal ≤ 0.5: ${verdict(goals.hotPathVsJwt.met)}).

Right after a collection (code being re-optimized; for information, no goal): ${hotPath.afterCollection.rows.map((r) => `${r.name} ${f(r.nsPerRequest, 0)} ns`).join(', ')}; ngx-user-token's added cost **${f(hotPath.afterCollection.oursVsAngular)}×** Angular's, **${f(hotPath.afterCollection.oursVsJwt)}×** angular-jwt's.

## 2. Round trips when the token rotates

A burst of N concurrent GETs right after the server rotated the session token, through Angular's \`HttpClient\` (fetch backend) against the mock instance on loopback. Counts are the server's; time is the burst's wall time over the same burst with a valid token (median of ${roundTrips.repeats}). "During refresh": a second burst of N sent the moment the refresh started.

| strategy | N | requests to the server | 401s | retries | token page fetches | failed | time vs valid token | 401s during refresh |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${roundTrips.rows.map((r) => `| ${r.strategy} | ${r.n} | ${r.serverRequests} | ${r.unauthorized} | ${r.retries} | ${r.tokenPageFetches} | ${r.failed} | ${f(r.timeVsValid)}× | ${r.duringRefresh.unauthorized} of ${r.duringRefresh.sent} |`).join('\n')}

Goals: 0 token page fetches with \`X-UserToken-Response\` (${verdict(goals.tokenPageFetchesWithHeader.met)}); exactly 1 with the token page only, for any N (${verdict(goals.tokenPageFetchesPageOnly.met)}); 0 401s for requests issued during a refresh (${verdict(goals.no401DuringRefresh.met)}).

## 3. Size

What an app pays: the same small app (\`bench/app\`, importing the packaged library from \`dist/\` as an app installs it) built for production without the library, with its minimal setup (\`withInterceptors([userTokenInterceptor])\`, defaults), with every feature on (\`withTokenPage\`, \`withCrossTabSync\`, \`withUserTokenOptions\`, the origin guard, the events), and with @auth0/angular-jwt instead; the difference of their JavaScript.

| setup | minified | minified + gzipped |
| --- | ---: | ---: |
| minimal | ${size.app.minimalMin} | ${size.app.minimalMinGz} |
| every feature | ${size.app.fullMin} | ${size.app.fullMinGz} |
| for comparison: @auth0/angular-jwt doing the same job (\`bench/app/setup.jwt.ts\`) | ${size.app.jwtMin} | ${size.app.jwtMinGz} |

The minimal setup costs an app ${size.app.minimalMinGz} bytes minified and gzipped; @auth0/angular-jwt's whole FESM is ${size.angularJwt.minifiedGzipped} (goal: no more: ${verdict(goals.minimalAppSmallerThanAngularJwt.met)}); angular-jwt costs the same app ${size.app.jwtMinGz}, and it sends a header only (no recovery from a rejected token at all).

| | bytes | gzipped | minified + gzipped |
| --- | ---: | ---: | ---: |
| ngx-user-token FESM (\`${size.ngxUserToken.file}\`) | ${size.ngxUserToken.bytes} | ${size.ngxUserToken.gzipped} | ${size.ngxUserToken.minifiedGzipped} |
| @auth0/angular-jwt 5.2.0 FESM (\`${size.angularJwt.file}\`) | ${size.angularJwt.bytes} | ${size.angularJwt.gzipped} | ${size.angularJwt.minifiedGzipped} |

In the demo's production build the library's code is ${size.demo.ngxUserTokenBytesInDemo} bytes (minified) of ${size.demo.demoJavaScriptBytes} bytes of JavaScript (esbuild stats). Smaller than angular-jwt, minified and gzipped: ${verdict(goals.smallerThanAngularJwt.met)}.
`;

mkdirSync(outDir, { recursive: true });
writeFileSync(resolve(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
writeFileSync(resolve(outDir, 'results.md'), md);
if (!smoke) {
  // docs/performance.md quotes the latest tables, between two markers.
  const readmePath = resolve(ROOT, 'docs/performance.md');
  const readme = readFileSync(readmePath, 'utf8');
  const quoted = md
    .slice(md.indexOf('Made by'))
    .replaceAll('\n## ', '\n### ')
    .replace(/^## /, '### ')
    .trim();
  const updated = readme.replace(
    /(<!-- bench:start[^>]*-->\n)[\s\S]*?(\n<!-- bench:end -->)/,
    (_, open, close) => `${open}${quoted}${close}`,
  );
  writeFileSync(readmePath, updated);
}
console.log(md);
console.log(`Wrote ${resolve(outDir, 'results.md')} and results.json`);
