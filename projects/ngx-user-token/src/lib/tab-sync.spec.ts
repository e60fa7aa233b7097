import { DOCUMENT } from '@angular/common';
import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef, PLATFORM_ID, provideZonelessChangeDetection } from '@angular/core';
import { createApplication } from '@angular/platform-browser';
import {
  provideUserToken,
  UserTokenEvent,
  UserTokenEvents,
  userTokenInterceptor,
  UserTokenOptions,
} from 'ngx-user-token';
import { expectOneWithToken, flushUserTokenRejection } from 'ngx-user-token/testing';
import { BroadcastChannel as NodeBroadcastChannel } from 'node:worker_threads';

import { TAB_CHANNEL_FACTORY, TabChannel } from './tab-sync';

const URL = '/api/now/table/incident';

/** A browser tab: its own window and app, and a channel shared with the other tabs. */
async function openTab(options: UserTokenOptions = {}) {
  const window: Record<string, unknown> = { g_ck: 'token-1' };
  const app: ApplicationRef = await createApplication({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withInterceptors([userTokenInterceptor])),
      provideHttpClientTesting(),
      provideUserToken(options),
      { provide: PLATFORM_ID, useValue: 'browser' },
      {
        provide: DOCUMENT,
        useValue: {
          URL: 'https://instance.example.com/',
          baseURI: 'https://instance.example.com/',
          defaultView: window,
        },
      },
      {
        provide: TAB_CHANNEL_FACTORY,
        useValue: (name: string) => new NodeBroadcastChannel(name) as unknown as TabChannel,
      },
    ],
  });
  const events: UserTokenEvent[] = [];
  app.injector.get(UserTokenEvents).events.subscribe((e) => events.push(e));
  return {
    window,
    events,
    app,
    http: app.injector.get(HttpClient),
    httpTesting: app.injector.get(HttpTestingController),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('cross-tab sync', () => {
  const apps: ApplicationRef[] = [];
  afterEach(() => apps.splice(0).forEach((app) => app.destroy()));

  async function twoTabs(options: UserTokenOptions = {}) {
    const a = await openTab(options);
    const b = await openTab(options);
    apps.push(a.app, b.app);
    // Each tab's source starts listening with its first request in scope.
    for (const tab of [a, b]) {
      tab.http.get(URL).subscribe();
      tab.httpTesting.expectOne(URL).flush({});
    }
    return [a, b];
  }

  it('moves the other tabs to the token one tab refreshed, so they send it without a 401', async () => {
    const [a, b] = await twoTabs();
    a.http.get(URL).subscribe();
    flushUserTokenRejection(a.httpTesting.expectOne(URL), { currentToken: 'token-2' });
    expectOneWithToken(a.httpTesting, URL, 'token-2').flush({});
    await tick();

    expect(b.window['g_ck']).toBe('token-2');
    expect(b.events).toEqual([{ type: 'token-refreshed', via: 'other-tab', token: '…(7)' }]);
    b.http.get(URL).subscribe();
    expectOneWithToken(b.httpTesting, URL, 'token-2').flush({});
    expect(a.window['g_ck']).toBe('token-2');
    expect(a.events.filter((e) => e.type === 'token-refreshed')).toHaveLength(1); // no echo
  });

  it('can be switched off', async () => {
    const [a, b] = await twoTabs({ crossTabSync: false });
    a.http.get(URL).subscribe();
    flushUserTokenRejection(a.httpTesting.expectOne(URL), { currentToken: 'token-2' });
    a.httpTesting.expectOne(URL).flush({});
    await tick();
    expect(b.window['g_ck']).toBe('token-1');
  });

  it('ignores messages that carry no token', async () => {
    const [, b] = await twoTabs();
    const stranger = new NodeBroadcastChannel('ngx-user-token:g_ck');
    for (const data of [{ token: '<script>alert(1)</script>' }, { token: 42 }, 'token-9', null]) {
      stranger.postMessage(data);
    }
    await tick();
    stranger.close();
    expect(b.window['g_ck']).toBe('token-1');
    expect(b.events).toEqual([]);
  });
});
