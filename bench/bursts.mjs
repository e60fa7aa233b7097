// @ts-check
// 4. Bursts within the instance's session limits: N GETs at once from Angular's HttpClient (fetch
// backend) against the mock instance over loopback, modelling an instance: each transaction takes
// `latency` ms, a session runs 2 at once, 10 wait, the rest are ignored (a 202 with no body). For
// each client: how many requests the instance ignored, how many reached the caller without their
// data, the burst's time against the ideal N × latency / 2, the latency of a request issued
// mid-burst (the user's click during a dashboard load: a GET, a GET with `priority: 'high'`, a
// write), and client memory per pending request.
import { createAppInjector, installBrowserFetch } from './angular-node.mjs';

import { performance } from 'node:perf_hooks';

import {
  HttpClient,
  HttpXsrfTokenExtractor,
  provideHttpClient,
  withFetch,
  withInterceptors,
  withInterceptorsFromDi,
  withXsrfConfiguration,
} from '@angular/common/http';
import { importProvidersFrom } from '@angular/core';
import { JwtModule } from '@auth0/angular-jwt';
import { firstValueFrom } from 'rxjs';

import { median } from './hot-path.mjs';
import { LIST, logIn, post, serverStats, startInstance } from './round-trips.mjs';

export const LATENCY = 20;
export const OURS = 'ngx-user-token (defaults)';

/**
 * The clients compared, each set up as its docs show for sending the page's token.
 * @param {any} lib @param {Record<string, unknown>} window @param {string} host
 */
function clients(lib, window, host) {
  return [
    {
      name: OURS,
      providers: [provideHttpClient(withFetch(), withInterceptors([lib.userTokenInterceptor]))],
    },
    {
      // It adds the header to writes only: these GETs go without a token.
      name: "Angular's XSRF interceptor",
      providers: [
        provideHttpClient(withFetch(), withXsrfConfiguration({ headerName: 'X-UserToken' })),
        { provide: HttpXsrfTokenExtractor, useValue: { getToken: () => window['g_ck'] } },
      ],
    },
    {
      name: '@auth0/angular-jwt',
      providers: [
        provideHttpClient(withFetch(), withInterceptorsFromDi()),
        importProvidersFrom(
          JwtModule.forRoot({
            config: {
              tokenGetter: () => /** @type {string} */ (window['g_ck']),
              allowedDomains: [host],
              headerName: 'X-UserToken',
              authScheme: '',
            },
          }),
        ),
      ],
    },
  ];
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The nearest-rank `p`th percentile. @param {number[]} values @param {number} p */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** @param {{ lib: any, bursts?: number[], repeats?: number }} options */
export async function measureBursts(options) {
  const bursts = options.bursts ?? [10, 50, 200];
  const repeats = options.repeats ?? 5;
  const flags = ['--latency', String(LATENCY), '--session-concurrency', '2', '--max-waiters', '10'];
  const instance = await startInstance(flags, { quiet: true });
  const restoreFetch = installBrowserFetch(`${instance.url}/`);
  const rows = [];
  try {
    const window = { g_ck: await logIn(instance.url) };
    const host = new URL(instance.url).host;
    for (const client of clients(options.lib, window, host)) {
      for (const n of bursts) {
        const memory = n === Math.max(...bursts);
        rows.push(await measureClient(instance.url, window, client, n, repeats, memory));
      }
    }
  } finally {
    restoreFetch();
    await instance.stop();
  }
  return { flags: flags.join(' '), latency: LATENCY, bursts, repeats, rows };
}

/**
 * @param {string} url @param {Record<string, unknown>} window
 * @param {{ name: string, providers: unknown[] }} client @param {number} n @param {number} repeats
 * @param {boolean} memory whether to measure client memory too (at the largest N: smaller ones
 *   drown in the collector's noise)
 */
async function measureClient(url, window, client, n, repeats, memory) {
  const injector = createAppInjector({ url: `${url}/`, window }, client.providers);
  const http = injector.get(HttpClient);
  /** A GET; resolves to whether the caller got its data. @param {string} tag */
  const get = (tag) =>
    firstValueFrom(http.get(`${LIST}&${tag}`)).then(
      (body) => Array.isArray(/** @type {{ result?: unknown }} */ (body)?.result),
      () => false,
    );
  /**
   * The user's click, one of three kinds: a GET as any other, a GET with Angular's
   * `priority: 'high'`, and a write (a POST). Resolves to its time and whether it got its answer.
   * @param {'get' | 'high' | 'write'} kind @param {string} tag
   */
  const click = async (kind, tag) => {
    const c0 = performance.now();
    const request =
      kind === 'write'
        ? http.post('/api/now/table/incident', { short_description: tag })
        : http.get(`${LIST}&${tag}`, kind === 'high' ? { priority: 'high' } : {});
    const ok = await firstValueFrom(request).then(
      (body) => /** @type {{ result?: unknown }} */ (body)?.result !== undefined,
      () => false,
    );
    return { ms: performance.now() - c0, ok };
  };
  const ideal = (n * LATENCY) / 2;
  const times = [];
  /** @type {Record<'get' | 'high' | 'write', number[]>} */
  const clicks = { get: [], high: [], write: [] };
  let ignored = 0;
  let lost = 0;
  let unauthorized = 0;
  // One burst first, not counted: the code paths warm up.
  await Promise.all(Array.from({ length: n }, (_, i) => get(`warm=${i}`)));
  await sleep(500);
  for (let r = 0; r < repeats; r++) {
    for (const kind of /** @type {const} */ (['get', 'high', 'write'])) {
      await post(url, '/mock/stats/reset');
      const t0 = performance.now();
      const burst = Promise.all(Array.from({ length: n }, (_, i) => get(`n=${i}`)));
      // The user's click, halfway through the ideal burst.
      const clicked = sleep(ideal / 2).then(() => click(kind, 'click'));
      const results = await burst;
      if (kind === 'get') {
        times.push(performance.now() - t0);
      }
      const one = await clicked;
      clicks[kind].push(one.ms);
      lost += one.ok ? 0 : 1;
      const stats = await serverStats(url);
      ignored += stats.ignored;
      unauthorized += stats.unauthorized;
      lost += results.filter((ok) => !ok).length;
    }
  }
  // Client memory per pending request: the heap with N requests issued and not yet answered.
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  let bytesPerPending = NaN;
  if (gc && memory) {
    await sleep(2000);
    gc();
    const before = process.memoryUsage().heapUsed;
    const pending = Promise.all(Array.from({ length: n }, (_, i) => get(`mem=${i}`)));
    gc();
    bytesPerPending = (process.memoryUsage().heapUsed - before) / n;
    await pending;
  }
  injector.destroy();
  const time = median(times);
  return {
    client: client.name,
    n,
    // Per burst (three bursts a repeat, one per kind of click).
    ignored: ignored / (3 * repeats),
    lost: lost / (3 * repeats),
    unauthorized: unauthorized / (3 * repeats),
    timeMs: time,
    idealMs: ideal,
    timeVsIdeal: time / ideal,
    clickP95Ms: percentile(clicks.get, 95),
    clickMedianMs: median(clicks.get),
    highClickP95Ms: percentile(clicks.high, 95),
    writeClickP95Ms: percentile(clicks.write, 95),
    bytesPerPending,
  };
}
