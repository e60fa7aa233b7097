// @ts-check
// 2. Round trips when the token rotates: bursts of concurrent requests through Angular's real
// HttpClient (fetch backend) against the mock instance over loopback, right after a rotation.
// Counted on the server (requests, 401s, token page fetches) and on the wire (what each request
// attempt got), next to the same burst with a valid token.
import { createAppInjector, installBrowserFetch } from './angular-node.mjs';

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import { DOCUMENT } from '@angular/common';
import {
  HttpBackend,
  HttpErrorResponse,
  HttpRequest,
  HttpResponse,
  provideHttpClient,
  withFetch,
  withInterceptors,
  HttpClient,
} from '@angular/common/http';
import { inject, InjectionToken } from '@angular/core';
import { catchError, filter, firstValueFrom, switchMap, tap, throwError } from 'rxjs';

import { median } from './hot-path.mjs';

const ROOT = resolve(import.meta.dirname, '..');
export const LIST =
  '/api/now/table/incident?sysparm_query=active=true^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()&sysparm_fields=number&sysparm_limit=5';

/**
 * The refresh users write by hand when nothing better is at hand: on a 401, fetch the token page
 * and retry — once per failed request, no sharing. The baseline the library is measured against.
 * @type {import('@angular/common/http').HttpInterceptorFn}
 */
function naiveRefreshPer401(req, next) {
  const page = /** @type {Record<string, unknown>} */ (inject(DOCUMENT).defaultView);
  const backend = inject(HttpBackend);
  const hooks = inject(NAIVE_HOOKS);
  /** @param {HttpRequest<unknown>} r */
  const withToken = (r) => r.clone({ setHeaders: { 'X-UserToken': String(page['g_ck']) } });
  return next(withToken(req)).pipe(
    catchError((error) => {
      if (!(error instanceof HttpErrorResponse) || error.status !== 401) {
        return throwError(() => error);
      }
      hooks.onRefreshStart();
      return backend
        .handle(new HttpRequest('GET', '/user_token.do', null, { responseType: 'text' }))
        .pipe(
          filter((event) => event instanceof HttpResponse),
          switchMap((response) => {
            page['g_ck'] = String(/** @type {HttpResponse<string>} */ (response).body).trim();
            return next(withToken(req));
          }),
        );
    }),
  );
}
/** @type {InjectionToken<{ onRefreshStart: () => void }>} */
const NAIVE_HOOKS = new InjectionToken('naive refresh hooks');

/**
 * Starts the mock instance in its own process, as a real server would be, with `flags`; its log
 * (stderr) is shown, or dropped with `quiet` (it logs each request it ignores).
 * @param {string[]} flags
 * @param {{ quiet?: boolean }} [options]
 */
export async function startInstance(flags, options = {}) {
  const child = spawn(
    resolve(ROOT, 'node_modules/.bin/tsx'),
    ['projects/mock-instance/src/cli.ts', '--port', '0', '--dev', ...flags],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', options.quiet ? 'ignore' : 'inherit'],
    },
  );
  let output = '';
  const url = await new Promise((resolveUrl, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+?)\/?\s/.exec(output);
      if (match) resolveUrl(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`mock instance exited (${code}): ${output}`)));
  });
  return {
    url: /** @type {string} */ (url),
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * @param {string} url
 * @param {string} path
 * @param {unknown} [body]
 */
export async function post(url, path, body) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
}

/** @param {string} url */
export async function serverStats(url) {
  return /** @type {Promise<{ api: number, unauthorized: number, tokenPage: number, ignored: number }>} */ (
    (await fetch(`${url}/mock/stats`)).json()
  );
}

/** Logs in as the demo user and loads the page: returns the page's g_ck. @param {string} url */
export async function logIn(url) {
  return (await logInPage(url)).token;
}

/**
 * Logs in as the demo user and loads the page: its g_ck and the user it names (`NOW.user_id`).
 * @param {string} url
 */
export async function logInPage(url) {
  const login = await fetch(`${url}/login.do`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'user_name=abel.tuter&user_password=demo',
  });
  if (login.status !== 302) throw new Error(`login: ${login.status}`);
  const html = await (await fetch(`${url}/`)).text();
  return {
    token: /** @type {RegExpExecArray} */ (/window\.g_ck = "([0-9a-f]+)"/.exec(html))[1],
    user: /** @type {RegExpExecArray} */ (/"user_id":"([0-9a-f]+)"/.exec(html))[1],
  };
}

/**
 * @typedef {{ name: string, tokenResponseHeader: boolean, namesUser?: boolean,
 *   interceptors: (lib: any) => import('@angular/common/http').HttpInterceptorFn[],
 *   providers: (lib: any) => unknown[] }} Strategy
 */

/** @type {Strategy[]} */
const STRATEGIES = [
  {
    name: 'ngx-user-token, X-UserToken-Response',
    tokenResponseHeader: true,
    interceptors: (lib) => [lib.userTokenInterceptor],
    providers: (lib) => [lib.provideUserToken(lib.withTokenPage('/user_token.do'))],
  },
  {
    name: 'ngx-user-token, token page only',
    tokenResponseHeader: false,
    interceptors: (lib) => [lib.userTokenInterceptor],
    providers: (lib) => [lib.provideUserToken(lib.withTokenPage('/user_token.do'))],
  },
  // The page names its user (`NOW.user_id`, as an instance's pages do): each new token is proven
  // to be that user's before it is used — one question per refresh, counted apart.
  {
    name: 'ngx-user-token, X-UserToken-Response, page names its user',
    tokenResponseHeader: true,
    namesUser: true,
    interceptors: (lib) => [lib.userTokenInterceptor],
    providers: (lib) => [lib.provideUserToken(lib.withTokenPage('/user_token.do'))],
  },
  {
    name: 'ngx-user-token, token page only, page names its user',
    tokenResponseHeader: false,
    namesUser: true,
    interceptors: (lib) => [lib.userTokenInterceptor],
    providers: (lib) => [lib.provideUserToken(lib.withTokenPage('/user_token.do'))],
  },
  {
    name: 'naive refresh per 401',
    tokenResponseHeader: false,
    interceptors: () => [naiveRefreshPer401],
    providers: () => [],
  },
];

/**
 * @param {{ lib: any, bursts?: number[], repeats?: number }} options
 */
export async function measureRoundTrips(options) {
  const bursts = options.bursts ?? [1, 10, 100, 1000];
  const repeats = options.repeats ?? 3;
  // Session synchronization off: this measures how refreshes are shared, not the session's queue
  // (bursts.mjs measures that).
  const instance = await startInstance(['--session-concurrency', '0']);
  const restoreFetch = installBrowserFetch(`${instance.url}/`);
  const rows = [];
  try {
    for (const strategy of STRATEGIES) {
      for (const n of bursts) {
        rows.push(await measureStrategy(options.lib, instance.url, strategy, n, repeats));
      }
    }
  } finally {
    restoreFetch();
    await instance.stop();
  }
  return { bursts, repeats, rows };
}

/**
 * @param {any} lib @param {string} url @param {Strategy} strategy @param {number} n @param {number} repeats
 */
async function measureStrategy(lib, url, strategy, n, repeats) {
  const page = await logInPage(url);
  /** @type {Record<string, unknown>} */
  const window = { g_ck: page.token };
  if (strategy.namesUser) {
    window['NOW'] = { user_id: page.user };
  }
  // The library's "whose session is this token?" questions, counted on the way out.
  let questions = 0;
  const pageFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/api/now/table/sys_user')) {
      questions++;
    }
    return pageFetch(input, init);
  };
  await post(url, '/mock/config', { tokenResponseHeader: strategy.tokenResponseHeader });
  const wire = { attempts: 0, rejected: 0, waveB: { attempts: 0, rejected: 0 } };
  /** @type {import('@angular/common/http').HttpInterceptorFn} */
  const wireCounter = (req, next) => {
    const counts = req.url.includes('wave=b') ? wire.waveB : wire;
    counts.attempts++;
    return next(req).pipe(
      tap({ error: (e) => (e.status === 401 ? counts.rejected++ : undefined) }),
    );
  };
  /** @type {(() => void) | null} */
  let onRefreshStart = null;
  const injector = createAppInjector({ url: `${url}/`, window }, [
    provideHttpClient(withFetch(), withInterceptors([...strategy.interceptors(lib), wireCounter])),
    ...strategy.providers(lib),
    { provide: NAIVE_HOOKS, useValue: { onRefreshStart: () => onRefreshStart?.() } },
  ]);
  const http = injector.get(HttpClient);
  if (strategy.name.startsWith('ngx-user-token')) {
    injector.get(lib.UserTokenEvents).events.subscribe((/** @type {{ type: string }} */ e) => {
      if (e.type === 'refresh-started') onRefreshStart?.();
    });
  }
  /** @param {string} tag @param {number} count */
  const burst = (tag, count) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        firstValueFrom(http.get(`${LIST}&${tag}&n=${i}`)).then(
          () => true,
          () => false,
        ),
      ),
    );

  const validTimes = [];
  const rotatedTimes = [];
  let rotated = { api: 0, unauthorized: 0, tokenPage: 0, failed: 0, questions: 0 };
  for (let r = 0; r < repeats; r++) {
    await post(url, '/mock/stats/reset');
    let t0 = performance.now();
    const valid = await burst('wave=valid', n);
    validTimes.push(performance.now() - t0);
    if (valid.includes(false))
      throw new Error(`${strategy.name}: a request with a valid token failed`);

    await post(url, '/mock/rotate-token');
    await post(url, '/mock/stats/reset');
    questions = 0;
    t0 = performance.now();
    const results = await burst('wave=a', n);
    rotatedTimes.push(performance.now() - t0);
    rotated = {
      ...(await serverStats(url)),
      failed: results.filter((ok) => !ok).length,
      questions,
    };
  }

  // Requests issued while a refresh is in flight: a second wave, sent the moment the refresh starts.
  await post(url, '/mock/rotate-token');
  wire.waveB = { attempts: 0, rejected: 0 };
  /** @type {Promise<boolean[]>} */
  let waveB = Promise.resolve([]);
  onRefreshStart = () => {
    onRefreshStart = null;
    waveB = burst('wave=b', n);
  };
  await burst('wave=a', n);
  const waveBResults = await waveB;
  injector.destroy();
  globalThis.fetch = pageFetch;

  return {
    strategy: strategy.name,
    n,
    serverRequests: rotated.api,
    unauthorized: rotated.unauthorized,
    retries: rotated.api - n - rotated.questions,
    userQuestions: rotated.questions,
    tokenPageFetches: rotated.tokenPage,
    failed: rotated.failed,
    timeVsValid: median(rotatedTimes) / median(validTimes),
    duringRefresh: {
      sent: waveBResults.length,
      unauthorized: wire.waveB.rejected,
      failed: waveBResults.filter((ok) => !ok).length,
    },
  };
}
