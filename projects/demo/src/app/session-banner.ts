import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { UserTokenSession } from 'ngx-user-token';

/** What the user sees when the session ends: what is kept, and the way back in. */
@Component({
  selector: 'app-session-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @switch (session.state()) {
      @case ('expired') {
        <div class="message error" role="alert" data-testid="session-expired">
          <strong>Your session has ended.</strong>
          @switch (session.result()) {
            @case ('other-user') {
              Another user logged in: nothing you had started was sent. Reload the page to work as
              that user, or log in again as yourself.
            }
            @case ('closed') {
              The login window closed before you logged in; what was waiting was not sent.
            }
            @case ('blocked') {
              The browser blocked the login window.
              <button type="button" (click)="logIn('tab')" data-testid="relogin-tab">
                Log in in a new tab
              </button>
            }
            @default {
              What you were doing is kept and waits for you.
            }
          }
          <button type="button" (click)="logIn('popup')" data-testid="relogin">Log in again</button>
        </div>
      }
      @case ('logging-in') {
        <div class="message" role="status" data-testid="logging-in">
          Log in in the window that opened; what you were doing goes on afterwards.
        </div>
      }
    }
  `,
})
export class SessionBanner {
  protected readonly session = inject(UserTokenSession);

  /** From the button's click: browsers block windows opened otherwise. */
  protected logIn(mode: 'popup' | 'tab'): void {
    void this.session.relogin({ mode });
  }
}
