import {
  HttpBackend,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaders,
  HttpRequest,
} from '@angular/common/http';
import { inject, Injectable, PendingTasks } from '@angular/core';
import { Observable, Subscription } from 'rxjs';

import { UserTokenRefreshError } from './errors';
import { UserTokenEvents } from './events';
import { maskUserToken } from './mask';
import { USER_TOKEN_CONFIG } from './options';
import { UserTokenScope } from './scope';
import { RefreshedUserToken, UserTokenRejection, UserTokenSource } from './token-source';
import {
  ALLOW_RESUBMIT_HEADER,
  LOGGED_IN_HEADER,
  NOT_AUTHENTICATED_MESSAGE,
  SESSION_LOGGED_IN_HEADER,
  TOKEN_PATTERN,
  TOKEN_PLACEHOLDER,
  TOKEN_REQUEST_HEADER,
  TOKEN_RESPONSE_HEADER,
} from './wire';

/** A failed attempt of one request, as {@link UserTokenRefresher.recover} needs it. */
export interface FailedAttempt {
  readonly method: string;
  /** The token the attempt carried; `null` when none was known (a placeholder, or nothing). */
  readonly sent: string | null;
  /** The refresh episode in which the attempt was sent. */
  readonly startedIn: number;
  /** How many more times the request may be sent. */
  readonly retriesLeft: number;
}

/** Methods that may be sent again after any refresh status: they change nothing on the server. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What a token may look like in a header value: visible ASCII, no spaces. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Who waits for an outcome: a token (or a yes/no), or the error its caller gets. */
export interface Receiver<T> {
  next(value: T): void;
  error(error: unknown): void;
}

/** Cancels a wait (the thing waited for goes on for the others). */
export type Teardown = () => void;

/**
 * An outcome many wait for, delivered to each once, synchronously when it comes — what an rxjs
 * `AsyncSubject` does, in the few lines the library needs (its bundle cost is what apps pay).
 */
export class Settlement<T> {
  private receivers: Receiver<T>[] = [];
  private outcome: { ok: true; value: T } | { ok: false; error: unknown } | null = null;

  /** Calls `receiver` with the outcome, now if it is known; the teardown stops waiting. */
  listen(receiver: Receiver<T>): Teardown {
    if (this.outcome) {
      deliver(this.outcome, receiver);
      return noop;
    }
    this.receivers.push(receiver);
    return () => {
      this.receivers = this.receivers.filter((r) => r !== receiver);
    };
  }

  resolve(value: T): void {
    this.settle({ ok: true, value });
  }

  reject(error: unknown): void {
    this.settle({ ok: false, error });
  }

  private settle(outcome: { ok: true; value: T } | { ok: false; error: unknown }): void {
    if (!this.outcome) {
      this.outcome = outcome;
      const receivers = this.receivers;
      this.receivers = [];
      receivers.forEach((receiver) => deliver(outcome, receiver));
    }
  }
}

function deliver<T>(
  outcome: { ok: true; value: T } | { ok: false; error: unknown },
  receiver: Receiver<T>,
): void {
  if (outcome.ok) {
    receiver.next(outcome.value);
  } else {
    receiver.error(outcome.error);
  }
}

const noop: Teardown = () => undefined;

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
  private readonly backend = inject(HttpBackend);

  private running: Settlement<string> | null = null;
  private probe: Settlement<boolean> | null = null;
  private settled = 0;
  private lastFailure: UserTokenRefreshError | null = null;

  /** How many refreshes have settled; a request notes it when it starts. */
  get episode(): number {
    return this.settled;
  }

  /** The refresh in flight, to wait for before sending; `null` when none runs. */
  settling(): Settlement<string> | null {
    return this.running;
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
   * What to do after an attempt failed with `error`: hands `receiver` the token to send the
   * request again with, or the error its caller gets. ServiceNow's own interceptor decides in this
   * order, and so does this:
   * 1. the page's token changed since the request left → that token (or the one the 401 names),
   *    no refresh;
   * 2. a refresh in flight, or one that settled after the request left → its outcome;
   * 3. `X-SessionLoggedIn: false` → `session-expired`, no refresh, the 401;
   * 4. `X-UserToken-AllowResubmit: false` → the 401 (a token it names is still adopted);
   * 5. else a shared refresh (`X-UserToken-Response`, the page's global, the token page).
   * Before all that, a login page where JSON was expected ends the session (single sign-on).
   */
  recover(error: unknown, attempt: FailedAttempt, receiver: Receiver<string>): Teardown {
    if (!(error instanceof HttpErrorResponse)) {
      receiver.error(error);
      return noop;
    }
    if (isLoginPage(error)) {
      receiver.error(this.sessionEnded(error, attempt.startedIn));
      return noop;
    }
    if (error.status === 0 && error.url && this.scope.includes(error.url)) {
      return this.redirectedToLogin(error.url).listen({
        next: (redirected) =>
          receiver.error(redirected ? this.sessionEnded(error, attempt.startedIn) : error),
        error: () => receiver.error(error),
      });
    }
    if (attempt.retriesLeft <= 0 || !this.mayReplay(error, attempt.method)) {
      receiver.error(error);
      return noop;
    }
    const { method } = attempt;
    this.events.emit({ type: 'token-rejected', method, url: error.url, status: error.status });
    const rejection: UserTokenRejection = { token: tokenOf(attempt.sent, error), response: error };
    const page = this.source.current();
    if (page !== null && page !== rejection.token) {
      // Someone refreshed the token since this request left. The token the 401 names, if any, is
      // the server's current one (the token may have rotated again); neither is written back, as
      // responses may arrive out of order.
      receiver.next(namedToken(rejection) ?? page);
      return noop;
    }
    // Whatever goes wrong on the way, the caller gets the rejection it came with.
    return this.tokenAfter(rejection, attempt.startedIn, method, {
      next: (token) => receiver.next(token),
      error: () => receiver.error(error),
    });
  }

  /**
   * The token to retry with, for a request rejected as `rejection` that started in `startedIn`:
   * the refresh in flight if there is one; else the outcome of a refresh that settled after the
   * request started; else a new refresh, unless the 401 says the session ended or forbids a
   * resubmit.
   */
  private tokenAfter(
    rejection: UserTokenRejection,
    startedIn: number,
    method: string,
    receiver: Receiver<string>,
  ): Teardown {
    if (this.running) {
      return this.running.listen(receiver);
    }
    if (this.settled > startedIn) {
      if (this.lastFailure) {
        receiver.error(this.lastFailure);
        return noop;
      }
      // A refresh settled after this request left: retry with the token the rejection names (the
      // server's current one when it refused this request: the token may have rotated again), or
      // else the page's. Neither is written back: the page keeps the token of the latest refresh,
      // as responses may arrive out of order.
      const token = namedToken(rejection) ?? this.source.current();
      if (token !== null && token !== rejection.token) {
        receiver.next(token);
        return noop;
      }
    }
    const headers = rejection.response.headers;
    const alive = headers.get(SESSION_LOGGED_IN_HEADER) ?? headers.get(LOGGED_IN_HEADER);
    if (alive === 'false') {
      const error = new UserTokenRefreshError(
        'logged-out',
        typeof ngDevMode === 'undefined' || ngDevMode
          ? 'the server says the session has ended (X-SessionLoggedIn: false); the user must log in again.'
          : '',
      );
      this.finish(error);
      this.events.emit({ type: 'session-expired', error });
      receiver.error(error);
      return noop;
    }
    if (headers.get(ALLOW_RESUBMIT_HEADER) === 'false') {
      this.events.emit({
        type: 'retry-skipped',
        method,
        url: rejection.response.url,
        reason: 'resubmit-not-allowed',
      });
      if (namedToken(rejection) !== null) {
        // Adopt the token the 401 names, so the next request carries it; nothing is resent.
        this.start(rejection);
      }
      receiver.error(rejection.response);
      return noop;
    }
    return this.start(rejection).listen(receiver);
  }

  /**
   * The session ended behind single sign-on: the caller gets a 401 `HttpErrorResponse` with the
   * status text `Session ended` and a `UserTokenRefreshError` ('login-page') as its `error` —
   * like any ended session, not a parse failure — and `session-expired` is reported once per
   * episode.
   */
  private sessionEnded(response: HttpErrorResponse, startedIn: number): HttpErrorResponse {
    let error = this.settled > startedIn ? this.lastFailure : null;
    if (error?.reason !== 'login-page') {
      error = new UserTokenRefreshError(
        'login-page',
        typeof ngDevMode === 'undefined' || ngDevMode
          ? `the session has ended: ${response.url ?? 'a request'} got a login page instead of JSON ` +
              '(single sign-on); the user must log in again.'
          : '',
      );
      if (!this.running) {
        this.finish(error);
      }
      this.events.emit({ type: 'session-expired', error });
    }
    return new HttpErrorResponse({
      error,
      headers: response.headers,
      status: 401,
      statusText: 'Session ended',
      url: response.url ?? undefined,
    });
  }

  /**
   * Whether a request that failed without a status (status 0) was redirected: asks the URL again,
   * HEAD and without following redirects. The browser refuses to follow a redirect to an identity
   * provider on another origin, and reports it only as a network error. One probe at a time serves
   * every such failure. Needs the fetch backend (`withFetch()`); elsewhere it finds no redirect.
   */
  private redirectedToLogin(url: string): Settlement<boolean> {
    if (!this.probe) {
      const probe = new Settlement<boolean>();
      this.probe = probe;
      const answer = (redirected: boolean) => {
        this.probe = null;
        probe.resolve(redirected);
      };
      const token = this.source.current() ?? this.config.placeholderToken;
      const init = {
        headers: token === null ? undefined : new HttpHeaders({ [this.config.headerName]: token }),
        redirect: 'manual',
      };
      this.backend.handle(new HttpRequest<null>('HEAD', url, null, init as object)).subscribe({
        next: (event) => event.type === HttpEventType.Response && answer(false),
        error: (failure: unknown) =>
          answer(
            failure instanceof HttpErrorResponse &&
              ((failure as { responseType?: string }).responseType === 'opaqueredirect' ||
                (failure.status >= 300 && failure.status < 400)),
          ),
        complete: () => answer(false),
      });
    }
    return this.probe;
  }

  /**
   * Starts the refresh every request failing meanwhile shares: the source's first token, checked,
   * within `refreshTimeout`.
   */
  private start(rejection: UserTokenRejection): Settlement<string> {
    const running = new Settlement<string>();
    this.running = running;
    const done = this.pendingTasks.add();
    this.events.emit({ type: 'refresh-started' });
    let settled = false;
    let subscription: Subscription | null = null;
    const end = (failure: UserTokenRefreshError | null) => {
      settled = true;
      clearTimeout(timer);
      subscription?.unsubscribe();
      this.finish(failure);
      done();
    };
    const fail = (cause: unknown) => {
      if (settled) {
        return;
      }
      const error =
        cause instanceof UserTokenRefreshError
          ? cause
          : new UserTokenRefreshError(
              'failed',
              typeof ngDevMode === 'undefined' || ngDevMode ? 'the token source failed.' : '',
              cause,
            );
      end(error);
      this.events.emit({ type: 'refresh-failed', error });
      if (error.sessionExpired) {
        this.events.emit({ type: 'session-expired', error });
      }
      running.reject(error);
    };
    const succeed = (result: string | RefreshedUserToken | undefined) => {
      if (settled) {
        return;
      }
      const refreshed = typeof result === 'string' ? { token: result, via: 'source' } : result;
      const problem = checkToken(refreshed?.token, rejection.token);
      if (problem) {
        fail(problem);
        return;
      }
      const { token, via } = refreshed!;
      end(null);
      this.events.emit({ type: 'token-refreshed', via, token: maskUserToken(token) });
      running.resolve(token);
    };
    const timer = setTimeout(
      () =>
        fail(
          new UserTokenRefreshError(
            'timeout',
            typeof ngDevMode === 'undefined' || ngDevMode
              ? `the token refresh took longer than ${this.config.refreshTimeout} ms.`
              : '',
          ),
        ),
      this.config.refreshTimeout,
    );
    try {
      const result = this.source.refresh(rejection);
      if (typeof (result as Partial<Observable<unknown>>).subscribe !== 'function') {
        Promise.resolve(result as Promise<string | RefreshedUserToken>).then(succeed, fail);
      } else {
        subscription = (result as Observable<string | RefreshedUserToken>).subscribe({
          next: succeed,
          error: fail,
          complete: () => succeed(undefined),
        });
        if (settled) {
          subscription.unsubscribe();
        }
      }
    } catch (cause) {
      fail(cause);
    }
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
    return new UserTokenRefreshError(
      'no-token',
      typeof ngDevMode === 'undefined' || ngDevMode ? 'the token source gave no usable token.' : '',
    );
  }
  if (token === rejected) {
    return new UserTokenRefreshError(
      'same-token',
      typeof ngDevMode === 'undefined' || ngDevMode
        ? 'the token source gave the token the server had just rejected.'
        : '',
    );
  }
  return null;
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

/** The token the rejected request carried: as sent, else as the 401 repeats it. */
function tokenOf(sent: string | null, response: HttpErrorResponse): string | null {
  if (sent !== null) {
    return sent;
  }
  const echoed = response.headers.get(TOKEN_REQUEST_HEADER);
  return echoed !== null && echoed !== TOKEN_PLACEHOLDER && TOKEN_PATTERN.test(echoed)
    ? echoed
    : null;
}

/** The new token a rejection names in `X-UserToken-Response`, if usable. */
function namedToken(rejection: UserTokenRejection): string | null {
  const named = rejection.response.headers.get(TOKEN_RESPONSE_HEADER);
  return named !== null && TOKEN_PATTERN.test(named) && named !== rejection.token ? named : null;
}

/**
 * True when a request that expected JSON got an HTML page: a success status whose body did not
 * parse (XHR keeps the text, fetch keeps the content type), or one that ended on a login page.
 */
function isLoginPage(error: HttpErrorResponse): boolean {
  if (error.status < 200 || error.status >= 300) {
    return false;
  }
  const type = error.headers.get('Content-Type') ?? '';
  const text = (error.error as { text?: unknown } | null)?.text;
  const onLoginPage = error.url !== null && /\/(login|navpage)\.do(?:[?#]|$)/.test(error.url);
  return (
    type.includes('html') ||
    (typeof text === 'string' && text.trimStart().startsWith('<')) ||
    onLoginPage
  );
}
