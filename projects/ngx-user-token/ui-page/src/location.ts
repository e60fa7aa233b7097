import { LocationChangeListener, LocationStrategy, PlatformLocation } from '@angular/common';
import {
  EnvironmentProviders,
  inject,
  Injectable,
  InjectionToken,
  makeEnvironmentProviders,
} from '@angular/core';

/** Options of {@link provideUiPageLocation}. */
export interface UiPageLocationOptions {
  /**
   * The query parameter that carries the app's route. Default `'view'`, as ServiceNow's SDK guide
   * for UI pages names it (`?view=details&id=…`).
   */
  param?: string;
}

const UI_PAGE_ROUTE_PARAM = /* @__PURE__ */ new InjectionToken<string>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'UI_PAGE_ROUTE_PARAM' : '',
  { factory: () => 'view' },
);

/**
 * A `LocationStrategy` for an app served as a ServiceNow UI page (`/x_acme_app.do`): the page's
 * path never changes — an instance serves nothing at `/x_acme_app.do/incidents` — and the app's
 * route travels in the query string instead, as ServiceNow's SDK guide for UI pages asks ("each
 * view has its own URL, in the query string; never hash routing"): the route `/incidents/42?tab=notes`
 * is the page `/x_acme_app.do?view=incidents/42&tab=notes`. Deep links and reloads land on the same
 * view; the browser's back button steps through the app's views. The route's own query parameters
 * stay query parameters of the page (all but the one that carries the route).
 *
 * Provided by {@link provideUiPageLocation}.
 */
@Injectable()
export class UiPageLocationStrategy extends LocationStrategy {
  private readonly platform = inject(PlatformLocation);
  private readonly param = inject(UI_PAGE_ROUTE_PARAM);
  /** The UI page itself (`/x_acme_app.do`): where the app was loaded. */
  private readonly page = this.platform.pathname;

  /** The route the page's address names: `/` plus the route parameter, and the other parameters. */
  path(includeHash = false): string {
    const params = new URLSearchParams(this.platform.search);
    const route = params.get(this.param) ?? '';
    params.delete(this.param);
    const query = params.toString();
    const hash = includeHash ? this.platform.hash : '';
    return `/${route.replace(/^\/+/, '')}${query ? `?${query}` : ''}${hash}`;
  }

  /** The page's address for a route: the page's path, the route parameter first. */
  prepareExternalUrl(internal: string): string {
    const [pathAndQuery, hash = ''] = splitOnce(internal, '#');
    const [path, query = ''] = splitOnce(pathAndQuery, '?');
    const route = path.replace(/^\/+/, '');
    const params = new URLSearchParams(query);
    params.delete(this.param);
    const rest = params.toString();
    // The route keeps its slashes readable: `?view=incidents/42`, not `incidents%2F42`.
    const parts = [
      ...(route ? [`${this.param}=${encodeURIComponent(route).replace(/%2F/gi, '/')}`] : []),
      ...(rest ? [rest] : []),
    ];
    return `${this.page}${parts.length ? `?${parts.join('&')}` : ''}${hash ? `#${hash}` : ''}`;
  }

  pushState(state: unknown, title: string, url: string, queryParams: string): void {
    this.platform.pushState(
      state,
      title,
      this.prepareExternalUrl(url + normalizeQuery(queryParams)),
    );
  }

  replaceState(state: unknown, title: string, url: string, queryParams: string): void {
    this.platform.replaceState(
      state,
      title,
      this.prepareExternalUrl(url + normalizeQuery(queryParams)),
    );
  }

  onPopState(fn: LocationChangeListener): void {
    this.platform.onPopState(fn);
    this.platform.onHashChange(fn);
  }

  /** Routes are not under a base path: the page's own path is put back by `prepareExternalUrl`. */
  getBaseHref(): string {
    return '';
  }

  getState(): unknown {
    return this.platform.getState();
  }

  forward(): void {
    this.platform.forward();
  }

  back(): void {
    this.platform.back();
  }

  override historyGo(relativePosition = 0): void {
    this.platform.historyGo?.(relativePosition);
  }
}

/**
 * Routes an app served as a ServiceNow UI page in the page's query string (see
 * {@link UiPageLocationStrategy}): `ng new`'s router works unchanged on `/x_acme_app.do`, where
 * its default strategy would take the page's path for a route (`NG04002`) and replace it with `/`.
 *
 * @example
 * ```ts
 * bootstrapApplication(App, {
 *   providers: [provideRouter(routes), provideUiPageLocation()],
 * });
 * // the route /incidents/42 is https://acme.service-now.com/x_acme_app.do?view=incidents/42
 * ```
 */
export function provideUiPageLocation(options: UiPageLocationOptions = {}): EnvironmentProviders {
  const param = options.param ?? 'view';
  if ((typeof ngDevMode === 'undefined' || ngDevMode) && !/^[A-Za-z0-9_.-]+$/.test(param)) {
    throw new Error(
      `ngx-user-token: provideUiPageLocation param must be a plain query parameter name; got ${JSON.stringify(param)}.`,
    );
  }
  return makeEnvironmentProviders([
    { provide: UI_PAGE_ROUTE_PARAM, useValue: param },
    { provide: LocationStrategy, useClass: UiPageLocationStrategy },
  ]);
}

function splitOnce(value: string, separator: string): [string, string?] {
  const at = value.indexOf(separator);
  return at < 0 ? [value] : [value.slice(0, at), value.slice(at + 1)];
}

function normalizeQuery(query: string): string {
  return query && query[0] !== '?' ? `?${query}` : query;
}
