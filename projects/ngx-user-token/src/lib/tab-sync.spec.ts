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
  withCrossTabSync,
  withUserTokenOptions,
} from 'ngx-user-token';
import { expectOneWithToken, flushUserTokenRejection } from 'ngx-user-token/testing';
import { BroadcastChannel as NodeBroadcastChannel } from 'node:worker_threads';

import { TAB_CHANNEL_FACTORY, TabChannel } from './tab-sync';

const URL = '/api/now/table/incident';

/** A browser tab: its own window and app, and a channel shared with the other tabs. */
async function openTab(
  options: UserTokenOptions & { crossTabSync?: boolean } = {},
  page: Record<string, unknown> = {},
) {
  const { crossTabSync = true, ...rest } = options;
  const window: Record<string, unknown> = { g_ck: 'token-1', ...page };
  const app: ApplicationRef = await createApplication({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withInterceptors([userTokenInterceptor])),
      provideHttpClientTesting(),
      provideUserToken(withUserTokenOptions(rest), ...(crossTabSync ? [withCrossTabSync()] : [])),
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

  async function twoTabs(options: UserTokenOptions & { crossTabSync?: boolean } = {}) {
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

  it('is off without withCrossTabSync()', async () => {
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
    const at = Date.now() + 1000;
    const messages = [
      { token: '<script>alert(1)</script>', at },
      { token: 42, at },
      'token-9',
      null,
    ];
    for (const data of [...messages, { token: 'token-9' }]) {
      stranger.postMessage(data);
    }
    await tick();
    stranger.close();
    expect(b.window['g_ck']).toBe('token-1');
    expect(b.events).toEqual([]);
  });

  it('tells the other tabs at startup when it came with a new token (the user logged in again)', async () => {
    const [a] = await twoTabs();
    // A third tab is opened after a new login: its page was rendered with the new session's token.
    const c = await openTab({}, { g_ck: 'token-new' });
    apps.push(c.app);
    c.http.get(URL).subscribe(); // its source starts with its first request in scope
    expectOneWithToken(c.httpTesting, URL, 'token-new').flush({});
    await tick();
    expect(a.window['g_ck']).toBe('token-new');
    a.http.get(URL).subscribe();
    expectOneWithToken(a.httpTesting, URL, 'token-new').flush({}); // no 401 first
  });

  it('keeps a page restored from history quiet: its token may be old', async () => {
    const [a] = await twoTabs();
    const restored = await openTab(
      {},
      {
        g_ck: 'token-old',
        performance: { timeOrigin: Date.now(), getEntriesByType: () => [{ type: 'back_forward' }] },
      },
    );
    apps.push(restored.app);
    restored.http.get(URL).subscribe();
    restored.httpTesting.expectOne(URL).flush({});
    await tick();
    expect(a.window['g_ck']).toBe('token-1');
  });

  it('ignores a token older than its own', async () => {
    const [, b] = await twoTabs();
    const stranger = new NodeBroadcastChannel('ngx-user-token:g_ck');
    stranger.postMessage({ token: 'token-0', at: Date.now() - 60_000 });
    await tick();
    stranger.postMessage({ token: 'token-9', at: Date.now() });
    await tick();
    stranger.close();
    expect(b.window['g_ck']).toBe('token-9');
  });

  it('keeps its new token when a stale announcement stamped in the same millisecond arrives late', async () => {
    const [a] = await twoTabs();
    // Another tab's startup announcement, stamped by a whole-millisecond clock in the millisecond
    // in which this tab is about to adopt a new token, and delivered after that adoption.
    const stamp = Math.floor(performance.timeOrigin + performance.now());
    const dateNow = jest.spyOn(Date, 'now').mockReturnValue(stamp);
    try {
      a.http.get(URL).subscribe();
      flushUserTokenRejection(a.httpTesting.expectOne(URL), { currentToken: 'token-2' });
      expectOneWithToken(a.httpTesting, URL, 'token-2').flush({});
      const late = new NodeBroadcastChannel('ngx-user-token:g_ck');
      late.postMessage({ token: 'token-1', at: stamp });
      await tick();
      late.close();
    } finally {
      dateNow.mockRestore();
    }
    expect(a.window['g_ck']).toBe('token-2');
    a.http.get(URL).subscribe();
    expectOneWithToken(a.httpTesting, URL, 'token-2').flush({});
  });
});
