import { HttpErrorResponse } from '@angular/common/http';
import { assertInInjectionContext, inject, Injector } from '@angular/core';
import { defer, MonoTypeOperatorFunction, Observable, Observer, Subscriber } from 'rxjs';

import { FailedAttempt, USER_TOKEN_REFRESHER, UserTokenRefresher } from './refresher';

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
  const startedIn = refresher.episode;
  const settling = refresher.running;
  return new Observable<T>((subscriber) => {
    const first = () =>
      new Attempt(
        refresher,
        method,
        send,
        subscriber,
        refresher.source.current(),
        startedIn,
        refresher.config.retries,
      ).go();
    if (settling) {
      // Requests issued while a refresh runs wait for it, whatever its outcome.
      subscriber.add(settling.listen(first));
    } else {
      first();
    }
  });
}

/**
 * One sending of a request, and its own observer: one object per attempt rather than closures
 * or rxjs operators, since this runs for every request in scope (each allocation and operator
 * costs time per request, measured in bench/, and bytes in every app's bundle). It is also the
 * {@link FailedAttempt} the refresher reads when the sending fails.
 */
class Attempt<T> implements Observer<T>, FailedAttempt {
  constructor(
    private readonly refresher: UserTokenRefresher,
    readonly method: string,
    private readonly send: (token: string | null) => Observable<T>,
    private readonly subscriber: Subscriber<T>,
    readonly sent: string | null,
    readonly startedIn: number,
    readonly retriesLeft: number,
  ) {}

  go(): void {
    this.subscriber.add(this.send(this.sent).subscribe(this));
  }

  next(value: T): void {
    this.subscriber.next(value);
  }

  complete(): void {
    this.subscriber.complete();
  }

  error(error: unknown): void {
    const { refresher, method, subscriber } = this;
    subscriber.add(
      refresher.recover(error, this, (ok, outcome) => {
        if (!ok) {
          subscriber.error(outcome);
          return;
        }
        refresher.sink.report?.({
          type: 'request-retried',
          method,
          url: (error as HttpErrorResponse).url,
        });
        new Attempt(
          refresher,
          method,
          this.send,
          subscriber,
          outcome,
          refresher.episode,
          this.retriesLeft - 1,
        ).go();
      }),
    );
  }
}
