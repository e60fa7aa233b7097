import { computed, DestroyRef, inject, Injectable, signal } from '@angular/core';
import {
  maskUserToken,
  UserTokenEvent,
  UserTokenEvents,
  UserTokenSession,
  UserTokenSource,
} from 'ngx-user-token';

import { TOKEN_PAGE } from '../environments/token-page';

export interface LogEntry {
  readonly id: number;
  readonly time: string;
  readonly kind: 'request' | 'ok' | 'rejected' | 'refresh' | 'retry' | 'failure';
  readonly text: string;
}

const VIA: Record<string, string> = {
  'response-header': 'from the 401’s X-UserToken-Response header (no extra round trip)',
  'token-url': `from the token page ${TOKEN_PAGE}`,
  global: 'from window.g_ck, changed by another script',
  'other-tab': 'by another tab of this session',
  relogin: 'by logging in again',
};

/**
 * What the library did, as a list a person can read, fed by its events; plus the current token
 * (masked) and whether the session is gone.
 */
@Injectable({ providedIn: 'root' })
export class ActivityLog {
  private readonly tokens = inject(UserTokenSource);
  private nextId = 1;

  readonly entries = signal<LogEntry[]>([]);
  readonly maskedToken = signal(maskUserToken(this.tokens.current()));
  /** Whether the session has ended (and no login brought it back yet). */
  private readonly session = inject(UserTokenSession);
  readonly sessionExpired = computed(() => this.session.state() !== 'active');
  /** Counts incidents created here, so the list shows them. */
  readonly created = signal(0);
  /** Requests that waited in the browser for room among those on the wire, and the most at once. */
  readonly queued = signal(0);
  readonly mostWaiting = signal(0);

  constructor() {
    const subscription = inject(UserTokenEvents).events.subscribe((event) => this.onEvent(event));
    inject(DestroyRef).onDestroy(() => subscription.unsubscribe());
  }

  add(kind: LogEntry['kind'], text: string): void {
    const entry = { id: this.nextId++, time: new Date().toLocaleTimeString(), kind, text };
    this.entries.update((entries) => [entry, ...entries].slice(0, 50));
  }

  private onEvent(event: UserTokenEvent): void {
    switch (event.type) {
      case 'token-rejected':
        this.add(
          'rejected',
          `${event.method} ${shortUrl(event.url)} → ${event.status}: token rejected`,
        );
        break;
      case 'refresh-started':
        this.add('refresh', 'refreshing the token (one refresh for every request that failed)');
        break;
      case 'token-refreshed':
        this.add(
          'refresh',
          `token refreshed ${VIA[event.via] ?? `(${event.via})`}: ${event.token}`,
        );
        break;
      case 'request-retried':
        this.add('retry', `${event.method} ${shortUrl(event.url)} retried once with the new token`);
        break;
      case 'refresh-failed':
        this.add('failure', `token refresh failed (${event.error.reason})`);
        break;
      case 'token-withheld':
        this.add(
          'failure',
          `${event.method} ${shortUrl(event.url)}: token withheld from another origin`,
        );
        break;
      case 'retry-skipped':
        this.add(
          'failure',
          `${event.method} ${shortUrl(event.url)} not retried: the instance forbids a resubmit`,
        );
        break;
      case 'request-queued':
        this.queued.update((n) => n + 1);
        this.mostWaiting.update((most) => Math.max(most, event.waiting));
        return;
      case 'request-ignored':
        this.add(
          event.retried ? 'retry' : 'failure',
          `${event.method} ${shortUrl(event.url)} ignored by the instance (its session's queue was full)` +
            (event.retried ? `: sent again in ${event.wait} ms` : ''),
        );
        break;
      case 'rate-limited':
        this.add(
          event.retried ? 'retry' : 'failure',
          `${event.method} ${shortUrl(event.url)} rate limited (429)` +
            (event.retried ? `: sent again in ${event.wait} ms` : ''),
        );
        break;
      case 'session-expired':
        this.add(
          'failure',
          event.error.reason === 'login-page'
            ? 'session ended (a login page came instead of JSON): requests wait for a login'
            : 'session ended: requests wait for a login',
        );
        break;
      case 'relogin-ended':
        this.add(
          event.result === 'logged-in' ? 'retry' : 'failure',
          event.result === 'logged-in'
            ? `logged in again: ${event.held} held requests sent once more`
            : `no login (${event.result}): ${event.held} held requests failed`,
        );
        break;
    }
    this.maskedToken.set(maskUserToken(this.tokens.current()));
  }
}

function shortUrl(url: string | null): string {
  return url ? url.replace(/^https?:\/\/[^/]+/, '').split('?')[0] : '(request)';
}
