// @ts-check
// 5. Live lists: how long a write takes to reach a record watcher. The library's RecordWatcher
// (ngx-user-token/live, on the CometD client) watches a list over a WebSocket to the mock
// instance's message bus, in Node, with the page's session cookie; Angular's HttpClient, through
// the interceptor, writes one record of that list again and again. Per write: the time from
// sending the PATCH to the watcher's message.
import { createAppInjector, installBrowserFetch } from './angular-node.mjs';

import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';

import { HttpClient, provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { firstValueFrom } from 'rxjs';
import WebSocket from 'ws';

import { percentile } from './bursts.mjs';
import { logIn, startInstance } from './round-trips.mjs';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * @param {() => boolean} condition @param {string} what
 */
async function until(condition, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * @param {{ lib: any, writes?: number }} options
 */
export async function measureLive({ lib, writes = 200 }) {
  const instance = await startInstance([], { quiet: true });
  const restoreFetch = installBrowserFetch(`${instance.url}/`);
  const g = /** @type {any} */ (globalThis);
  const hadWindow = 'window' in g;
  try {
    const token = await logIn(instance.url);
    // What CometD reads from a page's window; its WebSocket sends the page's session cookie, as
    // a browser's does.
    g.window = {
      WebSocket: class extends WebSocket {
        /** @param {string} url @param {string | string[]} [protocols] */
        constructor(url, protocols) {
          super(url, protocols, { headers: { Cookie: restoreFetch.cookie() } });
        }
      },
      setTimeout,
      clearTimeout,
      console,
      location: new URL(instance.url),
    };
    const live = await import(
      resolve(ROOT, 'dist/ngx-user-token/fesm2022/ngx-user-token-live.mjs')
    );
    const injector = createAppInjector({ url: `${instance.url}/`, window: { g_ck: token } }, [
      provideHttpClient(withFetch(), withInterceptors([lib.userTokenInterceptor])),
      live.provideRecordWatcher({ transports: ['websocket'] }),
    ]);
    const watcher = injector.get(live.RecordWatcher);
    const http = injector.get(HttpClient);
    /** @type {Map<string, (t: number) => void>} */
    const waiting = new Map();
    const subscription = watcher
      .watch('incident', 'active=true')
      .subscribe((/** @type {any} */ change) => {
        const text = change.record.short_description?.value;
        waiting.get(text)?.(performance.now());
      });
    await until(() => watcher.state() === 'connected', 'the watcher to connect');
    const list = /** @type {{ result: { sys_id: string }[] }} */ (
      await firstValueFrom(
        http.get('/api/now/table/incident', {
          params: { sysparm_query: 'active=true', sysparm_fields: 'sys_id', sysparm_limit: 1 },
        }),
      )
    );
    const sysId = list.result[0].sys_id;
    /** @type {number[]} */
    const latencies = [];
    /** @type {number[]} */
    const writeTimes = [];
    for (let i = 0; i < writes; i++) {
      const text = `bench write ${i} ${Date.now()}`;
      const arrived = new Promise((resolveArrival, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`write ${i} never reached the watcher`)),
          5000,
        );
        waiting.set(text, (t) => {
          clearTimeout(timer);
          resolveArrival(t);
        });
      });
      const sent = performance.now();
      await firstValueFrom(
        http.patch(`/api/now/table/incident/${sysId}`, { short_description: text }),
      );
      writeTimes.push(performance.now() - sent);
      latencies.push(/** @type {number} */ (await arrived) - sent);
      waiting.delete(text);
    }
    subscription.unsubscribe();
    injector.destroy();
    return {
      writes,
      transport: 'websocket',
      p50Ms: percentile(latencies, 50),
      p95Ms: percentile(latencies, 95),
      writeP50Ms: percentile(writeTimes, 50),
    };
  } finally {
    restoreFetch();
    await instance.stop();
    // The client's last frames (its disconnect) still read `window`: leave it a moment.
    await new Promise((r) => setTimeout(r, 200));
    if (!hadWindow) delete g.window;
  }
}
