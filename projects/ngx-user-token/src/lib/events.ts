import { inject, Injectable, InjectionToken } from '@angular/core';
import { Observable, Subject } from 'rxjs';

import { UserTokenRefreshError } from './errors';
import { maskUserToken } from './mask';
import type { UserTokenReloginResult, UserTokenSession } from './session';

/** A request the server rejected with a refresh status (401 by default). */
export interface TokenRejectedEvent {
  readonly type: 'token-rejected';
  readonly method: string;
  readonly url: string | null;
  readonly status: number;
}

/** A token refresh began; every request that fails while it runs waits for it. */
export interface RefreshStartedEvent {
  readonly type: 'refresh-started';
}

/** A refresh gave a new token. */
export interface TokenRefreshedEvent {
  readonly type: 'token-refreshed';
  /**
   * Where the token came from: `'response-header'` (the 401's `X-UserToken-Response`), `'global'`
   * (the page's `window.g_ck` had changed), `'token-url'` (the token page), `'other-tab'` (another
   * tab of this origin refreshed it), `'relogin'` (the user logged in again, `withReLogin`), or
   * what a custom source reported (`'source'` when it reported nothing).
   */
  readonly via: string;
  /** The new token, masked with {@link maskUserToken}. */
  readonly token: string;
}

/** A refresh failed; the requests that waited for it errored with their 401. */
export interface RefreshFailedEvent {
  readonly type: 'refresh-failed';
  readonly error: UserTokenRefreshError;
}

/**
 * The session is gone: the 401 said so (`X-SessionLoggedIn: false`), a request got a login page
 * instead of JSON (single sign-on), or no token could be had. `error.reason` says which. Retrying
 * will not help: until a new token is known, requests in scope fail at once (401 `Session
 * ended`), without a round trip. With {@link withReLogin} they are held instead, and `session`
 * is there to log in again with (`relogin()`, from a user gesture) or to give up (`abandon()`).
 */
export interface SessionExpiredEvent {
  readonly type: 'session-expired';
  readonly error: UserTokenRefreshError;
  /** With `withReLogin`: the session, whose held requests wait for a login. */
  readonly session?: UserTokenSession;
}

/** A rejected request is sent again, once, with the fresh token. */
export interface RequestRetriedEvent {
  readonly type: 'request-retried';
  readonly method: string;
  readonly url: string | null;
}

/**
 * A rejected request was not sent again because the server said it may not be
 * (`X-UserToken-AllowResubmit: false`); its caller got the 401. A token the 401 named was still
 * adopted, so the next request carries it.
 */
export interface RetrySkippedEvent {
  readonly type: 'retry-skipped';
  readonly method: string;
  readonly url: string | null;
  readonly reason: 'resubmit-not-allowed';
}

/**
 * A request left for an origin out of scope carrying the user-token header (a later interceptor
 * changed its URL, or the caller set the header): {@link userTokenOriginGuard} removed it.
 */
export interface TokenWithheldEvent {
  readonly type: 'token-withheld';
  readonly method: string;
  readonly url: string;
}

/**
 * A request in scope waits in the browser: `maxInFlight` requests of its origin are on the wire.
 * It leaves when one of them ends: those a user waits for first (`priority`), each line in order.
 */
export interface RequestQueuedEvent {
  readonly type: 'request-queued';
  readonly method: string;
  /** How many requests of the origin wait, this one included. */
  readonly waiting: number;
  /**
   * It waits in the priority line (a write, `priority: 'high'`, `USER_WAITING`), which leaves
   * before the background one; `false`: in the background line.
   */
  readonly priority: boolean;
}

/**
 * The instance ignored a request: a 202 with no body where JSON was expected, its answer when the
 * session's queue is full. An idempotent request is sent again, once, after a second; a write is
 * not (it may or may not have run): its caller gets a 202 `HttpErrorResponse`, `Request ignored`.
 */
export interface RequestIgnoredEvent {
  readonly type: 'request-ignored';
  readonly method: string;
  readonly url: string | null;
  /** Whether the request is sent again. */
  readonly retried: boolean;
  /** Milliseconds before it is (or would be). */
  readonly wait: number;
}

/**
 * A rate limit rule refused a request (429). An idempotent one is sent again, once, after its
 * `Retry-After` when that is within `rateLimitMaxWait`; otherwise, and for writes, the caller gets
 * the 429.
 */
export interface RateLimitedEvent {
  readonly type: 'rate-limited';
  readonly method: string;
  readonly url: string | null;
  /** Whether the request is sent again. */
  readonly retried: boolean;
  /** Milliseconds `Retry-After` asked for; `NaN` when the 429 named none. */
  readonly wait: number;
}

/**
 * A re-login ({@link withReLogin}) ended: how (`result`), and how many requests it held. With
 * `logged-in` each held request was sent again once; otherwise they failed.
 */
export interface ReloginEndedEvent {
  readonly type: 'relogin-ended';
  readonly result: UserTokenReloginResult;
  /** How many requests waited for it. */
  readonly held: number;
}

/** Everything {@link UserTokenEvents} reports. Tokens in events are always masked. */
export type UserTokenEvent =
  | TokenRejectedEvent
  | RefreshStartedEvent
  | TokenRefreshedEvent
  | RefreshFailedEvent
  | SessionExpiredEvent
  | RequestRetriedEvent
  | RetrySkippedEvent
  | TokenWithheldEvent
  | RequestQueuedEvent
  | RequestIgnoredEvent
  | RateLimitedEvent
  | ReloginEndedEvent;

/** Where the library reports its events. @internal */
export interface UserTokenEventSink {
  report: ((event: UserTokenEvent) => void) | null;
}

/**
 * Where the library reports its events: nowhere until an app injects {@link UserTokenEvents},
 * which connects itself here — so an app that never reads the events does not bundle them. Tokens
 * reported here are raw; `UserTokenEvents` masks them. @internal
 */
export const USER_TOKEN_EVENT_SINK = /* @__PURE__ */ new InjectionToken<UserTokenEventSink>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'USER_TOKEN_EVENT_SINK' : '',
  {
    providedIn: 'root',
    factory: () => ({ report: null }),
  },
);

/**
 * Adds a listener to the sink, after those already there: {@link UserTokenEvents} and the live
 * entry point (`ngx-user-token/live`) each listen without displacing the other. @internal
 */
export function addSinkListener(
  sink: UserTokenEventSink,
  listener: (event: UserTokenEvent) => void,
): void {
  const before = sink.report;
  sink.report = before
    ? (event) => {
        before(event);
        listener(event);
      }
    : listener;
}

/**
 * What the library does with the session token, as it happens: rejections, refreshes, retries,
 * failures and session expiry. One stream per injector (that is, per app). Events are produced
 * from the moment the app first injects this service: an app that never does pays nothing for
 * them.
 *
 * @example
 * ```ts
 * inject(UserTokenEvents).events
 *   .pipe(filter((e) => e.type === 'session-expired'), takeUntilDestroyed())
 *   .subscribe(() => (location.href = '/login.do'));
 * ```
 */
@Injectable({ providedIn: 'root' })
export class UserTokenEvents {
  private readonly subject = new Subject<UserTokenEvent>();

  /** Hot stream of events; subscribers see what happens after they subscribe. */
  readonly events: Observable<UserTokenEvent> = this.subject.asObservable();

  constructor() {
    addSinkListener(inject(USER_TOKEN_EVENT_SINK), (event) =>
      this.subject.next(
        event.type === 'token-refreshed' ? { ...event, token: maskUserToken(event.token) } : event,
      ),
    );
  }
}
