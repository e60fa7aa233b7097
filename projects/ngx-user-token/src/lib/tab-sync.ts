import { isPlatformBrowser } from '@angular/common';
import { DestroyRef, inject, InjectionToken, PLATFORM_ID } from '@angular/core';

import { USER_TOKEN_EVENT_SINK } from './events';
import { AnnounceToken, SyncedPage, USER_TOKEN_TAB_SYNC } from './features';
import { userTokenFeature, UserTokenFeature } from './provider';
import { userOfPage } from './user-lookup';
import { TOKEN_PATTERN } from './wire';

/** The part of `BroadcastChannel` tab sync uses. */
export interface TabChannel {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  close(): void;
}

/**
 * Opens the channel the tabs of one origin share; `null` where there is none (on the server, or
 * in a browser without `BroadcastChannel`). A DI token so tests can give tabs a channel.
 */
export const TAB_CHANNEL_FACTORY = /* @__PURE__ */ new InjectionToken<
  (name: string) => TabChannel | null
>(typeof ngDevMode !== 'undefined' && ngDevMode ? 'TAB_CHANNEL_FACTORY' : '', {
  factory: () => {
    const browser = isPlatformBrowser(inject(PLATFORM_ID));
    return (name) =>
      browser && typeof BroadcastChannel !== 'undefined'
        ? (new BroadcastChannel(name) as unknown as TabChannel)
        : null;
  },
});

/**
 * Shares the session token between the tabs of this origin (`BroadcastChannel`): they share the
 * instance's session, so a token one tab refreshed is stale in the others, and a tab opened after
 * a new login has a token the others lack. Each tab tells the others when it adopts a token, and
 * at startup when its page came with one — except a page restored from history, whose token may be
 * old; a tab ignores a token older than its own, and one announced for another user than its page's
 * (another user logged in in this browser: the tabs share the session cookie, not the user). Each
 * such switch saves a 401 (and perhaps a login dialog) in the other tabs.
 *
 * @example
 * ```ts
 * provideUserToken(withCrossTabSync())
 * ```
 */
export function withCrossTabSync(): UserTokenFeature {
  return userTokenFeature('cross-tab-sync', [
    { provide: USER_TOKEN_TAB_SYNC, useValue: openTabSync },
  ]);
}

/**
 * A token one tab tells the others about, since when that tab has had it (epoch ms), and whose
 * session it is (the page's user's `sys_id`; `null` when that page named none).
 */
interface TabToken {
  readonly token: string;
  readonly at: number;
  readonly user: string | null;
}

function openTabSync(page: SyncedPage): AnnounceToken {
  const channel = inject(TAB_CHANNEL_FACTORY)(`ngx-user-token:${page.config.globalName}`);
  if (!channel) {
    return () => undefined;
  }
  const sink = inject(USER_TOKEN_EVENT_SINK);
  const performance = page.window?.['performance'] as
    { timeOrigin?: number; getEntriesByType?: (type: string) => { type?: string }[] } | undefined;
  /** Since when (epoch ms) the page has had its token: its load, or the last adoption. */
  let since = typeof performance?.timeOrigin === 'number' ? performance.timeOrigin : now();
  // The tabs of one browser share its session cookie, not its user: a tab opened after another
  // user logged in announces that user's token, which a tab of this user never takes.
  const user = userOfPage(page.window)?.sysId ?? null;
  const post = (token: string) =>
    channel.postMessage({ token, at: since, user } satisfies TabToken);
  channel.onmessage = (event) => {
    const message = (event.data ?? {}) as Partial<TabToken>;
    const { token, at } = message;
    if (
      typeof token === 'string' &&
      typeof at === 'number' &&
      TOKEN_PATTERN.test(token) &&
      token !== page.current() &&
      at >= since &&
      (user === null || message.user === user)
    ) {
      since = at;
      page.setPageToken(token);
      sink.report?.({ type: 'token-refreshed', via: 'other-tab', token });
    }
  };
  inject(DestroyRef).onDestroy(() => channel.close());
  const restored = performance?.getEntriesByType?.('navigation')[0]?.type === 'back_forward';
  const token = page.current();
  if (token !== null && !restored) {
    post(token);
  }
  return (adopted) => {
    since = now();
    post(adopted);
  };
}

/**
 * Now, in epoch ms, from the high-resolution clock where there is one: a whole-millisecond clock
 * let a tab's startup announcement, stamped in the very millisecond another tab adopted a newer
 * token, pass for the newer one there, and put that tab back on the stale token.
 */
function now(): number {
  const clock = globalThis.performance;
  return typeof clock?.now === 'function' ? clock.timeOrigin + clock.now() : Date.now();
}
