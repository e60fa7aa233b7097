import { DOCUMENT, isPlatformBrowser } from '@angular/common';
import {
  DestroyRef,
  inject,
  Injectable,
  InjectionToken,
  Injector,
  PLATFORM_ID,
  Signal,
  signal,
} from '@angular/core';

import { UserTokenRefreshError } from './errors';
import { USER_TOKEN_EVENT_SINK } from './events';
import { ReLoginHook, USER_TOKEN_RELOGIN } from './features';
import { optionError } from './options';
import { USER_TOKEN_REFRESHER } from './refresher';
import { userTokenFeature, UserTokenFeature } from './provider';
import { UserTokenReloginResult, UserTokenSession, UserTokenSessionState } from './session';
import { noop, Receiver, settlement, Settlement } from './settlement';
import { TAB_CHANNEL_FACTORY, TabChannel } from './tab-sync';
import { UserTokenSource } from './token-source';
import { failure, TOKEN_PATTERN } from './wire';

/** Options of {@link withReLogin}. */
export interface ReLoginOptions {
  /**
   * The login-complete page, on the instance's own origin: the page that hands the new session's
   * token to the app and closes its window (the library's `login-complete.html`, installed as a
   * UI page). Default `'/ngx_user_token_login_complete.do'`.
   */
  page?: string;
  /**
   * What the login window opens. Default the page itself: an instance sends a visitor without a
   * session to its login (or to the identity provider) and back to the page afterwards. Give
   * `/login.do?sysparm_goto_url=` and the page's path, URL-encoded, to go through the login page
   * explicitly (some instances are reported to ignore the parameter).
   */
  loginUrl?: string;
  /**
   * Milliseconds held requests wait for a login to begin after the session ended; then they
   * fail (`timeout`). An open login window stops the clock. Default `600000` (10 minutes).
   */
  reloginTimeout?: number;
  /**
   * The sys_id of the user whose session this page has, compared with who logs in: a held
   * request is sent again only when they are the same. Default the page's user (`PageUser`:
   * `window.NOW.user_id`, `window.g_user.userID`, or the instance's answer when the page names
   * none). When it is not known, nothing held is sent again.
   */
  user?: () => string | null;
}

type ReLoginConfig = Readonly<Required<Omit<ReLoginOptions, 'user' | 'loginUrl'>>> & {
  readonly loginUrl: string;
  readonly user: (() => string | null) | null;
};

/** The message the login-complete page sends: to the opener, and on the login channel. */
export interface LoginCompleteMessage {
  readonly type: 'ngx-user-token:login';
  /** The new session's token (`gs.getSessionToken()`). */
  readonly token: string;
  /** Who logged in (`gs.getUserID()`). */
  readonly user: string;
}

/** The `BroadcastChannel` the login-complete page also posts on (a tab, or a severed opener). */
export const LOGIN_CHANNEL = 'ngx-user-token:login';

const RELOGIN_CONFIG = /* @__PURE__ */ new InjectionToken<ReLoginConfig | null>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'RELOGIN_CONFIG' : '',
  { factory: () => null },
);

/** What the window polls for: whether the login window was closed. */
const CLOSED_POLL_MS = 500;
/** How long after the window closed a message from it is still taken. */
const CLOSED_GRACE_MS = 1000;

/**
 * Holds the requests of an ended session until the user logs in again, then sends each once
 * more — instead of failing them and losing what the user was doing. When the session ends
 * (`X-SessionLoggedIn: false`, or a login page or identity-provider redirect in place of the API),
 * every request that is proven not executed waits: GET, HEAD and OPTIONS, and writes the instance
 * refused before running them (its CSRF 401, or the login page in place of the API). Requests
 * issued meanwhile wait too. {@link UserTokenSession} says so (`state`), and its `relogin()`,
 * called from a click, opens the instance's login in a window; the login-complete page (`page`)
 * hands the new token back and closes it. Then the held requests go again, in order, once each.
 * The window closed without a login, `abandon()`, or `reloginTimeout` → they fail as without this
 * feature. Another user logging in → nothing is replayed: they fail with `other-user`.
 *
 * An app that does not name it bundles none of it.
 *
 * @example
 * ```ts
 * provideUserToken(withReLogin({ page: '/x_acme_login_complete.do' }))
 * // in a component:
 * readonly session = inject(UserTokenSession);
 * // template: @if (session.state() === 'expired') { <button (click)="session.relogin()">Log in again</button> }
 * ```
 */
export function withReLogin(options: ReLoginOptions = {}): UserTokenFeature {
  const page = options.page ?? '/ngx_user_token_login_complete.do';
  const config: ReLoginConfig = {
    page,
    loginUrl: options.loginUrl ?? page,
    reloginTimeout: options.reloginTimeout ?? 600_000,
    user: options.user ?? null,
  };
  if (typeof ngDevMode === 'undefined' || ngDevMode) {
    for (const [name, url] of [
      ['page', config.page],
      ['loginUrl', config.loginUrl],
    ] as const) {
      if (!(typeof url === 'string' && /^\/(?![/\\])/.test(url))) {
        throw optionError(`withReLogin ${name}`, 'a path on the instance, like "/x.do"', url);
      }
    }
    if (!(Number.isFinite(config.reloginTimeout) && config.reloginTimeout > 0)) {
      throw optionError(
        'withReLogin reloginTimeout',
        'a positive number of milliseconds',
        config.reloginTimeout,
      );
    }
    if (config.user !== null && typeof config.user !== 'function') {
      throw optionError('withReLogin user', 'a function', config.user);
    }
  }
  return userTokenFeature('relogin', [
    { provide: RELOGIN_CONFIG, useValue: config },
    ReLoginSession,
    { provide: UserTokenSession, useExisting: ReLoginSession },
    {
      provide: USER_TOKEN_RELOGIN,
      useFactory: (): ReLoginHook => {
        const session = inject(ReLoginSession);
        return { end: (error) => session.ɵend(error), hold: session.ɵhold };
      },
    },
  ]);
}

/** One ended session's wait for a login. */
interface Episode {
  readonly settle: Receiver<string>;
  readonly listen: Settlement<string>['listen'];
  /** Who had the session (`null`: not known). */
  readonly user: string | null;
  held: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  window: { closed: boolean; close(): void; focus?(): void } | null;
  poll: ReturnType<typeof setInterval> | undefined;
  result: Promise<UserTokenReloginResult> | null;
  done: ((result: UserTokenReloginResult) => void) | null;
}

/**
 * The {@link UserTokenSession} of an app with {@link withReLogin}: holds the requests of an ended
 * session and opens the login window. @internal
 */
@Injectable()
export class ReLoginSession extends UserTokenSession {
  private readonly config = inject(RELOGIN_CONFIG)!;
  private readonly source = inject(UserTokenSource);
  // Read when needed: the refresher itself injects this session (through USER_TOKEN_RELOGIN).
  private readonly injector = inject(Injector);
  private readonly sink = inject(USER_TOKEN_EVENT_SINK);
  private readonly window = isPlatformBrowser(inject(PLATFORM_ID))
    ? (inject(DOCUMENT).defaultView as (Window & Record<string, unknown>) | null)
    : null;
  private readonly channelFactory = inject(TAB_CHANNEL_FACTORY);
  private readonly writableState = signal<UserTokenSessionState>('active');
  private readonly lastResult = signal<UserTokenReloginResult | null>(null);
  private episode: Episode | null = null;
  /** Why the session ended, the last time. */
  private lastError: UserTokenRefreshError | null = null;
  private channel: TabChannel | null = null;
  /** The last login's token; after a failed one, why it failed. */
  private outcome: [ok: true, token: string] | [ok: false, error: UserTokenRefreshError | null] = [
    false,
    null,
  ];
  private readonly onMessage = (event: MessageEvent) => {
    if (
      event.origin === this.window?.location.origin &&
      this.episode?.window &&
      event.source === (this.episode.window as unknown)
    ) {
      this.loggedIn(event.data);
    }
  };

  /** Where the session stands. */
  readonly state: Signal<UserTokenSessionState> = this.writableState.asReadonly();
  /** How the last `relogin()` ended; `null` before any. */
  readonly result: Signal<UserTokenReloginResult | null> = this.lastResult.asReadonly();

  /** What the refresher's held requests wait on: the current episode, else the last outcome. */
  private readonly held: Settlement<string> = {
    listen: (receiver) => {
      const episode = this.episode;
      if (!episode) {
        receiver(...this.outcome);
        return noop;
      }
      episode.held++;
      return episode.listen(receiver);
    },
  };

  constructor() {
    super();
    inject(DestroyRef).onDestroy(() => {
      this.finish('abandoned');
      this.channel?.close();
    });
  }

  /**
   * Opens the instance's login in a window — a popup, or with `{ mode: 'tab' }` a new tab — and
   * resolves once the login ended (see {@link UserTokenReloginResult}). Call it from a user
   * gesture (a click): browsers block windows opened otherwise (`blocked`). One login window at a
   * time: while one is open, this focuses it and resolves with its result.
   */
  relogin(options: { mode?: 'popup' | 'tab' } = {}): Promise<UserTokenReloginResult> {
    if (this.writableState() === 'active' || !this.window) {
      return Promise.resolve('not-expired');
    }
    // After a failed login the session is still ended: this one holds what comes from now on.
    const episode = this.episode ?? this.begin(this.lastError!);
    if (episode.window && !episode.window.closed && episode.result) {
      episode.window.focus?.();
      return episode.result;
    }
    const tab = options.mode === 'tab';
    const opened = this.window.open(
      this.config.loginUrl,
      tab ? '_blank' : 'ngx-user-token-login',
      tab ? '' : 'popup,width=520,height=680',
    );
    if (!opened) {
      this.lastResult.set('blocked');
      return Promise.resolve('blocked');
    }
    clearTimeout(episode.timer);
    episode.window = opened;
    this.writableState.set('logging-in');
    episode.result ??= new Promise((resolve) => (episode.done = resolve));
    if (!tab) {
      // A tab opened without an opener relation may report itself closed: only a popup is
      // watched. (An identity provider whose pages cut the opener relation makes a popup look
      // closed too: then the page's message on the login channel still arrives within the grace.)
      episode.poll = setInterval(() => {
        if (opened.closed) {
          clearInterval(episode.poll);
          setTimeout(
            () => this.episode === episode && episode.window === opened && this.finish('closed'),
            CLOSED_GRACE_MS,
          );
        }
      }, CLOSED_POLL_MS);
    }
    return episode.result;
  }

  /** Gives up on the ended session: the held requests fail as they came. */
  abandon(): void {
    this.finish('abandoned');
  }

  /**
   * The session ended (the refresher calls this); starts holding, once per ended session. When it
   * is another user's, nothing held goes: the held requests fail with `other-user`, and a
   * `relogin()` (as the page's user) holds what comes next. @internal
   */
  ɵend(error: UserTokenRefreshError): UserTokenSession {
    if (!this.episode) {
      this.begin(error);
    }
    if (error.reason === 'other-user') {
      this.finish('other-user', error);
    }
    return this;
  }

  /**
   * Holds a request until the login: `receiver` gets the new token, or `error` — as a 401
   * `Session ended` naming why when the login failed with a reason (another user). @internal
   */
  readonly ɵhold: ReLoginHook['hold'] = (receiver, error) =>
    this.held.listen((ok, outcome) =>
      ok
        ? receiver(true, outcome)
        : receiver(false, outcome ? failure(error, 401, 'Session ended', outcome) : error),
    );

  private begin(error: UserTokenRefreshError): Episode {
    this.lastError = error;
    const [waited, settle] = settlement<string>();
    const episode: Episode = {
      settle,
      listen: waited.listen,
      user: this.currentUser(),
      held: 0,
      timer: undefined,
      window: null,
      poll: undefined,
      result: null,
      done: null,
    };
    this.episode = episode;
    episode.timer = setTimeout(() => this.finish('timeout'), this.config.reloginTimeout);
    this.writableState.set('expired');
    this.window?.addEventListener('message', this.onMessage);
    this.channel ??= this.channelFactory(LOGIN_CHANNEL);
    if (this.channel) {
      this.channel.onmessage = (event) => this.loggedIn(event.data);
    }
    return episode;
  }

  /** The login-complete page spoke: the same user → adopt and resend; another → nothing. */
  private loggedIn(data: unknown): void {
    const { type, token, user } = (data ?? {}) as Partial<LoginCompleteMessage>;
    const episode = this.episode;
    if (!episode || type !== 'ngx-user-token:login' || typeof token !== 'string') {
      return;
    }
    if (!TOKEN_PATTERN.test(token)) {
      return;
    }
    if (episode.user === null || user !== episode.user) {
      this.finish(
        'other-user',
        new UserTokenRefreshError(
          'other-user',
          typeof ngDevMode === 'undefined' || ngDevMode
            ? episode.user === null
              ? 'someone logged in, but the page could not say who had the session before ' +
                '(withReLogin user): nothing held was sent again.'
              : 'another user logged in: nothing held was sent again; reload the page.'
            : '',
        ),
      );
      return;
    }
    this.source.adopt?.(token, 'relogin');
    this.sink.report?.({ type: 'token-refreshed', via: 'relogin', token });
    this.finish('logged-in', token);
  }

  private finish(result: UserTokenReloginResult, outcome?: string | UserTokenRefreshError): void {
    const episode = this.episode;
    if (!episode) {
      return;
    }
    this.episode = null;
    clearTimeout(episode.timer);
    clearInterval(episode.poll);
    this.window?.removeEventListener('message', this.onMessage);
    if (episode.window && !episode.window.closed) {
      episode.window.close();
    }
    const ok = typeof outcome === 'string';
    this.outcome = ok ? [true, outcome] : [false, outcome ?? null];
    this.writableState.set(ok ? 'active' : 'expired');
    this.lastResult.set(result);
    this.sink.report?.({ type: 'relogin-ended', result, held: episode.held });
    if (ok) {
      episode.settle(true, outcome);
    } else {
      episode.settle(false, outcome ?? null);
    }
    episode.done?.(result);
  }

  private currentUser(): string | null {
    return this.config.user
      ? this.config.user()
      : (this.injector.get(USER_TOKEN_REFRESHER).user?.sysId ?? null);
  }
}
