// The app the size benchmark builds three times (`setup*.ts` swapped in by angular.json's
// `bench-app` configurations): the same component and HttpClient call, with no ngx-user-token,
// with its minimal setup, and with every feature on. The difference is what an app pays.
import { HttpClient } from '@angular/common/http';
import { Component, inject, signal } from '@angular/core';
import { bootstrapApplication } from '@angular/platform-browser';

import { providers } from './setup';

@Component({ selector: 'app-root', template: '{{ count() }}' })
class App {
  readonly count = signal(0);

  constructor() {
    inject(HttpClient)
      .get<{ result: unknown[] }>('/api/now/table/incident')
      .subscribe((r) => this.count.set(r.result.length));
  }
}

bootstrapApplication(App, { providers }).catch((error: unknown) => console.error(error));
