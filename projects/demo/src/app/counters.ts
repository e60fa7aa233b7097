import { httpResource } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed } from '@angular/core';

/** The Aggregate API's answer to `sysparm_count=true`. */
interface Count {
  readonly result: { readonly stats: { readonly count: string } };
}

const STATES = [
  ['1', 'New'],
  ['2', 'In Progress'],
  ['3', 'On Hold'],
  ['6', 'Resolved'],
  ['7', 'Closed'],
  ['8', 'Canceled'],
] as const;
const PRIORITIES = [
  ['1', 'Critical'],
  ['2', 'High'],
  ['3', 'Moderate'],
  ['4', 'Low'],
  ['5', 'Planning'],
] as const;

/**
 * One Aggregate API request per incident state and per priority: eleven at once when the page
 * opens, as a dashboard's widgets send them — a burst that one session on an instance runs two at
 * a time.
 */
@Component({
  selector: 'app-counters',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <ul class="counters" data-testid="counters">
      <li>
        <button type="button" (click)="refresh()" data-testid="refresh-counters">Refresh</button>
      </li>
      @for (counter of counters; track counter.id) {
        <li>
          <span class="label">{{ counter.label }}</span>
          <strong [attr.data-testid]="'counter-' + counter.id">{{ counter.value() }}</strong>
        </li>
      }
    </ul>
  `,
})
export class Counters {
  protected readonly counters = [
    ...STATES.map(([value, label]) => counter(`state-${value}`, label, `state=${value}`)),
    ...PRIORITIES.map(([value, label]) =>
      counter(`priority-${value}`, `P${value} ${label}`, `active=true^priority=${value}`),
    ),
  ];

  protected refresh(): void {
    this.counters.forEach((counter) => counter.reload());
  }
}

function counter(id: string, label: string, query: string) {
  const count = httpResource<Count>(() => ({
    url: '/api/now/stats/incident',
    params: { sysparm_count: 'true', sysparm_query: query },
  }));
  return {
    id,
    label,
    reload: () => count.reload(),
    // '…' while it loads; '—' when the answer carried no count (an ignored request) or failed.
    value: computed(() =>
      count.isLoading() ? '…' : (count.hasValue() && count.value()?.result?.stats.count) || '—',
    ),
  };
}
