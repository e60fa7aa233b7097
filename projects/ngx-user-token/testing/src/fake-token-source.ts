import { Injectable } from '@angular/core';
import { defer, Observable, of, Subject, switchMap, take, throwError, timer } from 'rxjs';
import { UserTokenRejection, UserTokenSource } from 'ngx-user-token';

/**
 * A {@link UserTokenSource} for tests. It models a page and a server: `current()` is the page's
 * token, `rotate()` changes the server's token (the page's goes stale), and `refresh()` hands out
 * the server's token — unless told to fail, wait or hold. It counts refreshes and records each
 * rejection it was asked to recover from.
 *
 * @example
 * ```ts
 * const tokens = TestBed.inject(FakeUserTokenSource);
 * tokens.rotate('token-2');
 * // ...a request 401s, the interceptor refreshes...
 * expect(tokens.refreshCount).toBe(1);
 * ```
 */
@Injectable()
export class FakeUserTokenSource extends UserTokenSource {
  private pageToken: string | null = 'token-1';
  private serverToken: string | null = 'token-1';
  private generation = 1;
  private failures: unknown[] = [];
  private delayMs = 0;
  private held: Subject<void> | null = null;

  /** Every rejection `refresh()` was called with, oldest first. */
  readonly rejections: UserTokenRejection[] = [];

  /** How many times `refresh()` was called. */
  get refreshCount(): number {
    return this.rejections.length;
  }

  /** The page's token. */
  current(): string | null {
    return this.pageToken;
  }

  /** Sets the token on both the page and the server (as after a fresh page load). */
  setToken(token: string | null): void {
    this.pageToken = token;
    this.serverToken = token;
  }

  /** Takes a token the library learned by other means (a re-login): the page's and the server's. */
  override adopt(token: string): void {
    this.setToken(token);
  }

  /**
   * Rotates the server's token, leaving the page's stale, and returns the new token
   * (`token-2`, `token-3`, … unless given).
   */
  rotate(next?: string): string {
    this.generation++;
    this.serverToken = next ?? `token-${this.generation}`;
    return this.serverToken;
  }

  /** The next `refresh()` fails with `error` (calls queue up: one failure per call). */
  failNextRefresh(error: unknown = new Error('refresh failed')): void {
    this.failures.push(error);
  }

  /** Every `refresh()` answers after `ms` milliseconds (0 to answer at once). */
  delayRefresh(ms: number): void {
    this.delayMs = ms;
  }

  /**
   * Refreshes wait until the returned function is called; use it to observe requests while a
   * refresh is in flight. Calling `hold()` again replaces the previous hold.
   */
  hold(): () => void {
    const held = new Subject<void>();
    this.held = held;
    return () => {
      if (this.held === held) {
        this.held = null;
      }
      held.next();
      held.complete();
    };
  }

  /** The server's token, after any configured failure, delay or hold. Updates the page's token. */
  refresh(rejection: UserTokenRejection): Observable<string> {
    this.rejections.push(rejection);
    const failure = this.failures.length ? this.failures.shift() : undefined;
    const answer = defer(() => {
      if (failure !== undefined) {
        return throwError(() => failure);
      }
      if (this.serverToken === null) {
        return throwError(() => new Error('the fake server has no token'));
      }
      this.pageToken = this.serverToken;
      return of(this.serverToken);
    });
    const delayed = this.delayMs > 0 ? timer(this.delayMs).pipe(switchMap(() => answer)) : answer;
    const held = this.held;
    return held
      ? held.pipe(
          take(1),
          switchMap(() => delayed),
        )
      : delayed;
  }
}
