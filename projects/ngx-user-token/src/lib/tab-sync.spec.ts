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

/**
 * Waits until `done()` holds: the messages between tabs arrive asynchronously, and on a loaded
 * machine late. Gives up after about 3 s, within the test's time: the test then fails on what it
 * expected.
 */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A turn of the event loop, for a tab that cannot receive anything: nothing may change. */
const turn = () => new Promise((resolve) => setTimeout(resolve, 30));

/** The tokens a tab adopted from the other tabs, in order. */
const fromOtherTabs = (events: UserTokenEvent[]) =>
  events.flatMap((e) => (e.type === 'token-refreshed' && e.via === 'other-tab' ? [e.token] : []));

describe('cross-tab sync', () => {
  const apps: ApplicationRef[] = [];
  /** Channels the tests open as other pages would; closed even when a test fails. */
  const strangers: NodeBroadcastChannel[] = [];
  const stranger = () => {
    const channel = new NodeBroadcastChannel('ngx-user-token:g_ck');
    strangers.push(channel);
    return channel;
  };
  afterEach(() => {
    apps.splice(0).forEach((app) => app.destroy());
    strangers.splice(0).forEach((channel) => channel.close());
  });

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
    await until(() => b.window['g_ck'] === 'token-2');

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
    await turn(); // b has no channel: nothing can reach it, now or later
    expect(b.window['g_ck']).toBe('token-1');
  });

  it('ignores messages that carry no token', async () => {
    const [, b] = await twoTabs();
    const other = stranger();
    const at = Date.now() + 1000;
    const messages = [
      { token: '<script>alert(1)</script>', at },
      { token: 42, at },
      'token-9',
      null,
    ];
    for (const data of [...messages, { token: 'token-9' }]) {
      other.postMessage(data);
    }
    // Last, a valid announcement: one channel's messages arrive in order, so once it is taken
    // every message above has been read.
    other.postMessage({ token: 'token-last', at: Date.now() + 2000 });
    await until(() => b.window['g_ck'] === 'token-last');
    expect(fromOtherTabs(b.events)).toEqual(['…(10)']); // token-last only
    expect(b.events).toHaveLength(1);
  });

  it('tells the other tabs at startup when it came with a new token (the user logged in again)', async () => {
    const [a] = await twoTabs();
    // A third tab is opened after a new login: its page was rendered with the new session's token.
    const c = await openTab({}, { g_ck: 'token-new' });
    apps.push(c.app);
    c.http.get(URL).subscribe(); // its source starts with its first request in scope
    expectOneWithToken(c.httpTesting, URL, 'token-new').flush({});
    await until(() => a.window['g_ck'] === 'token-new');
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
    // Then the restored tab refreshes its token and announces that: its messages arrive in
    // order, so once the other tab has this one, it has not had any about 'token-old'.
    restored.http.get(URL).subscribe();
    flushUserTokenRejection(restored.httpTesting.expectOne(URL), { currentToken: 'token-2' });
    restored.httpTesting.expectOne(URL).flush({});
    await until(() => a.window['g_ck'] === 'token-2');
    expect(fromOtherTabs(a.events)).toEqual(['…(7)']);
  });

  it('ignores a token older than its own', async () => {
    const [, b] = await twoTabs();
    const other = stranger();
    other.postMessage({ token: 'token-0', at: Date.now() - 60_000 });
    other.postMessage({ token: 'token-9', at: Date.now() + 1000 });
    await until(() => b.window['g_ck'] === 'token-9');
    expect(b.window['g_ck']).toBe('token-9');
    expect(fromOtherTabs(b.events)).toEqual(['…(7)']); // token-0 was never taken
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
      const late = stranger();
      late.postMessage({ token: 'token-1', at: stamp });
      // A newer announcement after it, from the same channel: once it is taken, the stale one
      // has been read (one channel's messages arrive in order).
      late.postMessage({ token: 'token-3', at: stamp + 1000 });
      await until(() => a.window['g_ck'] === 'token-3');
    } finally {
      dateNow.mockRestore();
    }
    // token-2 (its own refresh), then token-3; never the stale token-1.
    expect(
      a.events.flatMap((e) => (e.type === 'token-refreshed' ? [`${e.via} ${e.token}`] : [])),
    ).toEqual([expect.stringMatching(/^response-header /), 'other-tab …(7)']);
    a.http.get(URL).subscribe();
    expectOneWithToken(a.httpTesting, URL, 'token-3').flush({});
  });
});
