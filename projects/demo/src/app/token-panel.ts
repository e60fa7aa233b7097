import { ChangeDetectionStrategy, Component, inject } from '@angular/core';

import { ActivityLog } from './activity-log';
import { MockControls } from './mock-controls';

/** Makes the invisible visible: the token in use (masked) and what the library did with it. */
@Component({
  selector: 'app-token-panel',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2>Session token</h2>
    <p>
      Sent as <code>X-UserToken</code>: <code data-testid="token">{{ log.maskedToken() }}</code>
    </p>

    <p data-testid="queued">
      Waited in the browser: {{ log.queued() }} requests, at most {{ log.mostWaiting() }} at once
      (the instance runs a session's requests two at a time and lets ten wait; a save does not wait
      behind the page's reads).
    </p>

    @if (controls.available()) {
      <div class="controls" data-testid="controls">
        <p class="hint">
          The mock instance runs in dev mode: make the token go stale, then reload the list.
        </p>
        <button type="button" (click)="controls.rotateToken()" data-testid="rotate">
          Rotate the server's token
        </button>
        <button
          type="button"
          (click)="controls.toggleTokenResponseHeader()"
          data-testid="toggle-header"
        >
          Turn X-UserToken-Response {{ controls.tokenResponseHeader() ? 'off' : 'on' }}
        </button>
        <button type="button" (click)="controls.endSession()" data-testid="end-session">
          End the session
        </button>
      </div>
    }

    <h2>What happened</h2>
    <ol class="log" data-testid="log" aria-live="polite">
      @for (entry of log.entries(); track entry.id) {
        <li [class]="entry.kind">
          <time>{{ entry.time }}</time> {{ entry.text }}
        </li>
      } @empty {
        <li>Nothing yet.</li>
      }
    </ol>
  `,
})
export class TokenPanel {
  protected readonly log = inject(ActivityLog);
  protected readonly controls = inject(MockControls);

  constructor() {
    void this.controls.load();
  }
}
