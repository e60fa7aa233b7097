import type { LoginCompleteMessage } from 'ngx-user-token';

/** A stand-in for the window `UserTokenSession.relogin()` opens. */
export interface FakeLoginWindow {
  /** What the app asked to open. */
  readonly url: string;
  /** `'ngx-user-token-login'` for a popup, `'_blank'` for a tab. */
  readonly target: string;
  closed: boolean;
  close(): void;
  focus(): void;
}

/** Controls the login windows of a test: see {@link fakeLoginWindows}. */
export interface FakeLoginWindows {
  /** Every window opened since, oldest first. */
  readonly opened: readonly FakeLoginWindow[];
  /** The next `open` is refused, as a popup blocker refuses it. */
  blockNext(): void;
  /**
   * The login-complete page of the last window speaks: `user` logged in and the new session's
   * token is `token` (as the page posts it to its opener). Pass a different `user` to script
   * another user logging in.
   */
  logIn(token: string, user: string): void;
  /** The user closes the last window without logging in. */
  closeWindow(): void;
  /** Puts the real `window.open` back. */
  restore(): void;
}

/**
 * Scripts a re-login (`withReLogin`) in a test: replaces `window.open` in the test's window (jsdom)
 * so that `relogin()` opens a {@link FakeLoginWindow}, and lets the test log in — as the same user
 * or another — or close the window. Use it with the page's user set where `withReLogin` reads it
 * (its `user` option, or `window.NOW.user_id`).
 *
 * @example
 * ```ts
 * const logins = fakeLoginWindows();
 * // ...a request gets a 401 with X-SessionLoggedIn: false (flushUserTokenRejection)...
 * const result = TestBed.inject(UserTokenSession).relogin();
 * logins.logIn('token-2', 'user-sys-id');
 * expect(await result).toBe('logged-in');
 * logins.restore();
 * ```
 */
export function fakeLoginWindows(win: Window = window): FakeLoginWindows {
  const real = win.open;
  const opened: FakeLoginWindow[] = [];
  let block = false;
  win.open = ((url?: string | URL, target?: string) => {
    if (block) {
      block = false;
      return null;
    }
    const login: FakeLoginWindow = {
      url: String(url),
      target: target ?? '',
      closed: false,
      close() {
        this.closed = true;
      },
      focus() {
        /* nothing to focus in a test */
      },
    };
    opened.push(login);
    return login as unknown as Window;
  }) as typeof win.open;
  const last = () => {
    const login = opened[opened.length - 1];
    if (!login) {
      throw new Error('fakeLoginWindows: no login window was opened (call relogin() first).');
    }
    return login;
  };
  return {
    opened,
    blockNext: () => {
      block = true;
    },
    logIn: (token, user) => {
      const data: LoginCompleteMessage = { type: 'ngx-user-token:login', token, user };
      const source = last();
      win.dispatchEvent(
        new MessageEvent('message', {
          data,
          origin: win.location.origin,
          source: source as unknown as Window,
        }),
      );
      source.closed = true;
    },
    closeWindow: () => {
      last().closed = true;
    },
    restore: () => {
      win.open = real;
    },
  };
}
