// ngx-user-token's minimal setup plus a record watcher (ngx-user-token/live), watching a list.
import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { inject, provideAppInitializer, provideZonelessChangeDetection } from '@angular/core';
import { userTokenInterceptor } from 'ngx-user-token';
import { provideRecordWatcher, RecordWatcher } from 'ngx-user-token/live';

export const providers = [
  provideZonelessChangeDetection(),
  provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor])),
  provideRecordWatcher(),
  provideAppInitializer(() => {
    inject(RecordWatcher)
      .watch('incident', 'active=true')
      .subscribe((change) => console.log(change.sysId));
  }),
];
