// @ts-check
// Angular outside a browser, for the benchmarks: a root injector built from providers, and a page
// (document and window) for the library to read its origin and `g_ck` from. Plain ESM run by
// node itself, so no loader rewrites any code being measured.
import '@angular/compiler';

import { DOCUMENT, PlatformLocation } from '@angular/common';
import {
  createEnvironmentInjector,
  Injector,
  PLATFORM_ID,
  provideZonelessChangeDetection,
  ɵINJECTOR_SCOPE as INJECTOR_SCOPE,
} from '@angular/core';

/**
 * A root-scoped environment injector, as an app gets from bootstrapApplication, on a page at
 * `url` whose `window` is `window`: `providedIn: 'root'` services live in it, one set per call.
 * @param {{ url: string, window: Record<string, unknown> }} page
 * @param {unknown[]} providers
 */
export function createAppInjector(page, providers) {
  const { href, origin, host } = new URL(page.url);
  const document = {
    URL: href,
    baseURI: href,
    defaultView: page.window,
    location: { href, origin, host },
  };
  return createEnvironmentInjector(
    /** @type {any} */ ([
      { provide: INJECTOR_SCOPE, useValue: 'root' },
      provideZonelessChangeDetection(),
      { provide: PLATFORM_ID, useValue: 'browser' },
      { provide: DOCUMENT, useValue: document },
      { provide: PlatformLocation, useValue: { href } },
      ...providers,
    ]),
    /** @type {any} */ (Injector.NULL),
  );
}

/**
 * What the browser adds to fetch for a page on the instance: relative URLs resolved against the
 * page, and the session cookie kept. Returns a function that restores the original fetch (its
 * `cookie()` gives the page's cookie header).
 * @param {string} pageUrl
 */
export function installBrowserFetch(pageUrl) {
  const original = globalThis.fetch;
  /** @type {Map<string, string>} */
  const cookies = new Map();
  globalThis.fetch = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input), pageUrl);
    const headers = new Headers(init.headers);
    if (cookies.size > 0) {
      headers.set('Cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await original(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [name, value] = line.split(';')[0].split('=');
      cookies.set(name, value);
    }
    return response;
  };
  const restore = () => {
    globalThis.fetch = original;
  };
  /** The `Cookie` header this page would send (for a WebSocket, which fetch does not open). */
  restore.cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return restore;
}
