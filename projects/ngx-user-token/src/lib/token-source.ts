import { DOCUMENT, isPlatformBrowser } from '@angular/common';
import {
  HttpBackend,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaders,
  HttpRequest,
  HttpResponse,
} from '@angular/common/http';
import { forwardRef, inject, Injectable, PLATFORM_ID } from '@angular/core';
import { catchError, filter, map, Observable, of, throwError } from 'rxjs';

import { UserTokenRefreshError } from './errors';
import { UserTokenEvents } from './events';
import { maskUserToken } from './mask';
import { USER_TOKEN_CONFIG } from './options';
import { TOKEN_PATTERN, TOKEN_RESPONSE_HEADER } from './wire';
import { UserTokenScope } from './scope';
import { openTabSync, TabToken } from './tab-sync';

/** What the server rejected: handed to {@link UserTokenSource.refresh}. */
export interface UserTokenRejection {
  /** The token the rejected request carried, or `null` when it carried none. */
  readonly token: string | null;
  /** The rejection itself (a 401 by default), with its headers and body. */
  readonly response: HttpErrorResponse;
}

/**
 * A refreshed token together with where it came from; a source may resolve to this instead of a
 * bare string so that {@link TokenRefreshedEvent.via} can say how the token was found.
 */
export interface RefreshedUserToken {
  readonly token: string;
  readonly via: string;
}

/**
 * Where the interceptor gets the session token: the pluggable token service. The default is
 * {@link WindowUserTokenSource}, which reads `window.g_ck`; provide your own class to read the
 * token from elsewhere.
 *
 * @example
 * ```ts
 * @Injectable()
 * class PortalTokenSource extends UserTokenSource {
 *   current() { return sessionStorage.getItem('token'); }
 *   refresh() { return inject(PortalApi).fetchToken(); } // Observable<string>
 * }
 * providers: [{ provide: UserTokenSource, useClass: PortalTokenSource }]
 * ```
 */
@Injectable({ providedIn: 'root', useExisting: forwardRef(() => WindowUserTokenSource) })
export abstract class UserTokenSource {
  /**
   * The token to send now, or `null` when none is known (on the server, for example). Called for
   * every request in scope: keep it synchronous and cheap.
   */
  abstract current(): string | null;

  /**
   * A token to replace one the server rejected. Called once per failure episode, however many
   * requests failed together; must emit (or resolve) once, with a token other than
   * `rejection.token`, or fail. The interceptor applies `refreshTimeout` to it.
   */
  abstract refresh(
    rejection: UserTokenRejection,
  ): Observable<string | RefreshedUserToken> | Promise<string | RefreshedUserToken>;
}

/**
 * The default {@link UserTokenSource}: the token a ServiceNow page renders as `window.g_ck`
 * (`globalName` option).
 *
 * `refresh()` tries, in order, and stops at the first token that differs from the rejected one:
 * 1. the 401's `X-UserToken-Response` header — no extra round trip;
 * 2. `window.g_ck`, if another script changed it meanwhile;
 * 3. the `tokenUrl` page, fetched through `HttpBackend` so no interceptor sees it.
 *
 * It fails with a {@link UserTokenRefreshError} when none gives a new token, and writes a new
 * token back to `window.g_ck` (and fires `ck_updated` on a classic page's event bus) so other code
 * on the page keeps working. It also tells the other tabs of the origin (`BroadcastChannel`), which
 * share the session, so they switch without a 401 (option `crossTabSync`) — at startup too, when
 * the page came with a token of its own. On the server it has no token and touches no `window`.
 */
@Injectable({ providedIn: 'root' })
export class WindowUserTokenSource extends UserTokenSource {
  private readonly config = inject(USER_TOKEN_CONFIG);
  private readonly scope = inject(UserTokenScope);
  private readonly backend = inject(HttpBackend);
  private readonly events = inject(UserTokenEvents);
  private readonly window: Record<string, unknown> | null = isPlatformBrowser(inject(PLATFORM_ID))
    ? (inject(DOCUMENT).defaultView as unknown as Record<string, unknown> | null)
    : null;
  /** Since when (epoch ms) the page has had its token: its load, or the last adoption. */
  private since = pageLoadedAt(this.window);
  /** Tells the other tabs of this origin about a new token (they share the session). */
  private readonly announce = this.config.crossTabSync
    ? openTabSync(`ngx-user-token:${this.config.globalName}`, (message) =>
        this.fromOtherTab(message),
      )
    : () => undefined;

  constructor() {
    super();
    // A page rendered with a token the other tabs may not have (the user logged in again here)
    // tells them, so their next request carries it instead of meeting a 401 — and perhaps the
    // browser's login dialog. A page restored from history may hold an old token: it stays quiet.
    const token = this.current();
    if (token !== null && !restoredFromHistory(this.window)) {
      this.announce({ token, at: this.since });
    }
  }

  /** `window.g_ck` when it holds a non-empty string, else `null`. */
  current(): string | null {
    const token = this.window?.[this.config.globalName];
    return typeof token === 'string' && token !== '' ? token : null;
  }

  /** A new token from the 401, the page's global or the token page, in that order. */
  refresh(rejection: UserTokenRejection): Observable<RefreshedUserToken> {
    const fromHeader = rejection.response.headers.get(TOKEN_RESPONSE_HEADER);
    if (fromHeader !== null && TOKEN_PATTERN.test(fromHeader) && fromHeader !== rejection.token) {
      return of(this.adopt(fromHeader, 'response-header'));
    }
    const fromGlobal = this.current();
    if (fromGlobal !== null && fromGlobal !== rejection.token) {
      return of({ token: fromGlobal, via: 'global' });
    }
    const url = this.config.tokenUrl;
    if (url === null) {
      return throwError(
        () =>
          new UserTokenRefreshError(
            'no-token',
            `no new token: the ${rejection.response.status} carried no new ${TOKEN_RESPONSE_HEADER}, ` +
              `window.${this.config.globalName} did not change and no tokenUrl is configured.`,
          ),
      );
    }
    if (!this.scope.includes(url)) {
      return throwError(
        () =>
          new UserTokenRefreshError(
            'failed',
            `tokenUrl "${url}" is not same-origin (nor in allowedOrigins); it was not fetched.`,
          ),
      );
    }
    return this.fetchTokenPage(url, rejection.token);
  }

  private fetchTokenPage(url: string, rejected: string | null): Observable<RefreshedUserToken> {
    const request = new HttpRequest<null>('GET', url, null, {
      responseType: 'text',
      headers: new HttpHeaders({ Accept: 'text/plain, application/json' }),
    });
    return this.backend.handle(request).pipe(
      filter((event) => event.type === HttpEventType.Response),
      map((response) => {
        const token = tokenFromPage((response as HttpResponse<string>).body);
        if (token === null) {
          throw new UserTokenRefreshError(
            'no-token',
            `the token page ${url} answered without a token (a login page or an empty body?).`,
          );
        }
        if (token === rejected) {
          throw new UserTokenRefreshError(
            'same-token',
            `the token page ${url} answered with the token the server had just rejected.`,
          );
        }
        return this.adopt(token, 'token-url');
      }),
      catchError((error: unknown) => {
        if (error instanceof UserTokenRefreshError) {
          return throwError(() => error);
        }
        const status = error instanceof HttpErrorResponse ? error.status : 0;
        return throwError(
          () =>
            new UserTokenRefreshError(
              'failed',
              `the token page ${url} failed with status ${status}.`,
              error,
            ),
        );
      }),
    );
  }

  private adopt(token: string, via: string): RefreshedUserToken {
    this.since = Date.now();
    this.setPageToken(token);
    this.announce({ token, at: this.since });
    return { token, via };
  }

  /**
   * Another tab has a token this one lacks: use it from now on, without a 401 — unless this tab's
   * own token is newer (the other tab's page may have been rendered before this tab refreshed).
   */
  private fromOtherTab({ token, at }: TabToken): void {
    if (this.window && TOKEN_PATTERN.test(token) && token !== this.current() && at >= this.since) {
      this.since = at;
      this.setPageToken(token);
      this.events.emit({ type: 'token-refreshed', via: 'other-tab', token: maskUserToken(token) });
    }
  }

  /**
   * Writes the token where the page's other code reads it: `window.g_ck`, and on a classic
   * ServiceNow page the `ck_updated` event of its event bus (the global `CustomEvent` with
   * `fireAll`), on which GlideAjax and jQuery's CSRF prefilter pick up a new token.
   */
  private setPageToken(token: string): void {
    if (!this.window) {
      return;
    }
    this.window[this.config.globalName] = token;
    const bus = this.window['CustomEvent'] as { fireAll?: unknown } | undefined;
    if (typeof bus?.fireAll === 'function') {
      (bus.fireAll as (name: string, memo: string) => void).call(bus, 'ck_updated', token);
    }
  }
}

/** When the page was loaded (epoch ms), or now where the window tells nothing. */
function pageLoadedAt(window: Record<string, unknown> | null): number {
  const origin = (window?.['performance'] as { timeOrigin?: unknown } | undefined)?.timeOrigin;
  return typeof origin === 'number' ? origin : Date.now();
}

/** True for a page brought back by the browser's back/forward buttons (perhaps from cache). */
function restoredFromHistory(window: Record<string, unknown> | null): boolean {
  const performance = window?.['performance'] as
    { getEntriesByType?: (type: string) => { type?: string }[] } | undefined;
  return performance?.getEntriesByType?.('navigation')[0]?.type === 'back_forward';
}

/** The token in a token page's body: plain text, or JSON `{"token": "..."}`. */
function tokenFromPage(body: string | null): string | null {
  let text = (body ?? '').trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      const token = (parsed as { token?: unknown } | null)?.token;
      text = typeof token === 'string' ? token : '';
    } catch {
      return null;
    }
  }
  return TOKEN_PATTERN.test(text) ? text : null;
}
