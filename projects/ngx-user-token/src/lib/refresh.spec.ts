import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { ApplicationRef, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { createApplication } from '@angular/platform-browser';
import { UserTokenRefreshError } from 'ngx-user-token';
import {
  expectOneWithToken,
  FakeUserTokenSource,
  flushUserTokenRejection,
  provideUserTokenTesting,
} from 'ngx-user-token/testing';

import { eventTypes, httpClientWith, INTERCEPTOR_FORMS, setUp, watch } from '../../test/harness';

const URL = '/api/now/table/incident';
const OTHER = '/api/now/table/sys_user';

describe.each(INTERCEPTOR_FORMS)('refresh and retry (%s form)', (form) => {
  afterEach(() => {
    TestBed.inject(HttpTestingController).verify();
    jest.useRealTimers();
  });

  it('sends one refresh for 100 concurrent 401s and retries each request once', () => {
    // All 100 on the wire at once (no session queue): session-limits.spec.ts has them queued.
    const { http, httpTesting, tokens, events } = setUp(
      { token: 'token-1', maxInFlight: Infinity },
      form,
    );
    tokens.rotate('token-2');
    const outcomes = Array.from({ length: 100 }, (_, i) => watch(http.get(`${URL}?n=${i}`)));

    const first = httpTesting.match((r) => r.url.startsWith(URL));
    expect(first).toHaveLength(100);
    expect(first.every((r) => r.request.headers.get('X-UserToken') === 'token-1')).toBe(true);
    first.forEach((r) => flushUserTokenRejection(r));

    const retries = httpTesting.match((r) => r.url.startsWith(URL));
    expect(retries).toHaveLength(100);
    expect(retries.every((r) => r.request.headers.get('X-UserToken') === 'token-2')).toBe(true);
    retries.forEach((r, i) => r.flush({ n: i }));

    expect(tokens.refreshCount).toBe(1);
    expect(outcomes.every((o) => o.done && o.values[0] && o.error === undefined)).toBe(true);
    expect(outcomes.map((o) => (o.values[0] as { n: number }).n)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    const types = eventTypes(events);
    expect(types.filter((t) => t === 'refresh-started')).toHaveLength(1);
    expect(types.filter((t) => t === 'token-refreshed')).toHaveLength(1);
    expect(types.filter((t) => t === 'token-rejected')).toHaveLength(100);
    expect(types.filter((t) => t === 'request-retried')).toHaveLength(100);
  });

  it('gives a second 401 to the caller as it came: no second refresh, no loop', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    tokens.rotate('token-2');
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'));
    const retry = expectOneWithToken(httpTesting, URL, 'token-2');
    retry.flush(
      { error: { message: 'User Not Authenticated' } },
      { status: 401, statusText: 'Unauthorized' },
    );

    expect(outcome.error).toBeInstanceOf(HttpErrorResponse);
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(1);
    httpTesting.expectNone(URL);
  });

  it('makes requests issued during a refresh wait and go out with the new token', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    tokens.rotate('token-2');
    const release = tokens.hold();
    const first = watch(http.get(URL));
    flushUserTokenRejection(httpTesting.expectOne(URL));

    const during = watch(http.get(OTHER));
    httpTesting.expectNone(OTHER);
    httpTesting.expectNone(URL);

    release();
    expectOneWithToken(httpTesting, OTHER, 'token-2').flush({ other: true });
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ first: true });
    expect(during.values).toEqual([{ other: true }]);
    expect(first.values).toEqual([{ first: true }]);
    expect(tokens.refreshCount).toBe(1);
  });

  it('retries a 401 that arrives after the refresh settled with the new token, without refreshing again', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    tokens.rotate('token-2');
    const early = watch(http.get(URL));
    const late = watch(http.get(OTHER));
    flushUserTokenRejection(httpTesting.expectOne(URL));
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ early: true });

    flushUserTokenRejection(expectOneWithToken(httpTesting, OTHER, 'token-1'));
    expectOneWithToken(httpTesting, OTHER, 'token-2').flush({ late: true });

    expect(early.values).toEqual([{ early: true }]);
    expect(late.values).toEqual([{ late: true }]);
    expect(tokens.refreshCount).toBe(1);
  });

  describe('when the refresh fails', () => {
    it('errors every waiting request with its own 401 and reports the failure', () => {
      const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' }, form);
      tokens.failNextRefresh(new Error('token page down'));
      const release = tokens.hold();
      const outcomes = [watch(http.get(URL)), watch(http.get(OTHER))];
      const rejected = httpTesting.match(() => true);
      rejected.forEach((r) => flushUserTokenRejection(r));
      release();

      outcomes.forEach((o, i) => {
        expect(o.error).toBeInstanceOf(HttpErrorResponse);
        expect((o.error as HttpErrorResponse).url).toBe(rejected[i].request.url);
        expect((o.error as HttpErrorResponse).status).toBe(401);
      });
      expect(tokens.refreshCount).toBe(1);
      const failed = events.find((e) => e.type === 'refresh-failed');
      expect(failed).toMatchObject({ error: { reason: 'failed' } });
      expect(eventTypes(events)).not.toContain('request-retried');
    });

    it('lets the next request start a fresh refresh (nothing stays stuck)', () => {
      const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
      tokens.failNextRefresh();
      const failed = watch(http.get(URL));
      flushUserTokenRejection(httpTesting.expectOne(URL));
      expect((failed.error as HttpErrorResponse).status).toBe(401);

      tokens.rotate('token-2');
      const later = watch(http.get(URL));
      flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'));
      expectOneWithToken(httpTesting, URL, 'token-2').flush({ ok: true });
      expect(later.values).toEqual([{ ok: true }]);
      expect(tokens.refreshCount).toBe(2);
    });

    it('fails a 401 that arrives after a failed refresh without refreshing again', () => {
      const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
      tokens.failNextRefresh();
      const early = watch(http.get(URL));
      const late = watch(http.get(OTHER));
      flushUserTokenRejection(httpTesting.expectOne(URL));
      flushUserTokenRejection(httpTesting.expectOne(OTHER));
      expect((early.error as HttpErrorResponse).status).toBe(401);
      expect((late.error as HttpErrorResponse).url).toBe(OTHER);
      expect(tokens.refreshCount).toBe(1);
    });

    it('times out after refreshTimeout and errors the waiting requests', () => {
      jest.useFakeTimers();
      const { http, httpTesting, tokens, events } = setUp(
        { token: 'token-1', refreshTimeout: 500 },
        form,
      );
      tokens.hold(); // never released
      const outcome = watch(http.get(URL));
      flushUserTokenRejection(httpTesting.expectOne(URL));
      jest.advanceTimersByTime(499);
      expect(outcome.done).toBe(false);
      jest.advanceTimersByTime(1);
      expect((outcome.error as HttpErrorResponse).status).toBe(401);
      expect(events.find((e) => e.type === 'refresh-failed')).toMatchObject({
        error: { reason: 'timeout' },
      });
    });

    it('fails when the source offers the token that was just rejected', () => {
      const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' }, form);
      const outcome = watch(http.get(URL)); // no rotation: the fake server still has token-1
      flushUserTokenRejection(httpTesting.expectOne(URL));
      expect((outcome.error as HttpErrorResponse).status).toBe(401);
      expect(events.find((e) => e.type === 'refresh-failed')).toMatchObject({
        error: { reason: 'same-token' },
      });
      expect(tokens.refreshCount).toBe(1);
    });

    it('treats X-Is-Logged-In: false as an ended session: no refresh, one session-expired', () => {
      const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' }, form);
      const outcomes = [watch(http.get(URL)), watch(http.get(OTHER))];
      httpTesting
        .match(() => true)
        .forEach((r) => flushUserTokenRejection(r, { sessionLoggedIn: false }));

      expect(outcomes.map((o) => (o.error as HttpErrorResponse).status)).toEqual([401, 401]);
      expect(tokens.refreshCount).toBe(0);
      const expired = events.filter((e) => e.type === 'session-expired');
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({ error: { reason: 'logged-out', sessionExpired: true } });
    });
  });

  describe('cancellation', () => {
    it('does not cancel the refresh for others when the request that started it unsubscribes', () => {
      const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
      tokens.rotate('token-2');
      const release = tokens.hold();
      const starter = watch(http.get(URL));
      const other = watch(http.get(OTHER));
      flushUserTokenRejection(httpTesting.expectOne(URL));
      flushUserTokenRejection(httpTesting.expectOne(OTHER));

      starter.unsubscribe();
      release();

      expectOneWithToken(httpTesting, OTHER, 'token-2').flush({ other: true });
      httpTesting.expectNone(URL);
      expect(other.values).toEqual([{ other: true }]);
      expect(starter.values).toEqual([]);
      expect(tokens.refreshCount).toBe(1);
    });

    it('cancels the in-flight request when its subscriber unsubscribes', () => {
      const { http, httpTesting } = setUp({ token: 'token-1' }, form);
      const outcome = watch(http.get(URL));
      const request = httpTesting.expectOne(URL);
      outcome.unsubscribe();
      expect(request.cancelled).toBe(true);
    });
  });

  it('keeps the app unstable while a refresh runs, even with no request left waiting', async () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    tokens.rotate('token-2');
    const stable: boolean[] = [];
    TestBed.inject(ApplicationRef).isStable.subscribe((s) => stable.push(s));
    const release = tokens.hold();
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(httpTesting.expectOne(URL));
    outcome.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stable.at(-1)).toBe(false);
    release();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stable.at(-1)).toBe(true);
  });

  describe('requests that change data', () => {
    it('retries a POST whose 401 carries the instance CSRF signature', () => {
      const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
      tokens.rotate('token-2');
      const outcome = watch(http.post(URL, { short_description: 'x' }));
      flushUserTokenRejection(httpTesting.expectOne(URL));
      expectOneWithToken(httpTesting, URL, 'token-2').flush({ result: { number: 'INC1' } });
      expect(outcome.values).toEqual([{ result: { number: 'INC1' } }]);
    });

    it.each(['POST', 'PUT', 'PATCH', 'DELETE'])(
      'does not replay a %s whose 401 does not prove the token was refused',
      (method) => {
        const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
        tokens.rotate('token-2');
        const outcome = watch(http.request(method, URL, { body: {} }));
        httpTesting
          .expectOne(URL)
          .flush(
            { error: { message: 'Insufficient rights' } },
            { status: 401, statusText: 'Unauthorized' },
          );
        expect((outcome.error as HttpErrorResponse).status).toBe(401);
        expect(tokens.refreshCount).toBe(0);
      },
    );

    it('replays a GET after any 401', () => {
      const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
      tokens.rotate('token-2');
      const outcome = watch(http.get(URL));
      httpTesting.expectOne(URL).flush('nope', { status: 401, statusText: 'Unauthorized' });
      expectOneWithToken(httpTesting, URL, 'token-2').flush({ ok: 1 });
      expect(outcome.values).toEqual([{ ok: 1 }]);
    });
  });

  it('reports each step with the token masked', () => {
    const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' }, form);
    tokens.rotate('0123456789abcdef0123456789abcdef');
    watch(http.get(URL));
    flushUserTokenRejection(httpTesting.expectOne(URL));
    httpTesting.expectOne(URL).flush({});
    expect(events).toEqual([
      { type: 'token-rejected', method: 'GET', url: URL, status: 401 },
      { type: 'refresh-started' },
      { type: 'token-refreshed', via: 'source', token: '0123…(32)' },
      { type: 'request-retried', method: 'GET', url: URL },
    ]);
    expect(JSON.stringify(events)).not.toContain('0123456789abcdef');
  });
});

describe('refresh state', () => {
  it('belongs to one application: a refresh in one app does not hold requests of another', async () => {
    const apps = await Promise.all(
      [0, 1].map(() =>
        createApplication({
          providers: [
            provideZonelessChangeDetection(),
            ...httpClientWith('functional'),
            provideHttpClientTesting(),
            provideUserTokenTesting({ token: 'token-1' }),
          ],
        }),
      ),
    );
    const [a, b] = apps.map((app) => ({
      http: app.injector.get(HttpClient),
      httpTesting: app.injector.get(HttpTestingController),
      tokens: app.injector.get(FakeUserTokenSource),
    }));
    expect(a.tokens).not.toBe(b.tokens);
    a.tokens.rotate('token-2');
    a.tokens.hold();
    watch(a.http.get(URL));
    flushUserTokenRejection(a.httpTesting.expectOne(URL));

    const fromB = watch(b.http.get(URL));
    expectOneWithToken(b.httpTesting, URL, 'token-1').flush({ b: true });
    expect(fromB.values).toEqual([{ b: true }]);
    apps.forEach((app) => app.destroy());
  });

  it('reports a refresh error that never names the token', () => {
    const error = new UserTokenRefreshError('no-token', 'no new token.');
    expect(error.message).toBe('ngx-user-token: no new token.');
    expect(error.sessionExpired).toBe(true);
    expect(new UserTokenRefreshError('timeout', 'slow').sessionExpired).toBe(false);
  });
});

describe('retries', () => {
  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('sends a request again up to `retries` times, each with a new token', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1', retries: 2 });
    tokens.rotate('token-2');
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'));
    tokens.rotate('token-3'); // rotates again before the retry arrives
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-2'));
    expectOneWithToken(httpTesting, URL, 'token-3').flush({ ok: true });
    expect(outcome.values).toEqual([{ ok: true }]);
    expect(tokens.refreshCount).toBe(2);
  });

  it('never sends with the token that was just rejected, whatever the bound', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1', retries: 10 });
    tokens.rotate('token-2');
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-2')); // no newer token to be had
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(2);
  });

  it('retries a late 401 with the token it names when the token rotated again', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' });
    tokens.rotate('token-2');
    const early = watch(http.get(URL));
    const late = watch(http.get(OTHER));
    flushUserTokenRejection(httpTesting.expectOne(URL));
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ early: true });
    // The late one was refused after yet another rotation, and its 401 says so.
    flushUserTokenRejection(expectOneWithToken(httpTesting, OTHER, 'token-1'), {
      currentToken: 'token-3',
    });
    expectOneWithToken(httpTesting, OTHER, 'token-3').flush({ late: true });
    expect([early.values, late.values]).toEqual([[{ early: true }], [{ late: true }]]);
    expect(tokens.current()).toBe('token-2'); // a late response never moves the page's token
    expect(tokens.refreshCount).toBe(1);
  });
});
