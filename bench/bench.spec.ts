// Runs every benchmark scenario at a tiny size, so the bench code cannot rot unnoticed. The
// numbers of such a run mean nothing; what is checked is that each scenario ran and counted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const OUT = 'tmp/bench-smoke';

interface RoundTripRow {
  strategy: string;
  n: number;
  serverRequests: number;
  unauthorized: number;
  tokenPageFetches: number;
  userQuestions: number;
  failed: number;
  duringRefresh: { sent: number; unauthorized: number };
}

describe('npm run bench, smoke-sized', () => {
  let results: any;

  beforeAll(() => {
    execFileSync(process.execPath, ['--expose-gc', 'bench/run.mjs', '--smoke', '--out', OUT], {
      cwd: ROOT,
      stdio: 'ignore',
      timeout: 170_000,
    });
    results = JSON.parse(readFileSync(resolve(ROOT, OUT, 'results.json'), 'utf8'));
  }, 180_000);

  it('measures the hot path of every configuration', () => {
    expect(results.hotPath.rows.map((r: { name: string }) => r.name)).toEqual([
      'no interceptor (baseline)',
      "Angular's XSRF interceptor",
      '@auth0/angular-jwt JwtInterceptor',
      'ngx-user-token, same origin',
      'ngx-user-token, cross origin (scope check only)',
    ]);
    // Steady state (the goal's figure) and right after a collection, for every configuration.
    for (const summary of [results.hotPath, results.hotPath.afterCollection]) {
      expect(summary.rows).toHaveLength(5);
      for (const row of summary.rows) {
        expect(row.nsPerRequest).toBeGreaterThan(0);
      }
      expect(Number.isFinite(summary.oursVsAngular)).toBe(true);
      expect(Number.isFinite(summary.oursVsJwt)).toBe(true);
    }
    expect(results.hotPath.gcBetweenBatches).toBe(true);
    // Measured in fresh processes, each one's ratios kept.
    expect(results.hotPath.perProcess).toHaveLength(results.hotPath.processes);
    expect(results.hotPath.processes).toBeGreaterThan(1);
  });

  it('counts round trips for every strategy and burst', () => {
    const rows: RoundTripRow[] = results.roundTrips.rows;
    expect(rows).toHaveLength(5 * results.roundTrips.bursts.length);
    for (const row of rows) {
      expect(row.failed).toBe(0);
      expect(row.unauthorized).toBe(row.n);
      expect(row.serverRequests).toBe(2 * row.n + row.userQuestions);
      expect(row.duringRefresh.sent).toBe(row.n);
      // The new token proven the page user's once per burst, only where the page names its user.
      expect(row.userQuestions).toBe(row.strategy.includes('names its user') ? 1 : 0);
    }
    const ours = rows.filter((r) => r.strategy.startsWith('ngx-user-token'));
    expect(ours.every((r) => r.duringRefresh.unauthorized === 0)).toBe(true);
    const naive = rows.filter((r) => r.strategy === 'naive refresh per 401');
    expect(naive.map((r) => r.tokenPageFetches)).toEqual(naive.map((r) => r.n));
  });

  it('measures bursts within the session limits for every client', () => {
    const rows: {
      client: string;
      n: number;
      ignored: number;
      lost: number;
      timeVsIdeal: number;
      clickP95Ms: number;
      highClickP95Ms: number;
      writeClickP95Ms: number;
      bytesPerPending: number;
    }[] = results.bursts.rows;
    expect(rows.map((r) => r.client)).toEqual([
      'ngx-user-token (defaults)',
      "Angular's XSRF interceptor",
      '@auth0/angular-jwt',
    ]);
    for (const row of rows) {
      expect(row.timeVsIdeal).toBeGreaterThan(0);
      expect(row.clickP95Ms).toBeGreaterThan(0);
      expect(row.highClickP95Ms).toBeGreaterThan(0);
      expect(row.writeClickP95Ms).toBeGreaterThan(0);
      // Smoke-sized, the one N is the largest: memory is measured.
      expect(row.bytesPerPending).not.toBeNaN();
    }
    // A burst of 10 stays within 2 running and 10 waiting whatever the client: none ignored.
    expect(rows.every((r) => r.ignored === 0)).toBe(true);
    expect(rows[0].lost).toBe(0);
    expect(results.goals.minimalAppSize.value).toBe(results.size.app.minimalMinGz);
    expect(results.goals.clickFirst.value).toBe(
      Math.max(rows[0].highClickP95Ms, rows[0].writeClickP95Ms),
    );
  });

  it('measures sizes, and writes the markdown report', () => {
    expect(results.size.ngxUserToken.minifiedGzipped).toBeGreaterThan(1000);
    expect(results.size.angularJwt.minifiedGzipped).toBeGreaterThan(1000);
    expect(results.size.demo.ngxUserTokenBytesInDemo).toBeGreaterThan(1000);
    expect(results.size.app.minimalMinGz).toBeGreaterThan(0);
    expect(results.size.app.fullMinGz).toBeGreaterThan(results.size.app.minimalMinGz);
    expect(results.size.app.jwtMinGz).toBeGreaterThan(0);
    // The live entry point costs something (CometD) only in the app that imports it.
    expect(results.size.app.liveMinGz).toBeGreaterThan(1000);
    const md = readFileSync(resolve(ROOT, OUT, 'results.md'), 'utf8');
    expect(md).toContain('## 1. Hot path');
    expect(md).toContain('## 2. Round trips');
    expect(md).toContain('## 3. Bursts within the session limits');
    expect(md).toContain('## 4. Size');
    expect(md).toContain('## 5. Live lists');
  });

  it('times writes reaching a record watcher over the message bus', () => {
    expect(results.live.writes).toBe(5);
    expect(results.live.p50Ms).toBeGreaterThan(0);
    expect(results.live.p95Ms).toBeGreaterThanOrEqual(results.live.p50Ms);
  });
});
