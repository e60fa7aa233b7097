import {
  HttpEvent,
  HttpHeaders,
  HttpHandler,
  HttpInterceptor,
  HttpInterceptorFn,
  HttpRequest,
} from '@angular/common/http';
import { EnvironmentInjector, inject, Injectable, runInInjectionContext } from '@angular/core';
import { Observable } from 'rxjs';

import { isSet, SKIP_TOKEN_REFRESH, SKIP_USER_TOKEN } from './context';
import { USER_TOKEN_REFRESHER } from './refresher';
import { sendWithFreshToken } from './retry';
import { NO_CHALLENGE_HEADER } from './wire';

/**
 * Sends the session token (`X-UserToken: <window.g_ck>` by default) on every request, whatever its
 * method, whose parsed origin is the page's own or an allowed one — never to any other origin —
 * and recovers from a rejection as ServiceNow's own clients do: on a 401 it resends with the page's
 * token if that changed meanwhile, else refreshes the token once, shared by all requests that
 * fail meanwhile, and sends each rejected request once more (`retries` times, if configured) —
 * unless the 401 says the session ended (`X-SessionLoggedIn: false`) or forbids a resubmit
 * (`X-UserToken-AllowResubmit: false`). A login page instead of JSON (single sign-on) ends the
 * session too. Requests issued during a refresh wait for it. With no token known it sends
 * `placeholderToken`. A header the caller set is left alone, and such a request is not retried.
 *
 * It keeps requests within the instance's session limits: at most `maxInFlight` (6) of an origin
 * on the wire, background reads half of them, the rest waiting in order — those a user waits for
 * (writes, `priority: 'high'`, `USER_WAITING`) before background reads; a GET the instance
 * ignored (202 with no body) or rate limited (429 with `Retry-After`) is sent again once, a write
 * never.
 *
 * Works on defaults without {@link provideUserToken}.
 *
 * @example
 * ```ts
 * bootstrapApplication(App, {
 *   providers: [provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor]))],
 * });
 * ```
 */
export const userTokenInterceptor: HttpInterceptorFn = (req, next) => {
  const refresher = inject(USER_TOKEN_REFRESHER);
  const origin = refresher.includes(req.url);
  if (!origin || isSet(req, SKIP_USER_TOKEN)) {
    return next(req);
  }
  const {
    headerName: header,
    placeholderToken: placeholder,
    noResponseChallenge,
  } = refresher.config;
  // Most requests have no headers of their own: then there is no header to look for either.
  const ownHeaders = req.headers.keys().length > 0;
  if (ownHeaders && req.headers.has(header)) {
    return next(req);
  }
  const send = (token: string | null, url = req.url) => {
    // With no token known, ServiceNow's placeholder: a request without the header at all is the
    // one an instance answers with the browser's login dialog. And no challenge on a 401 at all.
    const value = token ?? placeholder;
    const headers = ownHeaders
      ? withTokenHeaders(req.headers, header, value, noResponseChallenge)
      : sharedTokenHeaders(header, value, noResponseChallenge);
    // A redirect is not followed with the token (a fetch backend honours this; XHR cannot): the
    // retry decides where it may go (see `UserTokenRefresher.redirected`). Fetch options are typed
    // on `HttpRequest` from Angular 21 on, hence the casts for 20.
    const redirect =
      (req as { redirect?: string }).redirect === 'error' ? 'error' : refresher.redirect;
    return next(req.clone({ url, headers, redirect } as Parameters<typeof req.clone>[0]));
  };
  if (isSet(req, SKIP_TOKEN_REFRESH)) {
    return send(refresher.source.current());
  }
  return sendWithFreshToken(refresher, origin, req, send);
};

/** `headers` with the token's header (unless `value` is `null`) and the no-challenge header. */
function withTokenHeaders(
  headers: HttpHeaders,
  header: string,
  value: string | null,
  noChallenge: boolean,
): HttpHeaders {
  const withToken = value === null ? headers : headers.set(header, value);
  return noChallenge ? withToken.set(NO_CHALLENGE_HEADER, 'true') : withToken;
}

/**
 * The last headers made for a request that had none of its own: `HttpHeaders` are immutable, so
 * every such request with the same token shares one instance, built and parsed once — most of an
 * interceptor's cost per request is in the headers it sets.
 */
let shared: {
  header: string;
  value: string | null;
  noChallenge: boolean;
  headers: HttpHeaders;
} | null = null;

function sharedTokenHeaders(header: string, value: string | null, noChallenge: boolean) {
  if (
    !shared ||
    shared.value !== value ||
    shared.header !== header ||
    shared.noChallenge !== noChallenge
  ) {
    const headers = withTokenHeaders(new HttpHeaders(), header, value, noChallenge);
    headers.keys(); // parsed now, not by each request that reads it
    shared = { header, value, noChallenge, headers };
  }
  return shared.headers;
}

/**
 * Strips the user-token header from any request leaving for an origin out of scope, whoever set
 * it. Register it **last**, after every interceptor that may change a request's URL (a base-URL
 * interceptor, say): `userTokenInterceptor` decides on the URL it sees, and this re-checks the URL
 * the backend will actually call. Each stripped request is reported as a `token-withheld` event.
 *
 * @example
 * ```ts
 * provideHttpClient(
 *   withInterceptors([userTokenInterceptor, apiBaseUrlInterceptor, userTokenOriginGuard]),
 * );
 * ```
 */
export const userTokenOriginGuard: HttpInterceptorFn = (req, next) => {
  const refresher = inject(USER_TOKEN_REFRESHER);
  const header = refresher.config.headerName;
  if (!req.headers.has(header) || refresher.includes(req.url)) {
    return next(req);
  }
  refresher.sink.report?.({ type: 'token-withheld', method: req.method, url: req.url });
  return next(req.clone({ headers: req.headers.delete(header) }));
};

/**
 * Class form of {@link userTokenInterceptor}, for apps that register interceptors through
 * `HTTP_INTERCEPTORS` and `withInterceptorsFromDi()` (or `HttpClientModule`). It runs the
 * functional interceptor; behaviour is identical.
 *
 * @example
 * ```ts
 * providers: [
 *   provideHttpClient(withInterceptorsFromDi()),
 *   { provide: HTTP_INTERCEPTORS, useClass: UserTokenInterceptor, multi: true },
 * ]
 * ```
 */
@Injectable()
export class UserTokenInterceptor implements HttpInterceptor {
  private readonly injector = inject(EnvironmentInjector);

  intercept(req: HttpRequest<unknown>, next: HttpHandler): Observable<HttpEvent<unknown>> {
    return runInInjectionContext(this.injector, () =>
      userTokenInterceptor(req, (forwarded) => next.handle(forwarded)),
    );
  }
}
