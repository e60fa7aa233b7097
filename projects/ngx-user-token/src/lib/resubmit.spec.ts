// The order in which the library decides after a 401, rule by rule, as ServiceNow's own
// interceptor decides: page token changed → session ended → resubmit forbidden → named token →
// token source. And a login page where JSON was expected (single sign-on) ends the session.
import { HttpErrorResponse, HttpHeaders, HttpRequest } from '@angular/common/http';
import { TestRequest } from '@angular/common/http/testing';
import { UserTokenRefreshError } from 'ngx-user-token';
import {
  expectOneWithToken,
  flushSessionEndedLoginPage,
  flushUserTokenRejection,
} from 'ngx-user-token/testing';

import { setUp, watch } from '../../test/harness';

const URL = '/api/now/table/incident';
const OTHER = '/api/now/table/sys_user';

const types = (events: { type: string }[]) => events.map((e) => e.type);

describe('after a 401, in ServiceNow’s order', () => {
  it('1. resends with the page token if it changed since the request left, without a refresh', () => {
    const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' });
    const outcome = watch(http.get(URL));
    const first = expectOneWithToken(httpTesting, URL, 'token-1');
    tokens.setToken('token-2'); // another script (or tab) refreshed the page's token meanwhile
    flushUserTokenRejection(first, { requestToken: 'token-1' });
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ ok: true });
    expect(outcome.values).toEqual([{ ok: true }]);
    expect(tokens.refreshCount).toBe(0);
    expect(types(events)).toEqual(['token-rejected', 'request-retried']);
  });

  it('1. even when the 401 says the session ended: the page token is newer than the 401', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' });
    const outcome = watch(http.get(URL));
    const first = expectOneWithToken(httpTesting, URL, 'token-1');
    tokens.setToken('token-2');
    flushUserTokenRejection(first, { sessionLoggedIn: false });
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ ok: true });
    expect(outcome.values).toEqual([{ ok: true }]);
  });

  it('2. X-SessionLoggedIn: false ends the session: no refresh, no resend, one event for all', () => {
    const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' });
    const outcomes = [watch(http.get(URL)), watch(http.get(OTHER))];
    httpTesting
      .match(() => true)
      .forEach((r) => flushUserTokenRejection(r, { sessionLoggedIn: false, currentToken: 'x' }));
    for (const outcome of outcomes) {
      expect((outcome.error as HttpErrorResponse).status).toBe(401);
    }
    httpTesting.expectNone(() => true);
    expect(tokens.refreshCount).toBe(0);
    const expired = events.filter((e) => e.type === 'session-expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ error: { reason: 'logged-out' } });
  });

  it('2. reads X-Is-Logged-In only when X-SessionLoggedIn is absent', () => {
    const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' });
    tokens.rotate('token-2');
    // A guest's X-Is-Logged-In reads true: with X-SessionLoggedIn: false the session is gone.
    const guest = watch(http.get(URL));
    httpTesting.expectOne(URL).flush(null, {
      status: 401,
      statusText: 'Unauthorized',
      headers: { 'X-Is-Logged-In': 'true', 'X-SessionLoggedIn': 'false' },
    });
    expect((guest.error as HttpErrorResponse).status).toBe(401);
    // Until a new token is known, a request fails at once, without a round trip.
    const dead = watch(http.get(OTHER));
    httpTesting.expectNone(OTHER);
    expect(dead.error).toMatchObject({
      status: 401,
      statusText: 'Session ended',
      url: OTHER,
      error: { reason: 'logged-out' },
    });
    tokens.setToken('token-3'); // the page has a new token (another tab logged in, say)
    // An older instance that sends only X-Is-Logged-In: false.
    const old = watch(http.get(OTHER));
    httpTesting.expectOne(OTHER).flush(null, {
      status: 401,
      statusText: 'Unauthorized',
      headers: { 'X-Is-Logged-In': 'false' },
    });
    expect((old.error as HttpErrorResponse).status).toBe(401);
    tokens.setToken('token-4');
    tokens.rotate('token-5');
    // X-SessionLoggedIn: true wins over X-Is-Logged-In: false.
    const alive = watch(http.get(URL));
    httpTesting.expectOne(URL).flush(null, {
      status: 401,
      statusText: 'Unauthorized',
      headers: { 'X-Is-Logged-In': 'false', 'X-SessionLoggedIn': 'true' },
    });
    expectOneWithToken(httpTesting, URL, 'token-5').flush({ ok: true });
    expect(alive.values).toEqual([{ ok: true }]);
    expect(events.filter((e) => e.type === 'session-expired')).toHaveLength(2);
  });

  it('3. X-UserToken-AllowResubmit: false → the caller gets the 401, the named token is adopted', () => {
    const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' });
    tokens.rotate('token-2');
    const outcome = watch(http.post(URL, { short_description: 'x' }));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'), {
      allowResubmit: false,
      currentToken: 'token-2',
    });
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    httpTesting.expectNone(URL); // not resent
    expect(events).toContainEqual({
      type: 'retry-skipped',
      method: 'POST',
      url: URL,
      reason: 'resubmit-not-allowed',
    });
    expect(tokens.current()).toBe('token-2');
    // The next request carries the adopted token: no 401.
    http.get(OTHER).subscribe();
    expectOneWithToken(httpTesting, OTHER, 'token-2').flush({});
  });

  it('3. AllowResubmit: false with no token named: no refresh at all', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' });
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(httpTesting.expectOne(URL), { allowResubmit: false });
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(0);
  });

  it('4. X-UserToken-Response → one refresh that adopts it, and a resend', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' });
    tokens.rotate('token-2');
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(httpTesting.expectOne(URL), { currentToken: 'token-2' });
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ ok: true });
    expect(outcome.values).toEqual([{ ok: true }]);
    expect(tokens.refreshCount).toBe(1);
  });

  it('uses X-UserToken-Request as the rejected token when the request carried none of its own', () => {
    const { http, httpTesting, tokens } = setUp({ token: null });
    tokens.rotate('token-2');
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(
      expectOneWithToken(httpTesting, URL, 'token_intentionally_left_blank'),
      { requestToken: 'token_intentionally_left_blank', currentToken: 'token-2' },
    );
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ ok: true });
    expect(outcome.values).toEqual([{ ok: true }]);
    expect(tokens.rejections[0].token).toBeNull(); // the placeholder is no token
  });

  it('never replays a write whose 401 does not prove it was refused for the token', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' });
    const outcome = watch(http.post(URL, {}));
    httpTesting.expectOne(URL).flush(null, {
      status: 401,
      statusText: 'Unauthorized',
      headers: { 'X-SessionLoggedIn': 'true', 'X-UserToken-AllowResubmit': 'true' },
    });
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(0);
  });
});

describe('single sign-on: a login page instead of JSON', () => {
  const ended = (outcome: { error: unknown }) => {
    const error = outcome.error as HttpErrorResponse;
    expect(error).toBeInstanceOf(HttpErrorResponse);
    expect(error.status).toBe(401);
    expect(error.statusText).toBe('Session ended');
    expect(error.error).toBeInstanceOf(UserTokenRefreshError);
    expect((error.error as UserTokenRefreshError).reason).toBe('login-page');
    expect(error.message).not.toMatch(/Unexpected token|parsing/);
  };

  it('ends the session once for all the requests that got it: no refresh, no resend', () => {
    const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' });
    const outcomes = [watch(http.get(URL)), watch(http.get(OTHER)), watch(http.post(URL, {}))];
    httpTesting.match(() => true).forEach((r) => flushSessionEndedLoginPage(r));
    outcomes.forEach(ended);
    httpTesting.expectNone(() => true);
    expect(tokens.refreshCount).toBe(0);
    expect(types(events)).toEqual(['session-expired']);
  });

  it('recognises the XHR backend’s unparsed HTML and a final URL on login.do', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' });
    const xhr = watch(http.get(URL));
    httpTesting.expectOne(URL).error(new ProgressEvent('error'), { status: 200 });
    // (a bare parse failure with no clue stays what it is)
    expect((xhr.error as HttpErrorResponse).statusText).not.toBe('Session ended');

    const text = watch(http.get(OTHER));
    failWith(httpTesting.expectOne(OTHER), {
      error: new SyntaxError('x'),
      text: '\n<!doctype html><html>',
    });
    ended(text);

    tokens.setToken('token-2'); // a new token ends the wait (until then requests fail at once)
    const redirected = watch(http.get(URL));
    failWith(
      httpTesting.expectOne(URL),
      new SyntaxError('x'),
      'https://instance.example.com/login.do?sysparm_goto=x',
    );
    ended(redirected);
  });

  it('asks, on a failure without a status, whether the API redirects to a login', () => {
    const { http, httpTesting, events } = setUp({ token: 'token-1' });
    const outcome = watch(http.get(URL));
    httpTesting.expectOne(URL).error(new ProgressEvent('error'), { status: 0 });
    const probe = httpTesting.expectOne((r) => r.url.includes('/api/now/table/sys_user'));
    expect((probe.request as HttpRequest<null> & { redirect?: string }).redirect).toBe('manual');
    expect(probe.request.headers.get('X-UserToken')).toBe('token-1');
    probe.flush(null, {
      status: 302,
      statusText: 'Found',
      headers: { Location: 'https://idp.example.com/sso' },
    });
    ended(outcome);
    expect(types(events)).toEqual(['session-expired']);
  });

  it('leaves a plain network failure as it is', () => {
    const { http, httpTesting, events } = setUp({ token: 'token-1' });
    const outcome = watch(http.get(URL));
    httpTesting.expectOne(URL).error(new ProgressEvent('error'), { status: 0 });
    httpTesting
      .expectOne((r) => r.url.includes('/api/now/table/sys_user'))
      .error(new ProgressEvent('error'), { status: 0 });
    expect((outcome.error as HttpErrorResponse).status).toBe(0);
    expect((outcome.error as HttpErrorResponse).statusText).not.toBe('Session ended');
    expect(events).toEqual([]);
  });

  it('never probes another origin', () => {
    const { http, httpTesting } = setUp({ token: 'token-1' });
    const outcome = watch(http.get('https://elsewhere.example.com/api'));
    httpTesting.expectOne(() => true).error(new ProgressEvent('error'), { status: 0 });
    httpTesting.expectNone(() => true);
    expect((outcome.error as HttpErrorResponse).status).toBe(0);
  });
});

/** Fails a request the way the XHR backend reports an unparsable 200: `{error, text}`. */
function failWith(request: TestRequest, error: unknown, url = request.request.url): void {
  // TestRequest.error only takes events; route the XHR-shaped body through its observer.
  (request as unknown as { observer: { error(e: unknown): void } }).observer.error(
    new HttpErrorResponse({
      error,
      status: 200,
      statusText: 'OK',
      url,
      headers: new HttpHeaders(),
    }),
  );
}
