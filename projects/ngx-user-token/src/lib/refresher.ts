import { DOCUMENT } from '@angular/common';
import {
  HttpBackend,
  HttpErrorResponse,
  HttpHeaders,
  HttpRequest,
  HttpXhrBackend,
} from '@angular/common/http';
import { inject, InjectionToken, PendingTasks } from '@angular/core';
import { from, Subscription } from 'rxjs';

import { UserTokenRefreshError } from './errors';
import { USER_TOKEN_EVENT_SINK, UserTokenEventSink } from './events';
import { USER_TOKEN_RELOGIN } from './features';
import { USER_TOKEN_CONFIG, UserTokenConfig } from './options';
import { USER_TOKEN_SCOPE } from './scope';
import type { UserTokenSession } from './session';
import { noop, Receiver, settlement, Settlement, Teardown } from './settlement';
import { RefreshedUserToken, UserTokenRejection, UserTokenSource } from './token-source';
import { askUser, PageUserInfo, userOfPage } from './user-lookup';
import {
  failure,
  isLoginPage,
  loggedOut,
  NO_CHALLENGE_HEADER,
  namedToken,
  rejectedForToken,
  resubmitForbidden,
  SAFE_METHOD,
  tokenOf,
} from './wire';

/**
 * The requests of one instance origin in the browser: how many are on the wire, and who waits for
 * a place, in two lines. An instance runs one session's transactions two at a time (one before
 * Yokohama) and lets at most 10 more wait; what comes beyond is ignored (KB0755706, KB0655956) —
 * answered with a 202, as a ServiceNow community post on inbound web services describes it — so
 * the browser holds the rest back. Requests a user waits for (writes, `priority: 'high'`,
 * {@link USER_WAITING}) leave before queued background reads; each line keeps its order.
 * Background reads take at most half of `maxInFlight` on the wire, so that the instance's own
 * queue holds few of them when a user's request comes; that one may take the other half. So that
 * a steady stream of those cannot hold the background line forever, a background request leaves
 * after at most 4 priority ones passed it (see `leaveNext` in `retry.ts`).
 */
export interface Lane {
  /** Requests on the wire. */
  inFlight: number;
  /** Waiting requests a user waits for, in order. */
  priority: (() => void)[];
  /** Other waiting requests, in order. */
  background: (() => void)[];
  /** Priority requests that left while background ones waited, since a background one left. */
  passed: number;
}

/**
 * The session's end, while no new token is known: the token the page had then, and why it ended.
 * A request about to leave with that token would only be refused: it fails at once, or with
 * {@link withReLogin} waits for the login (see `UserTokenRefresher.hold`).
 */
export interface SessionEnd {
  readonly token: string | null;
  readonly error: UserTokenRefreshError;
}

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

/**
 * The injector's single-flight token refresh, and what the interceptor reads on every request
 * (gathered here so it costs one DI lookup). At most one refresh runs at a time; every request
 * that fails while it runs shares it. It runs detached from the requests that wait for it, so
 * cancelling one of them cancels nothing else, and it counts as pending work for the app's
 * stability until it settles. Refreshes are counted ("episodes") so that a request that was
 * already on the wire when a refresh settled uses that outcome instead of starting another.
 */
export interface UserTokenRefresher {
  readonly config: UserTokenConfig;
  readonly source: UserTokenSource;
  /** Where events go (see {@link USER_TOKEN_EVENT_SINK}). */
  readonly sink: UserTokenEventSink;
  /**
   * The origin of `url` when a request to it may carry the token, else `false` (see
   * {@link USER_TOKEN_SCOPE}).
   */
  readonly includes: (url: string) => string | false;
  /** Each instance origin's requests on the wire and waiting (see `sendWithFreshToken`). */
  readonly lanes: Record<string, Lane>;
  /** How many refreshes have settled; a request notes it when it starts. */
  readonly episode: number;
  /** The refresh in flight, to wait for before sending; `null` when none runs. */
  readonly running: Settlement<string> | null;
  /** The session's end, until a new token is known; `null` while it lives. */
  readonly ended: SessionEnd | null;
  /**
   * The page's user (see `PageUser`): every token not yet proven theirs is, before a
   * request goes again with it or it is adopted. `null` when the page names none: then tokens are
   * taken unproven, as before.
   */
  user: PageUserInfo | null;
  /**
   * The redirect mode of requests that carry the token: `'manual'` on a fetch backend (see
   * `redirected`); `undefined` on the XHR backend, which cannot honour it (and would warn).
   */
  readonly redirect: 'manual' | undefined;
  /**
   * A request the session's end failed, proven not executed, or one about to leave while it
   * lasts: with {@link withReLogin} it waits for the login and `receiver` gets the new token (or,
   * if the login fails, `error` — a 401 `Session ended` naming another user when one logged in);
   * without it `receiver` gets `error` at once.
   */
  readonly hold: (receiver: Receiver<string>, error: HttpErrorResponse) => Teardown;
  /**
   * What to do after an attempt failed with `error`: hands `receiver` the token to send the
   * request again with, or the error its caller gets. The checks, in order (the last three are
   * ServiceNow's own interceptor's order):
   * 1. a login page where JSON was expected → the session ended (single sign-on);
   * 2. in scope, a redirect `redirected` judged the session's end, or no status while the
   *    instance's API itself redirects → the same;
   * 3. a 202 with no body (ignored) or a 429 → the same token after the wait, once, if the
   *    request may be sent again and the wait is within `rateLimitMaxWait`;
   * 4. not a refresh status, no retries left, or a write without proof that the server refused
   *    it before running it (`X-UserToken-Response`, or "User Not Authenticated") → the error;
   * 5. the page's token changed since the request left → that token (or the one the 401 names);
   * 6. a refresh in flight, or one that settled after the request left → its outcome; else
   *    `X-SessionLoggedIn: false` → `session-expired`; else `X-UserToken-AllowResubmit: false`
   *    → the 401 (a token it names is still adopted); else a shared refresh.
   */
  recover(error: unknown, attempt: FailedAttempt, receiver: Receiver<string>): Teardown;
  /**
   * The session is gone (`error` says why): `session-expired` is reported, and for a proven end
   * (`logged-out`, `login-page`) requests fail at once — or, with `withReLogin`, wait — until a
   * new token is known. For what learns of the end elsewhere (the live entry point's message bus).
   */
  expire(error: UserTokenRefreshError): void;
  /**
   * Where a request that left with the token was redirected (`error` being the redirect it did
   * not follow): the URL within the instance to send it to instead, for a GET, HEAD or OPTIONS
   * that `mayResend`; else the error its caller gets (`Redirect not followed`), or `error` itself
   * when the redirect is the session's end (the login page, or the identity provider while the
   * instance's API redirects too), for `recover`. `null` when `error` is no redirect.
   */
  redirected(error: unknown, method: string, mayResend: boolean): Settlement<string> | null;
}

/** The injector's {@link UserTokenRefresher}. @internal */
export const USER_TOKEN_REFRESHER = /* @__PURE__ */ new InjectionToken<UserTokenRefresher>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'USER_TOKEN_REFRESHER' : '',
  { providedIn: 'root', factory: createRefresher },
);

function createRefresher(): UserTokenRefresher {
  const config = inject(USER_TOKEN_CONFIG);
  const includes = inject(USER_TOKEN_SCOPE);
  const source = inject(UserTokenSource);
  const sink = inject(USER_TOKEN_EVENT_SINK);
  const pendingTasks = inject(PendingTasks);
  const backend = inject(HttpBackend);
  const relogin = inject(USER_TOKEN_RELOGIN);

  let lastFailure: UserTokenRefreshError | null = null;

  if ((typeof ngDevMode === 'undefined' || ngDevMode) && backend instanceof HttpXhrBackend) {
    console.warn(
      'ngx-user-token: HttpClient uses the XHR backend, which follows redirects itself: a ' +
        'request carrying the session token that the instance redirects to another origin takes ' +
        'the token there. Add withFetch() to provideHttpClient() (the default from Angular 22).',
    );
  }

  // The token last proven the page user's: at first the page's own, rendered for that user.
  let proven = source.current();
  let proof: { readonly token: string; readonly settled: Settlement<string> } | null = null;

  /**
   * Hands `receiver` `token` once it is proven to be the page user's session — at once when it
   * was before, or when the page names no user: one question to the instance (see `askUser`) per
   * new token, shared by every request that waits for it. Another user's session ends this
   * page's (`other-user`): the token is neither used nor adopted.
   */
  const bound = (token: string, url: string | null, receiver: Receiver<string>): Teardown => {
    if (!self.user || token === proven) {
      receiver(true, token);
      return noop;
    }
    if (proof?.token !== token) {
      const [settled, settle] = settlement<string>();
      proof = { token, settled };
      const user = self.user;
      askUser(backend, config, (url && includes(url)) || '', token).listen((ok, answer) => {
        if (ok && answer.sysId === user.sysId) {
          proven = token;
          settle(true, token);
          return;
        }
        const error = new UserTokenRefreshError(
          ok ? 'other-user' : 'failed',
          typeof ngDevMode === 'undefined' || ngDevMode
            ? ok
              ? "the instance's session now belongs to another user than the page's " +
                `(${user.userName ?? user.sysId}): ` +
                'nothing is sent as them; the page must be reloaded, or its user log in again.'
              : 'the instance did not say whose session the new token is; it was not used.'
            : '',
          ok ? undefined : answer,
        );
        if (ok) {
          if (!self.running) {
            finish(error);
          }
          expire(error);
        } else if (proof?.token === token) {
          // No answer is no proof either way: the next request with this token asks again.
          proof = null;
        }
        settle(false, error);
      });
    }
    return proof.settled.listen(receiver);
  };

  const finish = (failure: UserTokenRefreshError | null) => {
    self.running = null;
    self.episode++;
    lastFailure = failure;
  };

  /**
   * The session is gone: said once per episode. When the instance proved it (`logged-out`,
   * `login-page`), or it is another user's (`other-user`) — not a refresh that found no token —
   * remembered until a new token is known.
   */
  const expire = (error: UserTokenRefreshError) => {
    let session: UserTokenSession | undefined;
    if (/^(logged-out|login-page|other-user)$/.test(error.reason)) {
      self.ended = { token: source.current(), error };
      session = relogin?.end(error);
    }
    sink.report?.({ type: 'session-expired', error, session });
  };

  /**
   * The session ended behind single sign-on: the caller gets a 401 `HttpErrorResponse` with the
   * status text `Session ended` and a `UserTokenRefreshError` ('login-page') as its `error` —
   * like any ended session, not a parse failure — and `session-expired` is reported once per
   * episode.
   */
  const sessionEnded = (response: HttpErrorResponse, startedIn: number): HttpErrorResponse => {
    let error = self.episode > startedIn ? lastFailure : null;
    if (error?.reason !== 'login-page') {
      error = new UserTokenRefreshError(
        'login-page',
        typeof ngDevMode === 'undefined' || ngDevMode
          ? `the session has ended: ${response.url ?? 'a request'} got a login page instead of JSON ` +
              '(single sign-on); the user must log in again.'
          : '',
      );
      if (!self.running) {
        finish(error);
      }
      expire(error);
    }
    return failure(response, 401, 'Session ended', error);
  };

  /**
   * Starts the refresh every request failing meanwhile shares: the source's first token, checked,
   * within `refreshTimeout`.
   */
  const start = (rejection: UserTokenRejection): Settlement<string> => {
    const [refresh, settle] = settlement<string>();
    self.running = refresh;
    const done = pendingTasks.add();
    sink.report?.({ type: 'refresh-started' });
    let over = false;
    let subscription: Subscription | null = null;
    const end = (failure: UserTokenRefreshError | null) => {
      over = true;
      clearTimeout(timer);
      subscription?.unsubscribe();
      finish(failure);
      done();
    };
    const fail = (cause: unknown) => {
      if (over) {
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
      sink.report?.({ type: 'refresh-failed', error });
      if (error.sessionExpired && self.ended?.error !== error) {
        expire(error);
      }
      settle(false, error);
    };
    // The source's first token (or its completing without one) is its answer: what follows while
    // the token is being proven is ignored.
    let answered = false;
    const succeed = (result: string | RefreshedUserToken | undefined) => {
      if (over || answered) {
        return;
      }
      answered = true;
      const refreshed = typeof result === 'string' ? { token: result, via: 'source' } : result;
      const problem = checkToken(refreshed?.token, rejection.token);
      if (problem) {
        fail(problem);
        return;
      }
      const { token, via } = refreshed!;
      bound(token, rejection.response.url, (ok, outcome) => {
        if (!ok) {
          fail(outcome);
          return;
        }
        if (over) {
          return;
        }
        if (token !== source.current()) {
          source.adopt?.(token, via);
        }
        end(null);
        // The sink masks the token (see UserTokenEvents).
        sink.report?.({ type: 'token-refreshed', via, token });
        settle(true, token);
      });
    };
    const timer = setTimeout(
      () =>
        fail(
          new UserTokenRefreshError(
            'timeout',
            typeof ngDevMode === 'undefined' || ngDevMode
              ? `the token refresh took longer than ${config.refreshTimeout} ms.`
              : '',
          ),
        ),
      config.refreshTimeout,
    );
    try {
      // An Observable or a Promise: rxjs's `from` takes both (and is in every app's bundle
      // already: `of` uses it).
      subscription = from(source.refresh(rejection)).subscribe({
        next: succeed,
        error: fail,
        complete: () => succeed(undefined),
      });
      if (over) {
        subscription.unsubscribe();
      }
    } catch (cause) {
      fail(cause);
    }
    return refresh;
  };

  /**
   * The token to retry with, for a request rejected as `rejection` that started in `startedIn`:
   * the refresh in flight if there is one; else the outcome of a refresh that settled after the
   * request started; else a new refresh, unless the 401 says the session ended or forbids a
   * resubmit.
   */
  const tokenAfter = (
    rejection: UserTokenRejection,
    startedIn: number,
    method: string,
    receiver: Receiver<string>,
  ): Teardown => {
    if (self.running) {
      return self.running.listen(receiver);
    }
    if (self.episode > startedIn) {
      if (lastFailure) {
        receiver(false, lastFailure);
        return noop;
      }
      // A refresh settled after this request left: retry with the token the rejection names (the
      // server's current one when it refused this request: the token may have rotated again), or
      // else the page's. Neither is written back: the page keeps the token of the latest refresh,
      // as responses may arrive out of order.
      const token = namedToken(rejection) ?? source.current();
      if (token !== null && token !== rejection.token) {
        return bound(token, rejection.response.url, receiver);
      }
    }
    const { headers, url } = rejection.response;
    if (loggedOut(headers)) {
      const error = new UserTokenRefreshError(
        'logged-out',
        typeof ngDevMode === 'undefined' || ngDevMode
          ? 'the server says the session has ended (X-SessionLoggedIn: false); the user must log in again.'
          : '',
      );
      finish(error);
      expire(error);
      receiver(false, error);
      return noop;
    }
    if (resubmitForbidden(headers)) {
      sink.report?.({ type: 'retry-skipped', method, url, reason: 'resubmit-not-allowed' });
      if (namedToken(rejection) !== null) {
        // Adopt the token the 401 names, so the next request carries it; nothing is resent.
        start(rejection);
      }
      receiver(false, rejection.response);
      return noop;
    }
    return start(rejection).listen(receiver);
  };

  const recover: UserTokenRefresher['recover'] = (error, attempt, receiver) => {
    if (!(error instanceof HttpErrorResponse)) {
      receiver(false, error);
      return noop;
    }
    const { method, startedIn } = attempt;
    const { status, url } = error;
    // The session ended where the API should have answered: the request did not run, so it is
    // held for a re-login if it may be sent again. (The teardowns of holds are not kept: the
    // request's receiver ignores what comes after it was cancelled.)
    const ended = () => {
      const response = sessionEnded(error, startedIn);
      return attempt.retriesLeft > 0 ? self.hold(receiver, response) : receiver(false, response);
    };
    // 1. A login page where JSON was expected: the session ended behind single sign-on.
    if (isLoginPage(error)) {
      ended();
      return noop;
    }
    // 2. A redirect `redirected` found to be the session's end (the login page, or the identity
    //    provider while the instance's API redirects too), or a status 0 (the XHR backend, which
    //    followed a redirect the browser then refused) while the API redirects: the same.
    if (url && includes(url)) {
      if (redirect(error)) {
        ended();
        return noop;
      }
      if (status === 0) {
        return apiRedirects(includes(url) || '').listen((_, sso) =>
          sso ? ended() : receiver(false, error),
        );
      }
    }
    // Sent again only if allowed, and only if idempotent or refused before it ran.
    const again = attempt.retriesLeft > 0 && (SAFE_METHOD.test(method) || rejectedForToken(error));
    // 3. Ignored (a 202 with no body) or rate limited (429): sent again with the same token after
    //    the wait (`Retry-After`, in seconds as the rate limiting docs give it; a second for an
    //    ignored one) if that is within `rateLimitMaxWait`.
    if (status === 202 || status === 429) {
      const wait = +(error.headers.get('Retry-After') ?? (status === 202 ? 1 : NaN)) * 1000;
      const retried = again && wait <= config.rateLimitMaxWait;
      sink.report?.({
        type: status === 202 ? 'request-ignored' : 'rate-limited',
        method,
        url,
        retried,
        wait,
      } as const);
      if (retried) {
        const timer = setTimeout(receiver, wait, true, attempt.sent);
        return () => clearTimeout(timer);
      }
    }
    // 4. Not a refresh status, or not to be sent again: the caller gets it as it came.
    if (!again || !config.refreshOn.includes(status)) {
      receiver(false, error);
      return noop;
    }
    sink.report?.({ type: 'token-rejected', method, url, status });
    // A failure that ended the session holds the request (with withReLogin); any other gives the
    // caller the rejection it came with.
    const held = (reason: unknown) =>
      reason !== self.ended?.error
        ? receiver(false, error)
        : self.hold(
            receiver,
            // Another user's session: the instance's 401 would not say why; this does.
            (reason as UserTokenRefreshError).reason === 'other-user'
              ? failure(error, 401, 'Session ended', reason)
              : error,
          );
    const rejection: UserTokenRejection = { token: tokenOf(attempt.sent, error), response: error };
    // 5. The page's token changed since the request left: someone refreshed it. The token the 401
    //    names, if any, is the server's current one (the token may have rotated again); neither
    //    is written back, as responses may arrive out of order.
    const page = source.current();
    if (page !== null && page !== rejection.token) {
      return bound(namedToken(rejection) ?? page, url, (ok, token) =>
        ok ? receiver(true, token) : held(token),
      );
    }
    // 6. The refresh in flight or just settled, the session's end, a forbidden resubmit, or a
    //    new refresh (see `tokenAfter`). Whatever goes wrong on the way, the caller gets the
    //    rejection it came with — held first if the session ended.
    return tokenAfter(rejection, startedIn, method, (ok, token) =>
      ok ? receiver(true, token) : held(token),
    );
  };

  // Whether the instance's API itself redirects now — how an instance behind single sign-on
  // answers once the session ended: the user question (see `askUser`) is asked, never followed.
  // One question at a time serves every redirect being judged.
  let apiCheck: Settlement<boolean> | null = null;
  const apiRedirects = (origin: string): Settlement<boolean> => {
    if (apiCheck) {
      return apiCheck;
    }
    const [asked, answer] = settlement<boolean>();
    apiCheck = asked;
    const token = source.current() ?? config.placeholderToken;
    askUser(backend, config, origin, token).listen((ok, outcome) => {
      apiCheck = null;
      answer(true, !ok && redirect(outcome));
    });
    return asked;
  };

  const redirected: UserTokenRefresher['redirected'] = (error, method, mayResend) => {
    if (!redirect(error) || !error.url) {
      return null;
    }
    const from = error.url;
    const [found, answer] = settlement<string>();
    /**
     * The caller's error: the request went no further than the instance. `to` is where the
     * redirect leads: `null` out of the instance where the browser does not say, `from` when only
     * a request with the token would show it.
     */
    const notFollowed = (to: string | null) =>
      failure(
        error,
        0,
        'Redirect not followed',
        new Error(
          typeof ngDevMode === 'undefined' || ngDevMode
            ? `ngx-user-token: ${method} ${from} was redirected ` +
                (to === from
                  ? 'somewhere only a request with the session token is shown: it was not followed.'
                  : to !== null && includes(to)
                    ? `to ${to}, within the instance, but it is not sent again ` +
                      '(a write, or no retries left).'
                    : `${to === null ? 'out of the instance' : `to ${to}`}: the request ` +
                      "carried the session token, which never leaves the instance's origin.")
            : 'ngx-user-token: redirect not followed',
        ),
      );
    // Where it leads (`null`: out of the instance, unreadable — an identity provider, say).
    const landed = (to: string | null) => {
      if (to === from) {
        // The instance redirects it only with the token (past its session check): where to, the
        // browser does not show, and the token never follows a redirect it cannot see.
        answer(false, notFollowed(to));
      } else if (to !== null && includes(to)) {
        if (/\/(login|navpage)\.do(?:[?#]|$)/.test(to)) {
          // The login page: the session's end, for `recover` to handle.
          answer(false, error);
        } else if (SAFE_METHOD.test(method) && mayResend) {
          answer(true, to);
        } else {
          answer(false, notFollowed(to));
        }
      } else {
        // Out of the instance: the single-sign-on end when the API itself redirects too, else a
        // redirect the token must not follow.
        apiRedirects(includes(from) || '').listen((_, sso) =>
          answer(false, sso ? error : notFollowed(to)),
        );
      }
    };
    const location = error.headers.get('Location');
    if (location !== null) {
      // A backend outside the browser (fetch in Node) shows the redirect itself: its next hop.
      landed(new URL(location, from).href);
    } else {
      // Followed without the token, so the browser may go where it leads: only its end is used.
      // No challenge either: the instance's 401 to a request without the token would open the
      // browser's login dialog.
      const follow = new HttpRequest<null>('HEAD', from, null, {
        headers: config.noResponseChallenge
          ? new HttpHeaders({ [NO_CHALLENGE_HEADER]: 'true' })
          : undefined,
        redirect: 'follow',
      } as object);
      const end = (response: { status: number; url: string | null }) =>
        landed(response.status === 0 ? null : response.url);
      backend.handle(follow).subscribe({
        next: (event) => 'status' in event && end(event as { status: number; url: string | null }),
        error: end,
      });
    }
    return found;
  };

  // Plain data properties, read on every request (no getters: they cost time on the hot path).
  const self: { -readonly [K in keyof UserTokenRefresher]: UserTokenRefresher[K] } = {
    config,
    source,
    sink,
    includes,
    lanes: {},
    episode: 0,
    running: null,
    ended: null,
    hold: relogin?.hold ?? ((receiver, error) => (receiver(false, error), noop)),
    recover,
    expire,
    redirected,
    user: userOfPage(inject(DOCUMENT).defaultView as unknown as Record<string, unknown> | null),
    redirect: backend instanceof HttpXhrBackend ? undefined : 'manual',
  };
  return self;
}

/**
 * True for a redirect not followed (`redirect: 'manual'`): opaque in a browser's fetch (status 0,
 * nothing readable), a 3xx with its `Location` in a fetch outside the browser.
 */
function redirect(error: unknown): error is HttpErrorResponse {
  return (
    error instanceof HttpErrorResponse &&
    ((error as { responseType?: string }).responseType === 'opaqueredirect' ||
      (error.status >= 300 && error.status < 400 && error.headers.has('Location')))
  );
}

/** What a token may look like in a header value: visible ASCII, no spaces. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

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
