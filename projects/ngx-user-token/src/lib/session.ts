// The user's session as the core sees it: the public face of a re-login, which the opt-in
// feature `withReLogin` (relogin.ts) implements. Here, below the events and the refresher, so that
// the core never imports a feature.
import { Injectable, Signal, signal } from '@angular/core';

/**
 * Where the user's session stands, for {@link UserTokenSession.state}:
 * - `active`: it lives (or nothing says otherwise);
 * - `expired`: it ended; requests in scope are held (see {@link withReLogin});
 * - `logging-in`: the login window is open.
 */
export type UserTokenSessionState = 'active' | 'expired' | 'logging-in';

/**
 * How a {@link UserTokenSession.relogin} ended:
 * - `logged-in`: the same user logged in; the held requests were sent again with the new token;
 * - `other-user`: another user logged in; nothing held was sent, the held requests failed with
 *   `other-user`, and this page sends nothing more as anyone (reload it);
 * - `closed`: the window closed without a login; the held requests failed;
 * - `abandoned`: {@link UserTokenSession.abandon} was called; the held requests failed;
 * - `timeout`: no login began within `reloginTimeout` of the session's end;
 * - `blocked`: the browser refused to open the window (a popup blocker: call `relogin()` from a
 *   click, or try `{ mode: 'tab' }`); the requests stay held;
 * - `not-expired`: the session had not ended; nothing was opened.
 */
export type UserTokenReloginResult =
  'logged-in' | 'other-user' | 'closed' | 'abandoned' | 'timeout' | 'blocked' | 'not-expired';

/**
 * The user's session as {@link withReLogin} sees it: whether it ended, the login that brings it
 * back, and the requests held meanwhile. Without `withReLogin` its `state` stays `active` and
 * `relogin()` throws.
 *
 * @example
 * ```ts
 * readonly session = inject(UserTokenSession);
 * async logIn() {
 *   const result = await this.session.relogin(); // from the button's click: popup blockers
 *   if (result === 'blocked') await this.session.relogin({ mode: 'tab' });
 * }
 * ```
 */
@Injectable({ providedIn: 'root', useFactory: () => new SessionWithoutReLogin() })
export abstract class UserTokenSession {
  /** Where the session stands. */
  abstract readonly state: Signal<UserTokenSessionState>;
  /** How the last `relogin()` ended; `null` before any. */
  abstract readonly result: Signal<UserTokenReloginResult | null>;

  /**
   * Opens the instance's login in a window — a popup, or with `{ mode: 'tab' }` a new tab — and
   * resolves once the login ended (see {@link UserTokenReloginResult}). Call it from a user
   * gesture (a click): browsers block windows opened otherwise (`blocked`). One login window at a
   * time: while one is open, this focuses it and resolves with its result.
   */
  abstract relogin(options?: { mode?: 'popup' | 'tab' }): Promise<UserTokenReloginResult>;

  /** Gives up on the ended session: the held requests fail as they came. */
  abstract abandon(): void;
}

/** The session of an app without `withReLogin`: always `active`; `relogin()` throws. */
class SessionWithoutReLogin extends UserTokenSession {
  readonly state: Signal<UserTokenSessionState> = signal<UserTokenSessionState>('active');
  readonly result: Signal<UserTokenReloginResult | null> = signal(null);

  relogin(): Promise<UserTokenReloginResult> {
    throw new Error('ngx-user-token: relogin() needs withReLogin() in provideUserToken().');
  }

  abandon(): void {
    // Nothing is held without withReLogin.
  }
}
