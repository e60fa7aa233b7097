import { DOCUMENT, isPlatformBrowser } from '@angular/common';
import { HttpBackend } from '@angular/common/http';
import { inject, Injectable, PLATFORM_ID, Signal, signal } from '@angular/core';

import { USER_TOKEN_REFRESHER } from './refresher';
import { askUser, PageUserInfo } from './user-lookup';

/**
 * The user the page belongs to: whose session token the library sends, and the only user it
 * sends it for. Read from the page (`window.NOW.user_id` and `NOW.user_name` on a portal page,
 * `window.g_user.userID` and `userName` on a classic one); when the page names no user — an app
 * under `ng serve` through the dev proxy, say — asked once from the instance (`sys_user` where
 * `sys_id` is `javascript:gs.getUserID()`), so the same app code works in both. `user` is `null`
 * until known, and stays `null` off the browser or when the instance does not say.
 *
 * Every token the library adopts or sends a request again with is first proven to belong to this
 * user (see README, "Guarantees").
 *
 * @example
 * ```ts
 * readonly me = inject(PageUser).user;
 * create(short_description: string) {
 *   const me = this.me();
 *   if (!me) return; // not known yet (or the instance did not say): ask the user to wait
 *   return this.http.post('/api/now/table/incident', { short_description, caller_id: me.sysId });
 * }
 * ```
 */
@Injectable({ providedIn: 'root' })
export class PageUser {
  private readonly known = signal<PageUserInfo | null>(null);

  /** The page's user; `null` while not known. */
  readonly user: Signal<PageUserInfo | null> = this.known.asReadonly();

  constructor() {
    const refresher = inject(USER_TOKEN_REFRESHER);
    this.known.set(refresher.user);
    if (refresher.user || !isPlatformBrowser(inject(PLATFORM_ID))) {
      return;
    }
    const { config } = refresher;
    const origin = inject(DOCUMENT).location?.origin ?? '';
    askUser(
      inject(HttpBackend),
      config,
      origin,
      refresher.source.current() ?? config.placeholderToken,
    ).listen((ok, user) => {
      // Asked with the page's own token: the session the page has is this user's. A page that
      // named a user meanwhile (a re-login) keeps that one.
      if (ok && !refresher.user) {
        refresher.user = user;
        this.known.set(user);
      }
    });
  }
}
