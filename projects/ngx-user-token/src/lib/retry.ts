import { HttpErrorResponse } from '@angular/common/http';
import { assertInInjectionContext, inject, Injector } from '@angular/core';
import { defer, MonoTypeOperatorFunction, Observable } from 'rxjs';

import { USER_TOKEN_REFRESHER, UserTokenRefresher } from './refresher';

/** Options of {@link retryWithFreshToken}. */
export interface RetryWithFreshTokenOptions {
  /**
   * HTTP method of the request the stream sends. GET, HEAD and OPTIONS are retried after any
   * refresh status; other methods only when the rejection proves the server did not execute them.
   * Default `'GET'`.
   */
  method?: string;
  /** Injector to use outside an injection context. */
  injector?: Injector;
}

/**
 * Makes a stream that performs an HTTP request survive a rejected session token: if the stream
 * errors with a refresh status (401 by default), the token is refreshed — once, shared with every
 * other request failing meanwhile — and the stream is subscribed again: once, or `retries` times
 * (see {@link UserTokenOptions}). A further rejection, or a failed refresh, reaches the subscriber
 * as the `HttpErrorResponse` it came as. While a refresh is in flight, the first subscription waits
 * for it.
 *
 * The source must read the token when it is subscribed (wrap it in `defer`), so that the retry
 * picks up the fresh one. `userTokenInterceptor` applies the same logic to every request in
 * scope; use this operator for requests sent another way.
 *
 * Call it in an injection context, or pass `injector`.
 *
 * @example
 * ```ts
 * const direct = new HttpClient(inject(HttpBackend)); // a client without interceptors
 * const tokens = inject(UserTokenSource);
 * const incidents$ = defer(() =>
 *   direct.get('/api/now/table/incident', { headers: { 'X-UserToken': tokens.current() ?? '' } }),
 * ).pipe(retryWithFreshToken());
 * ```
 */
export function retryWithFreshToken<T>(
  options: RetryWithFreshTokenOptions = {},
): MonoTypeOperatorFunction<T> {
  if (!options.injector) {
    assertInInjectionContext(retryWithFreshToken);
  }
  const refresher = (options.injector ?? inject(Injector)).get(USER_TOKEN_REFRESHER);
  const method = (options.method ?? 'GET').toUpperCase();
  return (source) => defer(() => sendWithFreshToken(refresher, method, () => source));
}

/**
 * One request's life: wait for a refresh in flight, send with the current token, and on a
 * rejection let the refresher decide (see {@link UserTokenRefresher.recover}): send again with the
 * token it gives — `retries` times at most (once by default), never with a token just rejected —
 * or hand the caller the error it gives.
 *
 * Call it when the request is being subscribed — an interceptor function is called then; wrap it
 * in `defer` anywhere else — so that the token and the refresh episode are read at send time.
 */
export function sendWithFreshToken<T>(
  refresher: UserTokenRefresher,
  method: string,
  send: (token: string | null) => Observable<T>,
): Observable<T> {
  const episode = refresher.episode;
  const settling = refresher.running;
  return new Observable<T>((subscriber) => {
    // One sending: with `sent`, in refresh episode `startedIn`, `retriesLeft` more allowed. No
    // rxjs operator on this path, which every request in scope takes. Closures cost apps 87 B
    // (min+gz) less than an attempt class as observer; per request, in steady state, they measured
    // 0.54-0.61x Angular's XSRF interceptor against the class's 0.45-0.55x (bench/, same machine).
    const attempt = (sent: string | null, startedIn: number, retriesLeft: number): void => {
      subscriber.add(
        send(sent).subscribe({
          next: (value) => subscriber.next(value),
          complete: () => subscriber.complete(),
          error: (error: unknown) =>
            subscriber.add(
              refresher.recover(error, { method, sent, startedIn, retriesLeft }, (ok, outcome) => {
                if (!ok) {
                  subscriber.error(outcome);
                  return;
                }
                refresher.sink.report?.({
                  type: 'request-retried',
                  method,
                  url: (error as HttpErrorResponse).url,
                });
                attempt(outcome, refresher.episode, retriesLeft - 1);
              }),
            ),
        }),
      );
    };
    const first = () => attempt(refresher.source.current(), episode, refresher.config.retries);
    if (settling) {
      // Requests issued while a refresh runs wait for it, whatever its outcome.
      subscriber.add(settling.listen(first));
    } else {
      first();
    }
  });
}
