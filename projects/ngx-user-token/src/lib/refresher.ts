import { HttpErrorResponse } from '@angular/common/http';
import { inject, Injectable, PendingTasks } from '@angular/core';
import {
  AsyncSubject,
  defer,
  from,
  materialize,
  Observable,
  of,
  take,
  throwError,
  timeout,
} from 'rxjs';

import { UserTokenRefreshError } from './errors';
import { UserTokenEvents } from './events';
import { maskUserToken } from './mask';
import { USER_TOKEN_CONFIG } from './options';
import { UserTokenScope } from './scope';
import { RefreshedUserToken, UserTokenRejection, UserTokenSource } from './token-source';
import {
  LOGGED_IN_HEADER,
  NOT_AUTHENTICATED_MESSAGE,
  TOKEN_PATTERN,
  TOKEN_RESPONSE_HEADER,
} from './wire';

/** Methods that may be sent again after any refresh status: they change nothing on the server. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What a token may look like in a header value: visible ASCII, no spaces. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * The injector's single-flight token refresh. At most one refresh runs at a time; every request
 * that fails while it runs shares it. It runs detached from the requests that wait for it, so
 * cancelling one of them cancels nothing else, and it counts as pending work for the app's
 * stability until it settles. Refreshes are counted ("episodes") so that a request that was
 * already on the wire when a refresh settled uses that outcome instead of starting another.
 */
@Injectable({ providedIn: 'root' })
export class UserTokenRefresher {
  // What the interceptor reads on every request, gathered here so it costs one DI lookup.
  readonly config = inject(USER_TOKEN_CONFIG);
  readonly scope = inject(UserTokenScope);
  readonly source = inject(UserTokenSource);
  readonly events = inject(UserTokenEvents);
  private readonly pendingTasks = inject(PendingTasks);

  private running: AsyncSubject<string> | null = null;
  private settled = 0;
  private lastFailure: UserTokenRefreshError | null = null;

  /** How many refreshes have settled; a request notes it when it starts. */
  get episode(): number {
    return this.settled;
  }

  /** Emits once when the refresh in flight settles, whatever its outcome; `null` when none runs. */
  settling(): Observable<unknown> | null {
    return this.running && this.running.pipe(materialize(), take(1));
  }

  /**
   * True when `error` is a refresh status and the request may be sent again: always for GET, HEAD
   * and OPTIONS; for other methods only when the response proves the server refused the token
   * before doing anything (`X-UserToken-Response`, or the instance's "User Not Authenticated").
   */
  mayReplay(error: unknown, method: string): error is HttpErrorResponse {
    return (
      error instanceof HttpErrorResponse &&
      this.config.refreshOn.includes(error.status) &&
      (SAFE_METHODS.has(method) || rejectedForToken(error))
    );
  }

  /**
   * The token to retry with, for a request rejected as `rejection` that started in `startedIn`:
   * the refresh in flight if there is one; else the outcome of a refresh that settled after the
   * request started; else a new refresh.
   */
  tokenAfter(rejection: UserTokenRejection, startedIn: number): Observable<string> {
    if (this.running) {
      return this.running;
    }
    if (this.settled > startedIn) {
      if (this.lastFailure) {
        return throwError(() => this.lastFailure);
      }
      // A refresh settled after this request left: retry with the token the rejection names (the
      // server's current one when it refused this request: the token may have rotated again), or
      // else the page's. Neither is written back: the page keeps the token of the latest refresh,
      // as responses may arrive out of order.
      const named = rejection.response.headers.get(TOKEN_RESPONSE_HEADER);
      const usable = named !== null && TOKEN_PATTERN.test(named) && named !== rejection.token;
      const token = usable ? named : this.source.current();
      if (token !== null && token !== rejection.token) {
        return of(token);
      }
    }
    return this.start(rejection);
  }

  private start(rejection: UserTokenRejection): Observable<string> {
    if (rejection.response.headers.get(LOGGED_IN_HEADER) === 'false') {
      const error = new UserTokenRefreshError(
        'logged-out',
        'the server says the session has ended (X-Is-Logged-In: false); the user must log in again.',
      );
      this.finish(error);
      this.events.emit({ type: 'session-expired', error });
      return throwError(() => error);
    }

    const running = new AsyncSubject<string>();
    this.running = running;
    const done = this.pendingTasks.add();
    this.events.emit({ type: 'refresh-started' });
    let refreshed: RefreshedUserToken | null = null;
    const fail = (cause: unknown) => {
      const error = asRefreshError(cause);
      this.finish(error);
      done();
      this.events.emit({ type: 'refresh-failed', error });
      if (error.sessionExpired) {
        this.events.emit({ type: 'session-expired', error });
      }
      running.error(error);
    };

    defer(() => from(this.source.refresh(rejection)))
      .pipe(
        take(1),
        timeout({
          first: this.config.refreshTimeout,
          with: () =>
            throwError(
              () =>
                new UserTokenRefreshError(
                  'timeout',
                  `the token refresh took longer than ${this.config.refreshTimeout} ms.`,
                ),
            ),
        }),
      )
      .subscribe({
        next: (result) => {
          refreshed = typeof result === 'string' ? { token: result, via: 'source' } : result;
        },
        error: fail,
        complete: () => {
          const problem = checkToken(refreshed?.token, rejection.token);
          if (problem) {
            fail(problem);
            return;
          }
          const { token, via } = refreshed!;
          this.finish(null);
          done();
          this.events.emit({ type: 'token-refreshed', via, token: maskUserToken(token) });
          running.next(token);
          running.complete();
        },
      });
    return running;
  }

  private finish(failure: UserTokenRefreshError | null): void {
    this.running = null;
    this.settled++;
    this.lastFailure = failure;
  }
}

function checkToken(token: unknown, rejected: string | null): UserTokenRefreshError | null {
  if (typeof token !== 'string' || !HEADER_SAFE.test(token)) {
    return new UserTokenRefreshError('no-token', 'the token source gave no usable token.');
  }
  if (token === rejected) {
    return new UserTokenRefreshError(
      'same-token',
      'the token source gave the token the server had just rejected.',
    );
  }
  return null;
}

function asRefreshError(cause: unknown): UserTokenRefreshError {
  return cause instanceof UserTokenRefreshError
    ? cause
    : new UserTokenRefreshError('failed', 'the token source failed.', cause);
}

/** True when a rejection carries ServiceNow's CSRF signature, so the request was not executed. */
function rejectedForToken(response: HttpErrorResponse): boolean {
  if (response.headers.has(TOKEN_RESPONSE_HEADER)) {
    return true;
  }
  const body: unknown = response.error;
  const text =
    typeof body === 'string'
      ? body
      : (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof text === 'string' && text.includes(NOT_AUTHENTICATED_MESSAGE);
}
