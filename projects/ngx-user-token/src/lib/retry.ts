import { HttpContext, HttpErrorResponse, HttpResponse } from '@angular/common/http';
import { assertInInjectionContext, inject, Injector } from '@angular/core';
import { defer, MonoTypeOperatorFunction, Observable, Subscription } from 'rxjs';

import { Lane, USER_TOKEN_REFRESHER, UserTokenRefresher } from './refresher';
import { isSet, USER_WAITING } from './context';
import { failure, SAFE_METHOD } from './wire';

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
 * Such streams also keep within the instance's session limits: at most `maxInFlight` of them on
 * the wire at once (one queue for all of them, apart from the interceptor's), and an idempotent one
 * the instance ignored (it emitted a 202 response with no body) or rate limited (429 with
 * `Retry-After`) is subscribed again once.
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
  return (source) => defer(() => sendWithFreshToken(refresher, '', { method }, () => source));
}

/** How many priority requests may leave ahead of a waiting background one (see `Lane`). */
export const PRIORITY_AHEAD = 4;

/**
 * How many requests of an origin may be on the wire for a background request to leave: half of
 * `maxInFlight`, so that the instance's own queue holds few of them when a user's request comes
 * (see `Lane`).
 */
export function backgroundRoom(maxInFlight: number): number {
  return Math.ceil(maxInFlight / 2);
}

/**
 * Lets the next waiting request of `lane` leave, if one may: a place on the wire was freed. A
 * priority request first, unless background ones have waited while {@link PRIORITY_AHEAD}
 * priority ones left; a background one only while fewer than {@link backgroundRoom} are on the
 * wire, unless it is its turn after those.
 */
export function leaveNext(lane: Lane, maxInFlight: number): void {
  const { priority, background } = lane;
  const backgroundsTurn = lane.passed >= PRIORITY_AHEAD;
  if (priority.length && !(background.length && backgroundsTurn)) {
    lane.passed = background.length ? lane.passed + 1 : 0;
    priority.shift()!();
  } else if (
    background.length &&
    (backgroundsTurn || lane.inFlight < backgroundRoom(maxInFlight))
  ) {
    lane.passed = 0;
    background.shift()!();
  }
}

/**
 * One request's life: wait for a refresh in flight, then for room among the origin's requests on
 * the wire (`maxInFlight`, in order), send with the current token, and on a rejection let the
 * refresher decide (see {@link UserTokenRefresher.recover}): send again with the token it gives —
 * `retries` times at most (once by default), never with a token just rejected — or hand the caller
 * the error it gives. An idempotent request the instance ignored (202 with no body) or
 * rate limited (429 with a `Retry-After` within `rateLimitMaxWait`) is sent again once, after the
 * wait, with the same token; a write gets the error.
 *
 * Call it when the request is being subscribed — an interceptor function is called then; wrap it
 * in `defer` anywhere else — so that the token and the refresh episode are read at send time.
 */
export function sendWithFreshToken<T>(
  refresher: UserTokenRefresher,
  origin: string,
  req: {
    readonly method: string;
    readonly url?: string;
    /** Angular's fetch priority (on `HttpRequest` from Angular 21 on). */
    readonly priority?: string;
    readonly context?: HttpContext;
  },
  send: (token: string | null, url?: string) => Observable<T>,
): Observable<T> {
  const { config, sink } = refresher;
  const { method } = req;
  const episode = refresher.episode;
  const settling = refresher.running;
  return new Observable<T>((subscriber) => {
    const lane = (refresher.lanes[origin] ??= {
      inFlight: 0,
      priority: [],
      background: [],
      passed: 0,
    });
    // One sending, leaving now: with `token` (`undefined`: the page's), in refresh episode
    // `startedIn`, `retriesLeft` more allowed, to `url` (where a redirect led; else the
    // request's). No rxjs operator on this path, which every request in scope takes. This
    // wrapper, which counts the request's place on the wire, is most of the library's cost per
    // request (about half of it, measured in bench/hot-path.mjs): `go` is made once per
    // request and wrapped in a closure only when the request has to wait in a line.
    const go = (
      token: string | null | undefined,
      startedIn: number,
      retriesLeft: number,
      url?: string,
    ): void => {
      const { running, ended } = refresher;
      // The session ended and no new token is known: it would only be refused.
      const stale = token === undefined && ended && refresher.source.current() === ended.token;
      if (subscriber.closed || stale || (token === undefined && running)) {
        // Cancelled while it waited: it never leaves. Or a refresh began while it waited: it
        // waits for that too, and goes with its outcome. Or the session ended: it waits for a
        // re-login and goes with its token, or fails at once without a round trip. Either way
        // the next one has the place.
        leaveNext(lane, config.maxInFlight);
        if (!subscriber.closed) {
          subscriber.add(
            stale
              ? refresher.hold(
                  (ok, outcome) =>
                    ok
                      ? attempt(outcome, refresher.episode, retriesLeft, url)
                      : subscriber.error(outcome),
                  new HttpErrorResponse({
                    error: ended.error,
                    status: 401,
                    statusText: 'Session ended',
                    url: req.url,
                  }),
                )
              : running!.listen(() => attempt(token, startedIn, retriesLeft, url)),
          );
        }
        return;
      }
      const sent = token === undefined ? refresher.source.current() : token;
      // Its place on the wire, freed once: when it ends, fails or is cancelled. Cancelled, the
      // request on the wire is cancelled too (one finalizer for both: `inner` is not added to
      // `subscriber`, which would link the two both ways for every request).
      let inner: Subscription | null = null;
      let onWire = true;
      const release = () => {
        inner?.unsubscribe();
        if (onWire) {
          onWire = false;
          lane.inFlight--;
          leaveNext(lane, config.maxInFlight);
        }
      };
      subscriber.add(release);
      lane.inFlight++;
      let ignored = false;
      const failed = (error: unknown) => {
        // Made only when an attempt fails, not on the path of every request.
        const recover = () => {
          // The place is freed after the refresher decided: a refresh it starts is then
          // running when the next waiter leaves, which waits for it instead of taking the
          // stale token.
          subscriber.add(
            refresher.recover(error, { method, sent, startedIn, retriesLeft }, (ok, outcome) => {
              if (subscriber.closed) {
                // Cancelled while held for a re-login: it never goes again.
                return;
              }
              if (!ok) {
                subscriber.error(outcome);
                return;
              }
              sink.report?.({
                type: 'request-retried',
                method,
                url: (error as HttpErrorResponse).url,
              });
              attempt(outcome, refresher.episode, retriesLeft - 1, url);
            }),
          );
          release();
        };
        // Redirected (the interceptor lets no redirect be followed with the token): sent again
        // to where it leads within the instance, or the caller gets why not.
        const moved = refresher.redirected(error, method, retriesLeft > 0);
        if (moved) {
          subscriber.add(
            moved.listen((ok, to) =>
              ok
                ? attempt(sent, startedIn, retriesLeft - 1, to)
                : to === error
                  ? recover()
                  : subscriber.error(to),
            ),
          );
          release();
          return;
        }
        recover();
      };
      inner = send(sent, url).subscribe({
        next: (value) => {
          const response = value as HttpResponse<unknown> | null;
          if (response?.status === 202 && response.body === null) {
            // No body where one was expected: how an instance answers a request it ignored,
            // its session's queue being full (see `Lane`).
            ignored = true;
            failed(
              failure(
                response,
                202,
                'Request ignored',
                typeof ngDevMode === 'undefined' || ngDevMode
                  ? `the instance ignored ${method} ${response.url} (a 202 with no body: ` +
                      "its session's queue was full)."
                  : null,
              ),
            );
          } else {
            subscriber.next(value);
          }
        },
        complete: () => {
          if (!ignored) {
            release();
            subscriber.complete();
          }
        },
        error: failed,
      });
    };
    // Sends now if there is room, else waits in its line for `leaveNext`.
    const attempt = (
      token: string | null | undefined,
      startedIn: number,
      retriesLeft: number,
      url?: string,
    ): void => {
      // Room for any request, none waiting: it goes (what nearly every request finds).
      if (lane.inFlight < backgroundRoom(config.maxInFlight) && !lane.background.length) {
        go(token, startedIn, retriesLeft, url);
        return;
      }
      // A user waits for it (a write, `priority: 'high'`, the app's flag): it may take the places
      // background requests leave free, and waits in the line that leaves first.
      const priority =
        !SAFE_METHOD.test(method) || req.priority === 'high' || isSet(req, USER_WAITING);
      if (priority && lane.inFlight < config.maxInFlight && !lane.priority.length) {
        go(token, startedIn, retriesLeft, url);
        return;
      }
      (priority ? lane.priority : lane.background).push(() =>
        go(token, startedIn, retriesLeft, url),
      );
      sink.report?.({
        type: 'request-queued',
        method,
        waiting: lane.priority.length + lane.background.length,
        priority,
      });
    };
    if (settling) {
      // Requests issued while a refresh runs wait for it, whatever its outcome.
      subscriber.add(settling.listen(() => attempt(undefined, episode, config.retries)));
    } else {
      attempt(undefined, episode, config.retries);
    }
  });
}
