// withReLogin: the requests of an ended session are held, the user logs in again in a window, and
// each held request goes once more — or fails, when no login comes or another user logs in.
import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import {
  provideUserToken,
  SessionExpiredEvent,
  UserTokenRefreshError,
  UserTokenSession,
  withReLogin,
} from 'ngx-user-token';
import {
  expectOneWithToken,
  fakeLoginWindows,
  FakeLoginWindows,
  flushSessionEndedLoginPage,
  flushUserTokenRejection,
} from 'ngx-user-token/testing';

import { setUp, watch } from '../../test/harness';
import { TAB_CHANNEL_FACTORY, TabChannel } from './tab-sync';

const URL = '/api/now/table/incident';
const OTHER = '/api/now/table/sys_user';
const USER = '62826bf03710200044e0bfc8bcbe5df1';

let logins: FakeLoginWindows;
afterEach(() => {
  logins?.restore();
  jest.useRealTimers();
});

function setUpReLogin(options: Parameters<typeof withReLogin>[0] = {}, extra: unknown[] = []) {
  const harness = setUp({ token: 'token-1' }, 'functional', [
    provideUserToken(withReLogin({ user: () => USER, ...options })),
    ...(extra as []),
  ]);
  logins = fakeLoginWindows();
  return { ...harness, session: TestBed.inject(UserTokenSession) };
}

/** Ends the session the way an instance does: a CSRF 401 that says the session is gone. */
function endSession(request: Parameters<typeof flushUserTokenRejection>[0]) {
  flushUserTokenRejection(request, { sessionLoggedIn: false });
}

describe('withReLogin', () => {
  it('holds a GET when the session ends, and sends it once more after the same user logs in', async () => {
    const { http, httpTesting, session, events, tokens } = setUpReLogin();
    const list = watch(http.get(URL));
    endSession(expectOneWithToken(httpTesting, URL, 'token-1'));
    expect(list.error).toBeUndefined();
    expect(session.state()).toBe('expired');
    const expired = events.find((e) => e.type === 'session-expired') as SessionExpiredEvent;
    expect(expired.session).toBe(session);
    expect(expired.error.reason).toBe('logged-out');

    const result = session.relogin();
    expect(session.state()).toBe('logging-in');
    expect(logins.opened.map((w) => [w.url, w.target])).toEqual([
      ['/ngx_user_token_login_complete.do', 'ngx-user-token-login'],
    ]);
    logins.logIn('token-2', USER);
    expect(await result).toBe('logged-in');
    expect(session.state()).toBe('active');
    expect(tokens.current()).toBe('token-2'); // adopted by the source
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ result: [] });
    expect(list.values).toEqual([{ result: [] }]);
    httpTesting.verify();
    expect(events.filter((e) => e.type === 'relogin-ended')).toEqual([
      { type: 'relogin-ended', result: 'logged-in', held: 1 },
    ]);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'token-refreshed', via: 'relogin' }),
    );
  });

  it('holds a write the instance refused before running it, and requests issued meanwhile; all go once, in order', async () => {
    const { http, httpTesting, session } = setUpReLogin();
    const create = watch(http.post(URL, { short_description: 'Printer on fire' }));
    endSession(expectOneWithToken(httpTesting, URL, 'token-1'));
    // Issued while the session is ended: never sent with the dead token.
    const later = [watch(http.get(OTHER)), watch(http.get(`${OTHER}?x=1`))];
    httpTesting.expectNone(() => true);

    const result = session.relogin();
    logins.logIn('token-2', USER);
    await result;
    const sent = httpTesting.match(() => true);
    expect(sent.map((r) => [r.request.method, r.request.urlWithParams])).toEqual([
      ['POST', URL],
      ['GET', OTHER],
      ['GET', `${OTHER}?x=1`],
    ]);
    expect(sent.every((r) => r.request.headers.get('X-UserToken') === 'token-2')).toBe(true);
    sent.forEach((r) => r.flush({ ok: true }));
    expect([create, ...later].map((o) => o.values)).toEqual([
      [{ ok: true }],
      [{ ok: true }],
      [{ ok: true }],
    ]);
  });

  it('does not hold a write that may have run (a 401 without the CSRF proof): its caller gets it', () => {
    const { http, httpTesting, session } = setUpReLogin();
    const list = watch(http.get(URL));
    const write = watch(http.post(OTHER, {}));
    endSession(httpTesting.expectOne(URL));
    httpTesting.expectOne(OTHER).flush(null, {
      status: 401,
      statusText: 'Unauthorized',
      headers: { 'X-SessionLoggedIn': 'false' },
    });
    expect((write.error as HttpErrorResponse).statusText).toBe('Unauthorized');
    expect(list.error).toBeUndefined(); // still held
    expect(session.state()).toBe('expired');
  });

  it('holds a request that got the login page in place of the API (single sign-on), any method', async () => {
    const { http, httpTesting, session } = setUpReLogin();
    const write = watch(http.patch(`${URL}/1`, { state: 2 }));
    flushSessionEndedLoginPage(httpTesting.expectOne(`${URL}/1`));
    expect(session.state()).toBe('expired');
    const result = session.relogin();
    logins.logIn('token-2', USER);
    expect(await result).toBe('logged-in');
    expectOneWithToken(httpTesting, `${URL}/1`, 'token-2').flush({ ok: 1 });
    expect(write.values).toEqual([{ ok: 1 }]);
  });

  it('fails the held requests as they came when the window closes without a login', async () => {
    jest.useFakeTimers();
    const { http, httpTesting, session } = setUpReLogin();
    const list = watch(http.get(URL));
    endSession(httpTesting.expectOne(URL));
    const result = session.relogin();
    logins.closeWindow();
    jest.advanceTimersByTime(2000);
    expect(await result).toBe('closed');
    expect(list.error).toMatchObject({ status: 401, statusText: 'Unauthorized' });
    expect(session.state()).toBe('expired');
    // Later requests fail at once, unsent, until a login or a new token.
    const after = watch(http.get(OTHER));
    httpTesting.expectNone(OTHER);
    expect(after.error).toMatchObject({ status: 401, statusText: 'Session ended' });
    expect((after.error as HttpErrorResponse).error).toBeInstanceOf(UserTokenRefreshError);
  });

  it('replays nothing when another user logs in: the held requests fail, saying so', async () => {
    const { http, httpTesting, session, tokens } = setUpReLogin();
    const create = watch(http.post(URL, {}));
    endSession(httpTesting.expectOne(URL));
    const result = session.relogin();
    logins.logIn('token-9', 'someone-else');
    expect(await result).toBe('other-user');
    httpTesting.expectNone(() => true);
    expect(create.error).toMatchObject({ status: 401, statusText: 'Session ended' });
    expect(((create.error as HttpErrorResponse).error as UserTokenRefreshError).reason).toBe(
      'other-user',
    );
    expect(tokens.current()).toBe('token-1'); // the other user's token is not adopted
    const after = watch(http.get(URL));
    httpTesting.expectNone(URL);
    expect(((after.error as HttpErrorResponse).error as UserTokenRefreshError).reason).toBe(
      'other-user',
    );
    expect(logins.opened[0].closed).toBe(true);
  });

  it('replays nothing when the page cannot say whose session it had', async () => {
    const { http, httpTesting, session } = setUpReLogin({ user: () => null });
    const list = watch(http.get(URL));
    endSession(httpTesting.expectOne(URL));
    const result = session.relogin();
    logins.logIn('token-2', USER);
    expect(await result).toBe('other-user');
    httpTesting.expectNone(URL);
    expect((list.error as HttpErrorResponse).statusText).toBe('Session ended');
  });

  it('reads the user from window.NOW.user_id by default', async () => {
    (window as unknown as Record<string, unknown>)['NOW'] = { user_id: USER };
    try {
      const { http, httpTesting } = setUp({ token: 'token-1' }, 'functional', [
        provideUserToken(withReLogin()),
      ]);
      logins = fakeLoginWindows();
      const session = TestBed.inject(UserTokenSession);
      const list = watch(http.get(URL));
      endSession(httpTesting.expectOne(URL));
      const result = session.relogin();
      logins.logIn('token-2', USER);
      expect(await result).toBe('logged-in');
      httpTesting.expectOne(URL).flush([]);
      expect(list.values).toEqual([[]]);
    } finally {
      delete (window as unknown as Record<string, unknown>)['NOW'];
    }
  });

  it('ignores messages from another origin or another window, and malformed ones', async () => {
    const { http, httpTesting, session } = setUpReLogin();
    const list = watch(http.get(URL));
    endSession(httpTesting.expectOne(URL));
    void session.relogin();
    const data = { type: 'ngx-user-token:login', token: 'token-2', user: USER };
    window.dispatchEvent(
      new MessageEvent('message', {
        data,
        origin: 'https://evil.example',
        source: logins.opened[0] as unknown as Window,
      }),
    );
    window.dispatchEvent(new MessageEvent('message', { data, origin: window.location.origin }));
    window.dispatchEvent(
      new MessageEvent('message', {
        data: { ...data, token: '<script>' },
        origin: window.location.origin,
        source: logins.opened[0] as unknown as Window,
      }),
    );
    expect(session.state()).toBe('logging-in');
    httpTesting.expectNone(URL);
    expect(list.error).toBeUndefined();
  });

  it('never sends a held request its caller cancelled', async () => {
    const { http, httpTesting, session } = setUpReLogin();
    const list = watch(http.get(URL));
    const kept = watch(http.get(OTHER));
    httpTesting.match(() => true).forEach(endSession);
    list.unsubscribe();
    const result = session.relogin();
    logins.logIn('token-2', USER);
    await result;
    const sent = httpTesting.match(() => true);
    expect(sent.map((r) => r.request.url)).toEqual([OTHER]);
    sent[0].flush([]);
    expect(kept.values).toEqual([[]]);
  });

  it('keeps the requests held when the popup is blocked; a tab, with the login channel, works', async () => {
    const channels: TabChannel[] = [];
    const { http, httpTesting, session } = setUpReLogin({}, [
      {
        provide: TAB_CHANNEL_FACTORY,
        useValue: () => {
          const channel: TabChannel = {
            postMessage: () => undefined,
            onmessage: null,
            close: () => undefined,
          };
          channels.push(channel);
          return channel;
        },
      },
    ]);
    const list = watch(http.get(URL));
    endSession(httpTesting.expectOne(URL));
    logins.blockNext();
    expect(await session.relogin()).toBe('blocked');
    expect(session.state()).toBe('expired');
    expect(session.result()).toBe('blocked');
    const result = session.relogin({ mode: 'tab' });
    expect(logins.opened.map((w) => w.target)).toEqual(['_blank']);
    // The login-complete page in the tab speaks on the login channel.
    channels[0].onmessage?.({
      data: { type: 'ngx-user-token:login', token: 'token-2', user: USER },
    });
    expect(await result).toBe('logged-in');
    expectOneWithToken(httpTesting, URL, 'token-2').flush([]);
    expect(list.values).toEqual([[]]);
  });

  it('opens one login window at a time', async () => {
    const { http, httpTesting, session } = setUpReLogin();
    watch(http.get(URL));
    endSession(httpTesting.expectOne(URL));
    const first = session.relogin();
    const second = session.relogin();
    expect(logins.opened).toHaveLength(1);
    logins.logIn('token-2', USER);
    expect(await first).toBe('logged-in');
    expect(await second).toBe('logged-in');
    httpTesting.expectOne(URL).flush([]);
  });

  it('gives up after reloginTimeout without a login, and on abandon()', async () => {
    jest.useFakeTimers();
    const { http, httpTesting, session, events } = setUpReLogin({ reloginTimeout: 5000 });
    const list = watch(http.get(URL));
    endSession(httpTesting.expectOne(URL));
    jest.advanceTimersByTime(4999);
    expect(list.error).toBeUndefined();
    jest.advanceTimersByTime(1);
    expect((list.error as HttpErrorResponse).status).toBe(401);
    expect(session.result()).toBe('timeout');

    // Meanwhile requests fail at once; a later login attempt holds again; abandon() lets go.
    const meanwhile = watch(http.get(OTHER));
    expect((meanwhile.error as HttpErrorResponse).statusText).toBe('Session ended');
    const result = session.relogin();
    const again = watch(http.get(OTHER));
    session.abandon();
    expect(await result).toBe('abandoned');
    expect((again.error as HttpErrorResponse).statusText).toBe('Session ended');
    expect(events.filter((e) => e.type === 'relogin-ended').map((e) => e)).toEqual([
      { type: 'relogin-ended', result: 'timeout', held: 1 },
      { type: 'relogin-ended', result: 'abandoned', held: 1 },
    ]);
  });

  it('says relogin() needs withReLogin, and opens nothing while the session lives', async () => {
    setUp({ token: 'token-1' });
    const plain = TestBed.inject(UserTokenSession);
    expect(plain.state()).toBe('active');
    expect(() => plain.relogin()).toThrow(/withReLogin/);
    TestBed.resetTestingModule();
    const { session } = setUpReLogin();
    expect(await session.relogin()).toBe('not-expired');
    expect(logins.opened).toHaveLength(0);
  });

  it('rejects bad options, naming them', () => {
    expect(() => withReLogin({ page: 'https://evil.example/x.do' })).toThrow(/page/);
    expect(() => withReLogin({ loginUrl: '//evil.example' })).toThrow(/loginUrl/);
    expect(() => withReLogin({ reloginTimeout: 0 })).toThrow(/reloginTimeout/);
  });
});
