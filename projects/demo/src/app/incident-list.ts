import { HttpErrorResponse, httpResource } from '@angular/common/http';
import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  InjectionToken,
  linkedSignal,
  signal,
  untracked,
} from '@angular/core';
import { RecordChange, watchRecords } from 'ngx-user-token/live';

import { ActivityLog } from './activity-log';
import { SessionBanner } from './session-banner';
import {
  Incident,
  IncidentList as IncidentListBody,
  KB_FIELDS,
  KB_QUERY,
  pageLinks,
} from './incidents';

/** Whether the list follows the message bus (the demo's `?live=off` turns it off). */
export const LIVE_UPDATES = new InjectionToken<boolean>('LIVE_UPDATES', { factory: () => true });

/** The fields of a live message the list shows. */
type LiveField = 'short_description' | 'state' | 'sys_updated_on';

/** The KB's `getAllActive`, done with `httpResource`: my active incidents, a page at a time. */
@Component({
  selector: 'app-incident-list',
  imports: [SessionBanner],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="toolbar">
      <label>
        Page size
        <select (change)="setPageSize($any($event.target).value)" data-testid="page-size">
          @for (size of pageSizes; track size) {
            <option [value]="size" [selected]="size === pageSize()">{{ size }}</option>
          }
        </select>
      </label>
      <button
        type="button"
        (click)="incidents.reload()"
        [disabled]="incidents.isLoading()"
        data-testid="reload"
      >
        Reload
      </button>
      @if (incidents.isLoading()) {
        <span role="status" class="loading" data-testid="loading">Loading…</span>
      }
    </div>

    @if (log.sessionExpired()) {
      <app-session-banner />
    } @else if (incidents.error(); as error) {
      <div class="message error" role="alert" data-testid="list-error">
        <strong>Error fetching list.</strong> {{ describe(error) }}
      </div>
    } @else if (incidents.hasValue()) {
      @if (rows().length === 0) {
        <p class="message" data-testid="empty">You have no active incidents.</p>
      } @else {
        <table data-testid="incidents">
          <thead>
            <tr>
              <th>Number</th>
              <th>Short description</th>
              <th>State</th>
              <th>Last update (UTC)</th>
            </tr>
          </thead>
          <tbody>
            @for (incident of rows(); track incident.sys_id) {
              <tr
                [class.changed]="changed().has(incident.sys_id)"
                [attr.data-changed]="changed().has(incident.sys_id) ? '' : null"
                [attr.data-sys-id]="incident.sys_id"
              >
                <td class="number">{{ incident.number }}</td>
                <td>{{ incident.short_description }}</td>
                <td>{{ incident.state }}</td>
                <td class="date">{{ incident.sys_updated_on }}</td>
              </tr>
            }
          </tbody>
        </table>
      }
      <nav class="pager" aria-label="Pages">
        <button type="button" (click)="goTo(links().first)" [disabled]="links().prev === undefined">
          First
        </button>
        <button
          type="button"
          (click)="goTo(links().prev)"
          [disabled]="links().prev === undefined"
          data-testid="prev"
        >
          Previous
        </button>
        <span data-testid="range">{{ range() }}</span>
        <button
          type="button"
          (click)="goTo(links().next)"
          [disabled]="links().next === undefined"
          data-testid="next"
        >
          Next
        </button>
        <button type="button" (click)="goTo(links().last)" [disabled]="links().next === undefined">
          Last
        </button>
      </nav>
    }
  `,
})
export class IncidentList {
  protected readonly log = inject(ActivityLog);
  protected readonly pageSizes = [1, 5, 10, 25, 50];
  protected readonly pageSize = signal(10);
  protected readonly offset = signal(0);

  // Not paused while the session is ended: a reload then waits for the login (withReLogin).
  protected readonly incidents = httpResource<IncidentListBody>(() => {
    this.log.created(); // an incident created here: show it
    return {
      url: '/api/now/table/incident',
      params: {
        sysparm_query: KB_QUERY,
        sysparm_display_value: 'true',
        sysparm_fields: KB_FIELDS,
        sysparm_limit: this.pageSize(),
        sysparm_offset: this.offset(),
      },
    };
  });

  /** The page as loaded, then as the message bus says it changed (until the next load). */
  protected readonly rows = linkedSignal<Incident[]>(() =>
    this.incidents.hasValue() ? this.incidents.value().result : [],
  );
  /** Rows a live message changed since the page loaded: highlighted. */
  protected readonly changed = signal<ReadonlySet<string>>(new Set());
  protected readonly links = computed(() => pageLinks(this.incidents.headers()));
  protected readonly total = computed(() =>
    Number(this.incidents.headers()?.get('X-Total-Count') ?? 0),
  );
  protected readonly range = computed(() => {
    const count = this.rows().length;
    return count === 0
      ? `0 of ${this.total()}`
      : `${this.offset() + 1}–${this.offset() + count} of ${this.total()}`;
  });

  constructor() {
    // Live: another user's change shows in place, a row that leaves the query goes, a new one
    // reloads the page (its place depends on the order).
    if (inject(LIVE_UPDATES)) {
      watchRecords<LiveField>('incident', KB_QUERY).subscribe((change) => this.apply(change));
    }
    // Log each request of the list and how it ended, next to what the library reports.
    effect(() => {
      const status = this.incidents.status();
      untracked(() => {
        if (status === 'loading' || status === 'reloading') {
          this.log.add(
            'request',
            `GET /api/now/table/incident (limit ${this.pageSize()}, offset ${this.offset()})`,
          );
        } else if (status === 'resolved') {
          this.log.add('ok', `→ ${this.incidents.statusCode() ?? 200}: ${this.range()}`);
        } else if (status === 'error') {
          this.log.add('failure', `→ ${this.describe(this.incidents.error())}`);
        }
      });
    });
  }

  private apply(change: RecordChange<LiveField>): void {
    this.log.add('ok', `live: ${change.action} ${change.displayValue}`);
    if (change.action === 'entry') {
      this.incidents.reload();
    } else if (change.action === 'exit') {
      this.rows.update((rows) => rows.filter((row) => row.sys_id !== change.sysId));
    } else {
      const shown = (field: LiveField) => change.record[field]?.display_value;
      this.rows.update((rows) =>
        rows.map((row) =>
          row.sys_id === change.sysId
            ? {
                ...row,
                short_description: shown('short_description') ?? row.short_description,
                state: shown('state') ?? row.state,
                sys_updated_on: shown('sys_updated_on') ?? row.sys_updated_on,
              }
            : row,
        ),
      );
    }
    this.changed.update((ids) => new Set([...ids, change.sysId]));
  }

  protected setPageSize(value: string): void {
    this.pageSize.set(Number(value));
    this.offset.set(0);
  }

  protected goTo(offset: number | undefined): void {
    if (offset !== undefined) {
      this.offset.set(offset);
    }
  }

  protected describe(error: unknown): string {
    if (error instanceof HttpErrorResponse) {
      const message = (error.error as { error?: { message?: string } } | null)?.error?.message;
      if (error.status === 0) {
        // The library's answer to a redirect the session token must not follow (its README,
        // "Redirects"): the token stayed on the instance.
        return error.statusText === 'Redirect not followed'
          ? 'The instance redirected the request elsewhere: Redirect not followed.'
          : 'The instance could not be reached.';
      }
      return `The instance answered ${error.status}${message ? ` “${message}”` : ''}.`;
    }
    return 'Something went wrong.';
  }
}
