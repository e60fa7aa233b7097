import { isPlatformBrowser } from '@angular/common';
import { DestroyRef, inject, InjectionToken, PLATFORM_ID } from '@angular/core';

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
export const TAB_CHANNEL_FACTORY = new InjectionToken<(name: string) => TabChannel | null>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'TAB_CHANNEL_FACTORY' : '',
  {
    factory: () => {
      const browser = isPlatformBrowser(inject(PLATFORM_ID));
      return (name) =>
        browser && typeof BroadcastChannel !== 'undefined'
          ? (new BroadcastChannel(name) as unknown as TabChannel)
          : null;
    },
  },
);

/** A token one tab tells the others about, and since when that tab has had it (epoch ms). */
export interface TabToken {
  readonly token: string;
  readonly at: number;
}

/**
 * Shares tokens between the tabs of one browser: they share the instance's session, so a token
 * one tab refreshed is stale in the others. `announce` tells them; `onToken` hears them. Closed
 * with the injector.
 */
export function openTabSync(
  name: string,
  onToken: (message: TabToken) => void,
): (message: TabToken) => void {
  const channel = inject(TAB_CHANNEL_FACTORY)(name);
  if (!channel) {
    return () => undefined;
  }
  channel.onmessage = (event) => {
    const data = event.data as Partial<TabToken> | null;
    if (typeof data?.token === 'string' && typeof data.at === 'number') {
      onToken({ token: data.token, at: data.at });
    }
  };
  inject(DestroyRef).onDestroy(() => channel.close());
  return (message) => channel.postMessage(message);
}
