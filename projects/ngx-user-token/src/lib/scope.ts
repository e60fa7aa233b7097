import { DOCUMENT } from '@angular/common';
import { inject, InjectionToken } from '@angular/core';

import { USER_TOKEN_CONFIG } from './options';

/** Origin assumed when the page has none (no location, `about:blank`, `file:`). */
const NO_PAGE_ORIGIN = 'https://page-origin.invalid';

/** Decisions remembered per URL string; cleared when full, so memory stays bounded. */
const CACHE_LIMIT = 1000;

/**
 * Decides which request URLs may carry the session token — those whose parsed origin is the
 * page's own or one of `allowedOrigins` — and answers with that origin, else `false`. Relative
 * URLs are resolved the way the browser resolves them (against the document's base URL), so
 * `//host`, backslashes, userinfo tricks and look-alike hosts land on their real origin. Unparsable URLs, non-HTTP schemes and URLs with credentials
 * are out of scope. @internal
 */
export const USER_TOKEN_SCOPE = /* @__PURE__ */ new InjectionToken<(url: string) => string | false>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'USER_TOKEN_SCOPE' : '',
  {
    providedIn: 'root',
    factory: () => {
      const doc = inject(DOCUMENT, { optional: true });
      const page = httpUrl(doc?.URL);
      // fetch and XHR resolve relative URLs against the document's base URL (`<base href>`).
      const base = page ? (httpUrl(doc?.baseURI) ?? page).href : NO_PAGE_ORIGIN;
      const origins = new Set([
        page ? page.origin : NO_PAGE_ORIGIN,
        ...inject(USER_TOKEN_CONFIG).allowedOrigins,
      ]);
      const decisions = new Map<string, string | false>();
      return (url) => {
        let decision = decisions.get(url);
        if (decision === undefined) {
          const parsed = httpUrl(url, base);
          decision =
            !!parsed &&
            !parsed.username &&
            !parsed.password &&
            origins.has(parsed.origin) &&
            parsed.origin;
          if (decisions.size >= CACHE_LIMIT) {
            decisions.clear();
          }
          decisions.set(url, decision);
        }
        return decision;
      };
    },
  },
);

/** `value` (resolved against `base`) when it parses as an http(s) URL, else `null`. */
function httpUrl(value: string | null | undefined, base?: string): URL | null {
  try {
    const url = new URL(value ?? '', base);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}
