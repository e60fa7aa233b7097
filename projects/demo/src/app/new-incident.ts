import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { PageUser, UserTokenRefreshError, UserTokenSession } from 'ngx-user-token';

import { ActivityLog } from './activity-log';

interface Created {
  readonly result: { readonly number: string; readonly sys_id: string };
}

/**
 * A write that must survive the session's end: with `withReLogin` the create is held while the
 * user logs in again, and goes once afterwards; the form keeps its text meanwhile.
 */
@Component({
  selector: 'app-new-incident',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <form class="new-incident" (submit)="create($event)" data-testid="new-incident">
      <h2>New incident</h2>
      <label>
        Short description
        <input
          name="short_description"
          [value]="text()"
          (input)="text.set($any($event.target).value)"
          data-testid="short-description"
        />
      </label>
      <label>
        Urgency
        <select (change)="urgency.set($any($event.target).value)" data-testid="urgency">
          @for (level of urgencies; track level[0]) {
            <option [value]="level[0]" [selected]="level[0] === urgency()">{{ level[1] }}</option>
          }
        </select>
      </label>
      <button type="submit" [disabled]="saving() || !text().trim()" data-testid="create">
        Create
      </button>
      @if (saving()) {
        <span role="status" data-testid="saving">
          {{ session.state() === 'active' ? 'Saving…' : 'Waiting for you to log in again…' }}
        </span>
      } @else if (saved(); as number) {
        <span role="status" class="ok" data-testid="saved">Saved as {{ number }}.</span>
      } @else if (failed(); as message) {
        <span role="alert" class="error" data-testid="create-error">{{ message }}</span>
      }
    </form>
  `,
})
export class NewIncident {
  private readonly http = inject(HttpClient);
  private readonly log = inject(ActivityLog);
  protected readonly session = inject(UserTokenSession);
  /** Who the page belongs to: the incident is theirs (and only ever created as them). */
  private readonly user = inject(PageUser).user;
  protected readonly urgencies = [
    ['1', '1 - High'],
    ['2', '2 - Medium'],
    ['3', '3 - Low'],
  ] as const;
  protected readonly text = signal('');
  protected readonly urgency = signal<string>('2');
  protected readonly saving = signal(false);
  protected readonly saved = signal<string | null>(null);
  protected readonly failed = signal<string | null>(null);

  protected create(event: Event): void {
    event.preventDefault();
    this.saving.set(true);
    this.saved.set(null);
    this.failed.set(null);
    this.http
      .post<Created>('/api/now/table/incident', {
        short_description: this.text().trim(),
        urgency: this.urgency(),
        caller_id: this.user()?.sysId ?? '',
      })
      .subscribe({
        next: (created) => {
          this.saving.set(false);
          this.saved.set(created.result.number);
          this.text.set('');
          this.log.add('ok', `created ${created.result.number}`);
          this.log.created.update((n) => n + 1);
        },
        error: (error: unknown) => {
          this.saving.set(false);
          this.failed.set(failure(error));
        },
      });
  }
}

function failure(error: unknown): string {
  if (error instanceof HttpErrorResponse && error.status === 401) {
    const reason = error.error instanceof UserTokenRefreshError ? error.error.reason : null;
    return reason === 'other-user'
      ? 'Not saved: another user logged in. Reload the page to work as that user.'
      : 'Not saved: your session has ended. Log in again and save once more.';
  }
  if (error instanceof HttpErrorResponse && error.statusText === 'Redirect not followed') {
    return 'Not saved: the instance redirected it elsewhere (Redirect not followed).';
  }
  return error instanceof HttpErrorResponse
    ? `Not saved: the instance answered ${error.status}.`
    : 'Not saved: something went wrong.';
}
