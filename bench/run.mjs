// @ts-check
// `npm run bench`: every measurement side by side in one run; writes bench/results.json and
// bench/results.md. `--smoke` runs each scenario at a tiny size (what `npm run bench:smoke`
// does), `--out` writes elsewhere.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { measureBursts, OURS as OURS_IN_BURSTS } from './bursts.mjs';
import { measureHotPathInProcesses } from './hot-path.mjs';
import { measureLive } from './live.mjs';
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
const bundle = resolve(ROOT, 'dist/ngx-user-token/fesm2022/ngx-user-token.mjs');
const lib = await import(bundle);

console.log('1/5 hot path…');
const hotPath = measureHotPathInProcesses(
  smoke
    ? { bundle, processes: 2, requests: 200, rounds: 3, warmup: 1 }
    : { bundle, processes: 5, rounds: 10 },
);
console.log('2/5 round trips…');
const roundTrips = await measureRoundTrips(smoke ? { lib, bursts: [1, 3], repeats: 1 } : { lib });
console.log('3/5 bursts within the session limits…');
const bursts = await measureBursts(smoke ? { lib, bursts: [10], repeats: 1 } : { lib });
console.log('4/5 size…');
const size = measureSize();
// Last: it gives Node a page's window for CometD while it runs.
console.log('5/5 live lists…');
const live = await measureLive(smoke ? { lib, writes: 5 } : { lib });
const oursInBursts = bursts.rows.filter((r) => r.client === OURS_IN_BURSTS);
/** What the minimal setup may add to an app (min+gz), with the session limits included. */
const SIZE_GOAL = 3500;

const goals = {
  hotPathVsAngular: {
    goal: '≤ 0.5',
    value: hotPath.oursVsAngular,
    met: hotPath.oursVsAngular <= 0.5,
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
  userProofsPerRefresh: {
    goal: 'at most 1 per burst when the page names its user, 0 otherwise',
    met: roundTrips.rows.every((r) =>
      r.strategy.includes('names its user') ? r.userQuestions <= 1 : r.userQuestions === 0,
    ),
  },
  no401DuringRefresh: {
    goal: '0',
    met: roundTrips.rows
      .filter((r) => r.strategy.startsWith('ngx-user-token'))
      .every((r) => r.duringRefresh.unauthorized === 0),
  },
  burstsNoneIgnored: {
    goal: '0 requests ignored, every N',
    value: Math.max(...oursInBursts.map((r) => r.ignored + r.lost)),
    met: oursInBursts.every((r) => r.ignored === 0 && r.lost === 0),
  },
  clickFirst: {
    goal: `a write's and a priority: 'high' GET's p95 ≤ 3 × one transaction (${3 * bursts.latency} ms) mid-burst, every N`,
    value: Math.max(...oursInBursts.flatMap((r) => [r.highClickP95Ms, r.writeClickP95Ms])),
    met: oursInBursts.every(
      (r) => Math.max(r.highClickP95Ms, r.writeClickP95Ms) <= 3 * bursts.latency,
    ),
  },
  burstTimeVsIdeal: {
    goal: '≤ 1.15× N × latency / 2, every N',
    value: Math.max(...oursInBursts.map((r) => r.timeVsIdeal)),
    met: oursInBursts.every((r) => r.timeVsIdeal <= 1.15),
  },
  minimalAppSize: {
    goal: `≤ ${SIZE_GOAL} B (minified, gzipped), the session limits included`,
    value: size.app.minimalMinGz,
    met: size.app.minimalMinGz <= SIZE_GOAL,
    // For information: what @auth0/angular-jwt costs the same app (a header only, no recovery).
    angularJwt: size.app.jwtMinGz,
  },
};

const results = {
  date: new Date().toISOString(),
  command: smoke ? 'node --expose-gc bench/run.mjs --smoke' : 'npm run bench',
  machine: { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' },
  smoke,
  hotPath,
  roundTrips,
  bursts,
  size,
  live,
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

${hotPath.requestsPerRound} POST requests per batch through \`HttpClient\` with a synchronous backend, in ${hotPath.processes} fresh Node processes of ${hotPath.rounds} rounds each (one process's ratio varies by about ±0.1 with the same code: the figures are medians across processes), configurations interleaved${hotPath.gcBetweenBatches ? "; before each configuration's batches the heap is collected, then two batches are timed: the second (steady state, optimized code) is the figure below, the first (right after the collection, when V8 has just discarded optimized code) is reported after it" : ''}; median ns per request.

| configuration | ns / request | added by the interceptor |
| --- | ---: | ---: |
${hotPath.rows.map((r) => `| ${r.name} | ${f(r.nsPerRequest, 0)} | ${f(r.addedNs, 0)} |`).join('\n')}

Added cost of ngx-user-token (same origin), median across processes of each one's median per-round ratio (per process: ${hotPath.perProcess.map((p) => f(p.oursVsAngular)).join(', ')}): **${f(hotPath.oursVsAngular)}×** Angular's XSRF interceptor (goal ≤ 0.5: ${verdict(goals.hotPathVsAngular.met)}), **${f(hotPath.oursVsJwt)}×** @auth0/angular-jwt's (goal ≤ 0.5: ${verdict(goals.hotPathVsJwt.met)}).

Right after a collection (code being re-optimized; for information, no goal): ${hotPath.afterCollection.rows.map((r) => `${r.name} ${f(r.nsPerRequest, 0)} ns`).join(', ')}; ngx-user-token's added cost **${f(hotPath.afterCollection.oursVsAngular)}×** Angular's, **${f(hotPath.afterCollection.oursVsJwt)}×** angular-jwt's.

## 2. Round trips when the token rotates

A burst of N concurrent GETs right after the server rotated the session token, through Angular's \`HttpClient\` (fetch backend) against the mock instance on loopback. Counts are the server's; time is the burst's wall time over the same burst with a valid token (median of ${roundTrips.repeats}). "During refresh": a second burst of N sent the moment the refresh started.

| strategy | N | requests to the server | 401s | retries | token page fetches | user proofs | failed | time vs valid token | 401s during refresh |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${roundTrips.rows.map((r) => `| ${r.strategy} | ${r.n} | ${r.serverRequests} | ${r.unauthorized} | ${r.retries} | ${r.tokenPageFetches} | ${r.userQuestions} | ${r.failed} | ${f(r.timeVsValid)}× | ${r.duringRefresh.unauthorized} of ${r.duringRefresh.sent} |`).join('\n')}

Goals: at most 1 user proof per burst when the page names its user (the new token proven to be that user's session, shared by the whole burst), 0 otherwise (${verdict(goals.userProofsPerRefresh.met)}); 0 token page fetches with \`X-UserToken-Response\` (${verdict(goals.tokenPageFetchesWithHeader.met)}); exactly 1 with the token page only, for any N (${verdict(goals.tokenPageFetchesPageOnly.met)}); 0 401s for requests issued during a refresh (${verdict(goals.no401DuringRefresh.met)}). The mock runs without session synchronization here (\`--session-concurrency 0\`), so that this measures how refreshes are shared; ngx-user-token keeps its default queue (3 reads on the wire: half of \`maxInFlight\`), so only those on the wire when the token rotated get a 401.

## 3. Bursts within the session limits

N GETs at once through Angular's \`HttpClient\` (fetch backend) against the mock instance modelling an instance's session limits (\`${bursts.flags}\`: each transaction takes ${bursts.latency} ms, a session runs 2 at once, 10 wait, the rest are ignored with a 202 and no body). Per burst, means of ${bursts.repeats} runs: requests the instance ignored, requests whose caller got no data (blank panels), the burst's time (median) against the ideal N × ${bursts.latency} / 2 ms, the latency of one request issued halfway through the ideal burst (the user's click: a GET as any other, p95 and median of ${bursts.repeats}; a GET with \`priority: 'high'\` and a write, p95 of ${bursts.repeats}, each in a burst of its own), and client memory per pending request (at the largest N: the heap with N requests issued, after a collection, per request). One unmeasured burst warms each client up.

| client | N | ignored | lost | 401s | time | vs ideal | click p95 | click median | high-priority click p95 | write click p95 | bytes / pending request |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${bursts.rows.map((r) => `| ${r.client} | ${r.n} | ${f(r.ignored, 1)} | ${f(r.lost, 1)} | ${f(r.unauthorized, 1)} | ${f(r.timeMs, 0)} ms | ${f(r.timeVsIdeal)}× | ${f(r.clickP95Ms, 0)} ms | ${f(r.clickMedianMs, 0)} ms | ${f(r.highClickP95Ms, 0)} ms | ${f(r.writeClickP95Ms, 0)} ms | ${Number.isFinite(r.bytesPerPending) ? f(r.bytesPerPending, 0) : 'n/a'} |`).join('\n')}

Goals for ngx-user-token: 0 requests ignored or lost, every N (${verdict(goals.burstsNoneIgnored.met)}); the burst within 1.15× the ideal (${verdict(goals.burstTimeVsIdeal.met)}, worst ${f(goals.burstTimeVsIdeal.value)}×); ${goals.clickFirst.goal} (${verdict(goals.clickFirst.met)}, worst ${f(goals.clickFirst.value, 0)} ms). Angular's XSRF interceptor sends no token with GETs, so its requests are 401s; the instance ignores those beyond its waiters all the same. With ngx-user-token a plain GET click waits behind the burst in the browser's queue (it is answered), a write or a high-priority GET goes first; without a queue a click is ignored when it comes while the session's waiters are full.

## 4. Size

What an app pays: the same small app (\`bench/app\`, importing the packaged library from \`dist/\` as an app installs it) built for production without the library, with its minimal setup (\`withInterceptors([userTokenInterceptor])\`, defaults), with every feature on (\`withTokenPage\`, \`withCrossTabSync\`, \`withUserTokenOptions\`, the origin guard, the events), and with @auth0/angular-jwt instead; the difference of their JavaScript.

| setup | minified | minified + gzipped |
| --- | ---: | ---: |
| minimal | ${size.app.minimalMin} | ${size.app.minimalMinGz} |
| every feature | ${size.app.fullMin} | ${size.app.fullMinGz} |
| for comparison: @auth0/angular-jwt doing the same job (\`bench/app/setup.jwt.ts\`) | ${size.app.jwtMin} | ${size.app.jwtMinGz} |

The minimal setup costs an app ${size.app.minimalMinGz} bytes minified and gzipped, the session limits (queue, ignored and rate limited requests) included (goal ≤ ${SIZE_GOAL}: ${verdict(goals.minimalAppSize.met)}). For information: angular-jwt costs the same app ${size.app.jwtMinGz}, and it sends a header only (no recovery from a rejected token, no queue); its whole FESM is ${size.angularJwt.minifiedGzipped}.

| | bytes | gzipped | minified + gzipped |
| --- | ---: | ---: | ---: |
| ngx-user-token FESM (\`${size.ngxUserToken.file}\`) | ${size.ngxUserToken.bytes} | ${size.ngxUserToken.gzipped} | ${size.ngxUserToken.minifiedGzipped} |
| @auth0/angular-jwt 5.2.0 FESM (\`${size.angularJwt.file}\`) | ${size.angularJwt.bytes} | ${size.angularJwt.gzipped} | ${size.angularJwt.minifiedGzipped} |

In the demo's production build the library's code is ${size.demo.ngxUserTokenBytesInDemo} bytes (minified) of ${size.demo.demoJavaScriptBytes} bytes of JavaScript (esbuild stats).

## 5. Live lists

\`ngx-user-token/live\`'s \`RecordWatcher\` (on the CometD client, over a ${live.transport}) watching a list on the mock instance's message bus, in Node with the page's session cookie, while Angular's \`HttpClient\` writes one record of the list ${live.writes} times, one after the other: from sending the PATCH to the watcher's message, **p50 ${f(live.p50Ms, 1)} ms, p95 ${f(live.p95Ms, 1)} ms** (the write itself: p50 ${f(live.writeP50Ms, 1)} ms; the instance publishes before it answers). Loopback and an idle mock: this is the library's and the bus's own overhead, not an instance's.

What the live entry point adds to an app on top of the minimal setup (\`bench/app/setup.live.ts\`: \`provideRecordWatcher()\` and one watched list): **${size.app.liveMinGz} bytes** minified and gzipped (${size.app.liveMin} minified), nearly all of it the CometD client; beside the core's ${size.app.minimalMinGz}. An app that does not import \`ngx-user-token/live\` pays nothing for it.
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
