// What the core asks of its opt-in features, as injection tokens with a `null` default: the
// refresher and the token source call a feature only when an app named it, and import nothing of
// it (a feature depends on the core, never the reverse).
import { HttpErrorResponse } from '@angular/common/http';
import { InjectionToken } from '@angular/core';
import { Observable } from 'rxjs';

import { UserTokenRefreshError } from './errors';
import type { UserTokenSession } from './session';
import { Receiver, Teardown } from './settlement';

/** What {@link withReLogin} gives the refresher. @internal */
export interface ReLoginHook {
  /** The session ended (proven): starts holding; returns the session for the event. */
  end(error: UserTokenRefreshError): UserTokenSession;
  /** See `UserTokenRefresher.hold`. */
  hold(receiver: Receiver<string>, error: HttpErrorResponse): Teardown;
}

/** Where the session's end goes with {@link withReLogin}; `null` without it. @internal */
export const USER_TOKEN_RELOGIN = /* @__PURE__ */ new InjectionToken<ReLoginHook | null>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'USER_TOKEN_RELOGIN' : '',
  { factory: () => null },
);

/**
 * The page a tab sync serves (the default token source): its window, its token, and how a token
 * is written to it.
 */
export interface SyncedPage {
  readonly config: { readonly globalName: string };
  readonly window: Record<string, unknown> | null;
  current(): string | null;
  setPageToken(token: string): void;
}

/** Tells the other tabs about a token this tab just adopted. */
export type AnnounceToken = (token: string) => void;

/** Opens the sync for a page; provided by {@link withCrossTabSync}. @internal */
export const USER_TOKEN_TAB_SYNC = /* @__PURE__ */ new InjectionToken<
  ((page: SyncedPage) => AnnounceToken) | null
>(typeof ngDevMode !== 'undefined' && ngDevMode ? 'USER_TOKEN_TAB_SYNC' : '', {
  factory: () => null,
});

/** Fetches a new token from the token page; `null` when the app has none. */
export type TokenPageFetch = (rejected: string | null) => Observable<string>;

/** The token page of the app, provided by {@link withTokenPage}. @internal */
export const USER_TOKEN_PAGE = /* @__PURE__ */ new InjectionToken<TokenPageFetch | null>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'USER_TOKEN_PAGE' : '',
  { factory: () => null },
);
