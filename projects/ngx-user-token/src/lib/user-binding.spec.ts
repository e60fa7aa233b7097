// A token belongs to one user: the page's. Every token the library would send a request again
// with, or adopt, is first proven to be that user's session (one question to the instance per new
// token, shared); another user's is never used, and the page's session ends with `other-user`.
import { DOCUMENT } from '@angular/common';
import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  HttpTestingController,
  provideHttpClientTesting,
  TestRequest,
} from '@angular/common/http/testing';
import { ApplicationRef, PLATFORM_ID, provideZonelessChangeDetection } from '@angular/core';
import { createApplication } from '@angular/platform-browser';
import {
  PageUser,
  provideUserToken,
  SessionExpiredEvent,
  UserTokenEvent,
  UserTokenEvents,
  userTokenInterceptor,
  UserTokenSession,
  withCrossTabSync,
  withReLogin,
  withUserTokenOptions,
} from 'ngx-user-token';
import {
  expectOneWithToken,
  flushPageUserQuestion,
  flushUserTokenRejection,
} from 'ngx-user-token/testing';
import { BroadcastChannel as NodeBroadcastChannel } from 'node:worker_threads';
import { filter, firstValueFrom } from 'rxjs';

import { watch } from '../../test/harness';
import { TAB_CHANNEL_FACTORY, TabChannel } from './tab-sync';

const ORIGIN = 'https://instance.example.com';
const URL = '/api/now/table/incident';
const ABEL = { sysId: '62826bf03710200044e0bfc8bcbe5df1', userName: 'abel.tuter' };
const BETH = { sysId: 'a8f98bb0eb32010045e1a5115206fe3a', userName: 'beth.anglin' };

const apps: ApplicationRef[] = [];
afterEach(() => apps.splice(0).forEach((app) => app.destroy()));

/** A page of the instance, rendered for `user` (as a portal page names it), with `token`. */
async function openPage(
  globals: Record<string, unknown>,
  features: Parameters<typeof provideUserToken> = [],
) {
  const window: Record<string, unknown> = {
    g_ck: 'token-abel-1',
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
    ...globals,
  };
  const app = await createApplication({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withInterceptors([userTokenInterceptor])),
      provideHttpClientTesting(),
      provideUserToken(...features),
      { provide: PLATFORM_ID, useValue: 'browser' },
      {
        provide: DOCUMENT,
        useValue: {
          URL: `${ORIGIN}/x_acme_app.do`,
          baseURI: `${ORIGIN}/x_acme_app.do`,
          location: { origin: ORIGIN },
          defaultView: window,
        },
      },
      {
        provide: TAB_CHANNEL_FACTORY,
        useValue: (name: string) => new NodeBroadcastChannel(name) as unknown as TabChannel,
      },
    ],
  });
  apps.push(app);
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

const portalPage = (user: typeof ABEL) => ({
  NOW: { user_id: user.sysId, user_name: user.userName },
});

/** The question "whose session is this token?" the library sends, if any. */
function userQuestions(httpTesting: HttpController): TestRequest[] {
  return httpTesting.match((r) => r.url.includes('/api/now/table/sys_user'));
}
type HttpController = HttpTestingController;

const expiredReasons = (events: UserTokenEvent[]) =>
  events
    .filter((e): e is SessionExpiredEvent => e.type === 'session-expired')
    .map((e) => e.error.reason);

describe('the page’s user', () => {
  it('is read from a portal page’s NOW globals, or a classic page’s g_user, with no request', async () => {
    const portal = await openPage(portalPage(ABEL));
    expect(portal.app.injector.get(PageUser).user()).toEqual(ABEL);
    const classic = await openPage({ g_user: { userID: BETH.sysId, userName: BETH.userName } });
    expect(classic.app.injector.get(PageUser).user()).toEqual(BETH);
    for (const page of [portal, classic]) {
      expect(userQuestions(page.httpTesting)).toEqual([]);
    }
  });

  it('is asked once from the instance, with the page’s token, when the page names none', async () => {
    const { app, httpTesting } = await openPage({});
    const user = app.injector.get(PageUser);
    expect(user.user()).toBeNull();
    app.injector.get(PageUser);
    const question = flushPageUserQuestion(httpTesting, ABEL);
    expect(userQuestions(httpTesting)).toEqual([]);
    expect(question.request.url).toBe(
      `${ORIGIN}/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()` +
        '&sysparm_fields=sys_id,user_name&sysparm_limit=1',
    );
    expect(question.request.headers.get('X-UserToken')).toBe('token-abel-1');
    expect(user.user()).toEqual(ABEL);
  });

  it('asks without X-No-Response-Challenge when the app turned it off, with it by default', async () => {
    const quiet = await openPage({});
    quiet.app.injector.get(PageUser);
    expect(
      flushPageUserQuestion(quiet.httpTesting, ABEL).request.headers.get('X-No-Response-Challenge'),
    ).toBe('true');
    const loud = await openPage({}, [withUserTokenOptions({ noResponseChallenge: false })]);
    loud.app.injector.get(PageUser);
    expect(
      flushPageUserQuestion(loud.httpTesting, ABEL).request.headers.has('X-No-Response-Challenge'),
    ).toBe(false);
  });

  it('stays null when the instance does not say', async () => {
    const { app, httpTesting } = await openPage({});
    const user = app.injector.get(PageUser);
    flushPageUserQuestion(httpTesting, null);
    expect(user.user()).toBeNull();
  });
});

describe('a token another user’s session named', () => {
  it('is never sent: the write fails, nothing is adopted, the session ends once with other-user', async () => {
    const { http, httpTesting, window, events } = await openPage(portalPage(ABEL));
    const create = watch(http.post(URL, { short_description: 'printer' }));
    // Beth logged in in another tab: the cookie is hers, so the CSRF 401 names her token.
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-abel-1'), {
      currentToken: 'token-beth',
    });
    const question = flushPageUserQuestion(httpTesting, BETH);
    expect(question.request.headers.get('X-UserToken')).toBe('token-beth');

    httpTesting.expectNone(URL);
    // The caller learns why: not the instance's 401, which would only say "not authenticated".
    expect(create.error).toMatchObject({
      status: 401,
      statusText: 'Session ended',
      error: { reason: 'other-user' },
    });
    expect(window['g_ck']).toBe('token-abel-1');
    expect(expiredReasons(events)).toEqual(['other-user']);

    // Later requests fail at once, without a round trip.
    const later = watch(http.get(URL));
    httpTesting.expectNone(URL);
    expect(later.error).toMatchObject({ status: 401, statusText: 'Session ended' });
    expect(expiredReasons(events)).toEqual(['other-user']);
  });

  it('is asked about once for every request that failed with it, and used when it is the page user’s', async () => {
    const { http, httpTesting, window, events } = await openPage(portalPage(ABEL));
    // Three: the reads a burst has on the wire at once (half of maxInFlight).
    const lists = [1, 2, 3].map(() => watch(http.get(URL)));
    for (const request of httpTesting.match(URL)) {
      flushUserTokenRejection(request, { currentToken: 'token-abel-2' });
    }
    // One question for the three (expectOne fails on two).
    flushPageUserQuestion(httpTesting, ABEL);
    const retried = httpTesting.match(URL);
    expect(retried.map((r) => r.request.headers.get('X-UserToken'))).toEqual(
      Array(3).fill('token-abel-2'),
    );
    retried.forEach((r) => r.flush({ result: [] }));
    expect(lists.every((l) => l.done && l.error === undefined)).toBe(true);
    expect(window['g_ck']).toBe('token-abel-2');
    expect(expiredReasons(events)).toEqual([]);

    // Proven once: the next rotation to a known token costs no question.
    watch(http.get(URL));
    expectOneWithToken(httpTesting, URL, 'token-abel-2').flush({ result: [] });
    expect(userQuestions(httpTesting)).toEqual([]);
  });

  it('costs no question when nothing is rejected (the hot path)', async () => {
    const { http, httpTesting } = await openPage(portalPage(ABEL));
    for (let i = 0; i < 20; i++) {
      watch(http.get(URL));
      expectOneWithToken(httpTesting, URL, 'token-abel-1').flush({ result: [] });
    }
    expect(userQuestions(httpTesting)).toEqual([]);
  });

  it('is taken unproven, as before, on a page that names no user (and the instance was not asked)', async () => {
    const { http, httpTesting, window } = await openPage({});
    const list = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-abel-1'), {
      currentToken: 'token-2',
    });
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ result: [] });
    expect(list.error).toBeUndefined();
    expect(window['g_ck']).toBe('token-2');
    expect(userQuestions(httpTesting)).toEqual([]);
  });

  it('is not used when the instance does not say whose it is; the session is not called ended', async () => {
    const { http, httpTesting, window, events } = await openPage(portalPage(ABEL));
    const list = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-abel-1'), {
      currentToken: 'token-x',
    });
    userQuestions(httpTesting)[0].flush('', { status: 500, statusText: 'Server Error' });
    httpTesting.expectNone(URL);
    expect(list.error).toMatchObject({ status: 401 });
    expect(window['g_ck']).toBe('token-abel-1');
    expect(expiredReasons(events)).toEqual([]);
    expect(events.find((e) => e.type === 'refresh-failed')).toMatchObject({
      error: { reason: 'failed' },
    });

    // No answer is no proof either way: the next rotation to that token asks again, and goes.
    const again = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-abel-1'), {
      currentToken: 'token-x',
    });
    flushPageUserQuestion(httpTesting, ABEL);
    expectOneWithToken(httpTesting, URL, 'token-x').flush({ result: [] });
    expect(again.error).toBeUndefined();
    expect(window['g_ck']).toBe('token-x');
  });

  it('is proven too when another script changed g_ck to it', async () => {
    const { http, httpTesting, window } = await openPage(portalPage(ABEL));
    const create = watch(http.post(URL, {}));
    const sent = expectOneWithToken(httpTesting, URL, 'token-abel-1');
    window['g_ck'] = 'token-beth';
    flushUserTokenRejection(sent, {});
    flushPageUserQuestion(httpTesting, BETH);
    httpTesting.expectNone(URL);
    expect(create.error).toMatchObject({ status: 401 });
  });

  it('with withReLogin: the held write fails with other-user, and a re-login as the page user is offered', async () => {
    const { app, http, httpTesting } = await openPage(portalPage(ABEL), [withReLogin()]);
    const session = app.injector.get(UserTokenSession);
    const create = watch(http.post(URL, {}));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-abel-1'), {
      currentToken: 'token-beth',
    });
    flushPageUserQuestion(httpTesting, BETH);
    httpTesting.expectNone(URL);
    expect(create.error).toMatchObject({
      status: 401,
      statusText: 'Session ended',
      error: { reason: 'other-user' },
    });
    expect(session.state()).toBe('expired');
    expect(session.result()).toBe('other-user');
  });
});

describe('cross-tab sync and the user', () => {
  async function warm(tab: Awaited<ReturnType<typeof openPage>>, token: string) {
    tab.http.get(URL).subscribe();
    expectOneWithToken(tab.httpTesting, URL, token).flush({});
  }

  /** The next token a tab takes from another tab (no clock: the tab's own event). */
  const nextFromOtherTab = (tab: Awaited<ReturnType<typeof openPage>>) =>
    firstValueFrom(
      tab.app.injector
        .get(UserTokenEvents)
        .events.pipe(filter((e) => e.type === 'token-refreshed' && e.via === 'other-tab')),
    );

  it('never moves a tab to a token announced for another user', async () => {
    const abel = await openPage(portalPage(ABEL), [withCrossTabSync()]);
    await warm(abel, 'token-abel-1');
    // Another tab of the same browser announces Beth's token, then (later, from the same tab, so
    // in that order) Abel's: the tab takes only the second.
    const otherTab = new NodeBroadcastChannel('ngx-user-token:g_ck');
    const taken = nextFromOtherTab(abel);
    const at = Date.now() + 60_000;
    otherTab.postMessage({ token: 'token-beth', at, user: BETH.sysId });
    otherTab.postMessage({ token: 'token-abel-2', at: at + 1, user: ABEL.sysId });
    await taken;
    otherTab.close();
    expect(abel.window['g_ck']).toBe('token-abel-2');
    expect(abel.events.filter((e) => e.type === 'token-refreshed')).toHaveLength(1);
  });

  it('still moves the tabs of the same user', async () => {
    const first = await openPage(portalPage(ABEL), [withCrossTabSync()]);
    await warm(first, 'token-abel-1');
    const taken = nextFromOtherTab(first);
    const second = await openPage({ ...portalPage(ABEL), g_ck: 'token-abel-2' }, [
      withCrossTabSync(),
    ]);
    await warm(second, 'token-abel-2');
    await taken;
    expect(first.window['g_ck']).toBe('token-abel-2');
  });
});
