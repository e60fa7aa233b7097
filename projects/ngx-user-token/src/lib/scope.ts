import { DOCUMENT } from '@angular/common';
import { inject, Injectable } from '@angular/core';

import { USER_TOKEN_CONFIG } from './options';

/** Origin assumed when the page has none (no location, `about:blank`, `file:`). */
const NO_PAGE_ORIGIN = 'https://page-origin.invalid';

/** Decisions remembered per URL string; cleared when full, so memory stays bounded. */
const CACHE_LIMIT = 1000;

/**
 * Decides which request URLs may carry the session token: those whose parsed origin is the
 * page's own or one of `allowedOrigins`. Relative URLs are resolved the way the browser resolves
 * them (against the document's base URL), so `//host`, backslashes, userinfo tricks and look-alike
 * hosts land on their real origin. Unparsable URLs, non-HTTP schemes and URLs with credentials
 * are out of scope.
 */
@Injectable({ providedIn: 'root' })
export class UserTokenScope {
  private readonly origins: ReadonlySet<string>;
  private readonly base: string;
  private readonly decisions = new Map<string, boolean>();

  constructor() {
    const page = pageUrls();
    this.base = page.base;
    this.origins = new Set([page.origin, ...inject(USER_TOKEN_CONFIG).allowedOrigins]);
  }

  /** True when a request to `url` may carry the token. */
  includes(url: string): boolean {
    let decision = this.decisions.get(url);
    if (decision === undefined) {
      decision = this.decide(url);
      if (this.decisions.size >= CACHE_LIMIT) {
        this.decisions.clear();
      }
      this.decisions.set(url, decision);
    }
    return decision;
  }

  private decide(url: string): boolean {
    let parsed: URL;
    try {
      parsed = new URL(url, this.base);
    } catch {
      return false;
    }
    return (
      (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
      !parsed.username &&
      !parsed.password &&
      this.origins.has(parsed.origin)
    );
  }
}

function pageUrls(): { origin: string; base: string } {
  const doc = inject(DOCUMENT, { optional: true });
  const page = httpUrl(doc?.URL);
  if (!page) {
    return { origin: NO_PAGE_ORIGIN, base: NO_PAGE_ORIGIN };
  }
  // fetch and XHR resolve relative URLs against the document's base URL (`<base href>`).
  const base = httpUrl(doc?.baseURI) ?? page;
  return { origin: page.origin, base: base.href };
}

function httpUrl(value: string | null | undefined): URL | null {
  try {
    const url = new URL(value ?? '');
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}
