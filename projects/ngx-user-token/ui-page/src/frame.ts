import { DOCUMENT, isPlatformBrowser, Location, PlatformLocation } from '@angular/common';
import {
  EnvironmentProviders,
  inject,
  InjectionToken,
  makeEnvironmentProviders,
  PLATFORM_ID,
  provideEnvironmentInitializer,
} from '@angular/core';

/** The part of a ServiceNow page's event bus (the global `CustomEvent`) the frame needs. */
interface PageEventBus {
  fireTop(name: string, detail: { relativePath: string; title: string }): void;
}

/** What the frame reads of the page's window: where it is framed, and its event bus. */
export interface FramedWindow {
  readonly self: unknown;
  readonly top: unknown;
  readonly CustomEvent?: unknown;
}

/** The page's window, for the frame; a DI token so tests can frame a page. @internal */
export const FRAMED_WINDOW = /* @__PURE__ */ new InjectionToken<FramedWindow | null>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'FRAMED_WINDOW' : '',
  {
    factory: () =>
      isPlatformBrowser(inject(PLATFORM_ID))
        ? (inject(DOCUMENT).defaultView as unknown as FramedWindow | null)
        : null,
  },
);

/**
 * Tells the Next Experience (Polaris) shell where the app is when the UI page runs inside its
 * iframe: after each change of the app's location, `magellanNavigator.permalink.set` with the
 * page's path and query (`relativePath`) and `document.title`, through the page's
 * `CustomEvent.fireTop`, as ServiceNow's SDK guide for UI pages asks — else the shell's address
 * bar, breadcrumb and title go stale while the app moves. Browser history is still pushed (the
 * back button steps through the app's views). Outside a frame, and on the server, it does nothing.
 * Use it with `provideUiPageLocation()`.
 *
 * Unverified without a live instance: that a direct UI page has the global `CustomEvent` with
 * `fireTop` (the guide's own code calls it; when the page has none, the shell's is used, which a
 * same-origin frame can reach).
 *
 * @example
 * ```ts
 * providers: [provideRouter(routes), provideUiPageLocation(), provideNextExperienceFrame()]
 * ```
 */
export function provideNextExperienceFrame(): EnvironmentProviders {
  return makeEnvironmentProviders([
    provideEnvironmentInitializer(() => {
      const window = inject(FRAMED_WINDOW);
      if (!window || window.self === window.top) {
        return;
      }
      const document = inject(DOCUMENT);
      const platform = inject(PlatformLocation);
      inject(Location).onUrlChange(() =>
        // After the navigation that changed the address has set the view's title.
        setTimeout(() =>
          eventBusOf(window)?.fireTop('magellanNavigator.permalink.set', {
            relativePath: platform.pathname + platform.search,
            title: document.title,
          }),
        ),
      );
    }),
  ]);
}

/** The page's event bus, or the shell's when the page has none (a same-origin frame). */
function eventBusOf(window: FramedWindow): PageEventBus | null {
  const own = window.CustomEvent as Partial<PageEventBus> | undefined;
  if (typeof own?.fireTop === 'function') {
    return own as PageEventBus;
  }
  try {
    const shell = (window.top as FramedWindow | null)?.CustomEvent as
      Partial<PageEventBus> | undefined;
    return typeof shell?.fireTop === 'function' ? (shell as PageEventBus) : null;
  } catch {
    // A shell on another origin: nothing to tell.
    return null;
  }
}
