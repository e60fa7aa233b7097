import { httpResource } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { RecordWatcher } from 'ngx-user-token/live';

import { Counters } from './counters';
import { IncidentList } from './incident-list';
import { NewIncident } from './new-incident';
import { TokenPanel } from './token-panel';

interface Me {
  readonly result: { readonly name: string; readonly user_name: string }[];
}

@Component({
  selector: 'app-root',
  imports: [Counters, IncidentList, NewIncident, TokenPanel],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <header>
      <h1>My active incidents</h1>
      <p>
        @if (name(); as name) {
          Logged in as <strong data-testid="user">{{ name }}</strong> ·
        }
        <a href="/logout.do">Log out</a>
      </p>
    </header>
    <app-counters />
    <main>
      <section class="list">
        <app-new-incident />
        <app-incident-list />
      </section>
      <aside class="panel"><app-token-panel /></aside>
    </main>
    <footer>
      <span class="live" data-testid="live-state">Live updates: {{ live.state() }}</span>
      The list is the KB0565021 request, the counters one Aggregate API request each, all sent by
      Angular's <code>HttpClient</code> through <code>ngx-user-token</code>'s interceptor, which
      keeps them within the session's limits.
    </footer>
  `,
})
export class App {
  protected readonly live = inject(RecordWatcher);
  private readonly me = httpResource<Me>(() => ({
    url: '/api/now/table/sys_user',
    params: { sysparm_query: 'sys_id=javascript:gs.getUserID()', sysparm_fields: 'name,user_name' },
  }));
  protected readonly name = computed(() =>
    this.me.hasValue() ? (this.me.value().result[0]?.name ?? null) : null,
  );
}
