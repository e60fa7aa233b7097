import { HttpClient, HttpContext } from '@angular/common/http';
import { inject, Injectable, signal } from '@angular/core';
import { SKIP_USER_TOKEN } from 'ngx-user-token';
import { firstValueFrom } from 'rxjs';

import { ActivityLog } from './activity-log';

interface MockState {
  readonly dev: boolean;
  readonly tokenResponseHeader: boolean;
}

/**
 * The mock instance's control API (`/mock/...`), present only when it runs in dev mode: it makes
 * the token go stale on purpose so recovery can be watched. These calls need no token.
 */
@Injectable({ providedIn: 'root' })
export class MockControls {
  private readonly http = inject(HttpClient);
  private readonly log = inject(ActivityLog);
  private readonly context = new HttpContext().set(SKIP_USER_TOKEN, true);

  readonly available = signal(false);
  readonly tokenResponseHeader = signal(true);

  async load(): Promise<void> {
    try {
      const state = await firstValueFrom(
        this.http.get<MockState>('/mock/state', { context: this.context }),
      );
      this.available.set(state.dev === true);
      this.tokenResponseHeader.set(state.tokenResponseHeader);
    } catch {
      this.available.set(false);
    }
  }

  async rotateToken(): Promise<void> {
    await this.post('/mock/rotate-token', null);
    this.log.add('request', 'server: session token rotated (the page’s g_ck is now stale)');
  }

  async toggleTokenResponseHeader(): Promise<void> {
    const on = !this.tokenResponseHeader();
    await this.post('/mock/config', { tokenResponseHeader: on });
    this.tokenResponseHeader.set(on);
    this.log.add('request', `server: X-UserToken-Response header ${on ? 'on' : 'off'}`);
  }

  async endSession(): Promise<void> {
    await this.post('/mock/end-session', null);
    this.log.add('request', 'server: session ended (the user must log in again)');
  }

  private post(url: string, body: unknown): Promise<unknown> {
    return firstValueFrom(this.http.post(url, body, { context: this.context }));
  }
}
