import { DOCUMENT, isPlatformBrowser } from '@angular/common';
import { HttpErrorResponse } from '@angular/common/http';
import { forwardRef, inject, Injectable, PLATFORM_ID } from '@angular/core';
import { map, Observable, of } from 'rxjs';

import { UserTokenRefreshError } from './errors';
import { AnnounceToken, USER_TOKEN_PAGE, USER_TOKEN_TAB_SYNC } from './features';
import { USER_TOKEN_CONFIG } from './options';
import { namedToken, TOKEN_RESPONSE_HEADER } from './wire';

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

  /**
   * Optional: takes a token the library adopts — one `refresh()` gave (once proven to be the
   * page's user's, and when `current()` does not return it already), or the new session's after a
   * re-login ({@link withReLogin}) — so that `current()` returns it from now on. A source without
   * it keeps its own token; the requests waiting for the token still go with the new one.
   */
  adopt?(token: string, via: string): unknown;
}

/**
 * The default {@link UserTokenSource}: the token a ServiceNow page renders as `window.g_ck`
 * (`globalName` option).
 *
 * `refresh()` tries, in order, and stops at the first token that differs from the rejected one:
 * 1. the 401's `X-UserToken-Response` header — no extra round trip;
 * 2. `window.g_ck`, if another script changed it meanwhile;
 * 3. the token page, with {@link withTokenPage} — fetched through `HttpBackend` so no interceptor
 *    sees it.
 *
 * It fails with a {@link UserTokenRefreshError} when none gives a new token. A new token, once the
 * library adopts it (proven to be the page user's), is written back to `window.g_ck` (and
 * `ck_updated` fired on a classic page's event bus) so other code on the page keeps working; with
 * {@link withCrossTabSync} the other tabs of the origin are told too. On the server it has no
 * token and touches no `window`.
 */
@Injectable({ providedIn: 'root' })
export class WindowUserTokenSource extends UserTokenSource {
  /** @internal */
  readonly config = inject(USER_TOKEN_CONFIG);
  private readonly tokenPage = inject(USER_TOKEN_PAGE);
  /** @internal */
  readonly window: Record<string, unknown> | null = isPlatformBrowser(inject(PLATFORM_ID))
    ? (inject(DOCUMENT).defaultView as unknown as Record<string, unknown> | null)
    : null;
  /** Tells the other tabs of this origin about a new token, with `withCrossTabSync()`. */
  private readonly announce: AnnounceToken =
    inject(USER_TOKEN_TAB_SYNC)?.(this) ?? (() => undefined);

  // An explicit constructor: an inherited one would make Angular's compiler bundle its
  // inherited-factory lookup (77 B min+gz).
  constructor() {
    super();
  }

  /** `window.g_ck` when it holds a non-empty string, else `null`. */
  current(): string | null {
    const token = this.window?.[this.config.globalName];
    return typeof token === 'string' && token !== '' ? token : null;
  }

  /** A new token from the 401, the page's global or the token page, in that order. */
  refresh(rejection: UserTokenRejection): Observable<RefreshedUserToken> {
    const fromHeader = namedToken(rejection);
    if (fromHeader !== null) {
      return of({ token: fromHeader, via: 'response-header' });
    }
    const fromGlobal = this.current();
    if (fromGlobal !== null && fromGlobal !== rejection.token) {
      return of({ token: fromGlobal, via: 'global' });
    }
    if (this.tokenPage === null) {
      return new Observable((subscriber) =>
        subscriber.error(
          new UserTokenRefreshError(
            'no-token',
            typeof ngDevMode === 'undefined' || ngDevMode
              ? `no new token: the ${rejection.response.status} carried no new ${TOKEN_RESPONSE_HEADER}, ` +
                  `window.${this.config.globalName} did not change and there is no token page (withTokenPage).`
              : '',
          ),
        ),
      );
    }
    return this.tokenPage(rejection.token).pipe(map((token) => ({ token, via: 'token-url' })));
  }

  /** Writes `token` to `window.g_ck` (and the page's event bus) and tells the other tabs. */
  override adopt(token: string, via: string): RefreshedUserToken {
    this.setPageToken(token);
    this.announce(token);
    return { token, via };
  }

  /**
   * Writes the token where the page's other code reads it: `window.g_ck`, and on a classic
   * ServiceNow page the `ck_updated` event of its event bus (the global `CustomEvent` with
   * `fireAll`), on which GlideAjax and jQuery's CSRF prefilter pick up a new token.
   */
  /** @internal */
  setPageToken(token: string): void {
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
