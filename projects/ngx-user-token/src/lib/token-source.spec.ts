import { DOCUMENT } from '@angular/common';
import {
  HttpErrorResponse,
  HttpHeaders,
  provideHttpClient,
  withInterceptors,
} from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { PLATFORM_ID, Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import {
  provideUserToken,
  RefreshedUserToken,
  UserTokenOptions,
  UserTokenRefreshError,
  userTokenInterceptor,
  UserTokenSource,
  WindowUserTokenSource,
  withTokenPage,
  withUserTokenOptions,
} from 'ngx-user-token';
import { expectOneWithToken, flushUserTokenRejection } from 'ngx-user-token/testing';
import { firstValueFrom } from 'rxjs';

import { setUpWith, watch } from '../../test/harness';

const URL = '/api/now/table/incident';
const TOKEN_PAGE = '/x_demo_token.do';
const page = window as unknown as Record<string, unknown>;

function setUp(options: UserTokenOptions & { tokenUrl?: string } = {}, extra: Provider[] = []) {
  const { tokenUrl, ...rest } = options;
  return setUpWith([
    provideHttpClient(withInterceptors([userTokenInterceptor])),
    provideHttpClientTesting(),
    provideUserToken(
      withUserTokenOptions(rest),
      ...(tokenUrl === undefined ? [] : [withTokenPage(tokenUrl)]),
    ),
    ...extra,
  ]);
}

function rejection(token: string | null, headers: Record<string, string> = {}) {
  return {
    token,
    response: new HttpErrorResponse({ status: 401, headers: new HttpHeaders(headers), url: URL }),
  };
}

describe('WindowUserTokenSource', () => {
  beforeEach(() => {
    page['g_ck'] = 'token-1';
  });
  afterEach(() => {
    delete page['g_ck'];
    delete page['my_token'];
    TestBed.inject(HttpTestingController).verify();
  });

  it('is the default UserTokenSource', () => {
    setUp();
    expect(TestBed.inject(UserTokenSource)).toBe(TestBed.inject(WindowUserTokenSource));
  });

  it('reads window.g_ck, or the configured global, and nothing that is not a token', () => {
    setUp({ globalName: 'my_token' });
    const source = TestBed.inject(WindowUserTokenSource);
    expect(source.current()).toBeNull();
    page['my_token'] = 'abc';
    expect(source.current()).toBe('abc');
    for (const notAToken of ['', 42, {}, null]) {
      page['my_token'] = notAToken;
      expect(source.current()).toBeNull();
    }
  });

  it('takes the 401 X-UserToken-Response first, with no extra round trip, and leaves g_ck to the adoption', async () => {
    setUp({ tokenUrl: TOKEN_PAGE });
    const source = TestBed.inject(WindowUserTokenSource);
    const result = await firstValueFrom(
      source.refresh(rejection('token-1', { 'X-UserToken-Response': 'token-2' })),
    );
    expect(result).toEqual<RefreshedUserToken>({ token: 'token-2', via: 'response-header' });
    // Written back only once the library adopts it, after proving whose session it is.
    expect(page['g_ck']).toBe('token-1');
    source.adopt('token-2', 'response-header');
    expect(page['g_ck']).toBe('token-2');
    TestBed.inject(HttpTestingController).expectNone(TOKEN_PAGE);
  });

  it('takes a g_ck another script changed when the header brings nothing new', async () => {
    setUp({ tokenUrl: TOKEN_PAGE });
    const source = TestBed.inject(WindowUserTokenSource);
    page['g_ck'] = 'token-from-other-script';
    const result = await firstValueFrom(
      source.refresh(rejection('token-1', { 'X-UserToken-Response': 'token-1' })),
    );
    expect(result).toEqual({ token: 'token-from-other-script', via: 'global' });
  });

  it('fetches the token page past every interceptor, then writes the token to g_ck', () => {
    const { http, httpTesting, events } = setUp({ tokenUrl: TOKEN_PAGE });
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'));

    const tokenPage = httpTesting.expectOne(TOKEN_PAGE);
    expect(tokenPage.request.headers.has('X-UserToken')).toBe(false);
    expect(tokenPage.request.responseType).toBe('text');
    tokenPage.flush('  token-2\n');

    expectOneWithToken(httpTesting, URL, 'token-2').flush({ result: [] });
    expect(outcome.values).toEqual([{ result: [] }]);
    expect(page['g_ck']).toBe('token-2');
    expect(events.find((e) => e.type === 'token-refreshed')).toMatchObject({ via: 'token-url' });
  });

  it('fetches the token page once for 50 concurrent 401s', () => {
    const { http, httpTesting } = setUp({ tokenUrl: TOKEN_PAGE, maxInFlight: Infinity });
    const outcomes = Array.from({ length: 50 }, (_, i) => watch(http.get(`${URL}?n=${i}`)));
    httpTesting.match((r) => r.url.startsWith(URL)).forEach((r) => flushUserTokenRejection(r));
    httpTesting.expectOne(TOKEN_PAGE).flush('token-2');
    const retries = httpTesting.match((r) => r.url.startsWith(URL));
    expect(retries.map((r) => r.request.headers.get('X-UserToken'))).toEqual(
      Array(50).fill('token-2'),
    );
    retries.forEach((r) => r.flush({}));
    expect(outcomes.every((o) => o.values.length === 1)).toBe(true);
  });

  it('accepts a JSON token page', () => {
    const { http, httpTesting } = setUp({ tokenUrl: TOKEN_PAGE });
    watch(http.get(URL));
    flushUserTokenRejection(httpTesting.expectOne(URL));
    httpTesting.expectOne(TOKEN_PAGE).flush('{"token":"token-2"}');
    expectOneWithToken(httpTesting, URL, 'token-2').flush({});
  });

  describe.each<
    [string, (r: ReturnType<HttpTestingController['expectOne']>) => void, string, boolean]
  >([
    [
      'a login page',
      (r) => r.flush('<html><form action="login.do">…</form></html>'),
      'no-token',
      true,
    ],
    ['an empty body', (r) => r.flush(''), 'no-token', true],
    ['the rejected token', (r) => r.flush('token-1'), 'same-token', false],
    ['401', (r) => r.flush('', { status: 401, statusText: 'Unauthorized' }), 'failed', false],
    ['403', (r) => r.flush('', { status: 403, statusText: 'Forbidden' }), 'failed', false],
    ['500', (r) => r.flush('', { status: 500, statusText: 'Server Error' }), 'failed', false],
    ['a network error', (r) => r.error(new ProgressEvent('error')), 'failed', false],
  ])('when the token page answers %s', (_, answer, reason, expired) => {
    it(`fails the refresh (${reason}), errors the request with its 401 and leaves g_ck alone`, () => {
      const { http, httpTesting, events } = setUp({ tokenUrl: TOKEN_PAGE });
      const outcome = watch(http.get(URL));
      flushUserTokenRejection(httpTesting.expectOne(URL));
      answer(httpTesting.expectOne(TOKEN_PAGE));

      expect((outcome.error as HttpErrorResponse).status).toBe(401);
      expect((outcome.error as HttpErrorResponse).url).toBe(URL);
      httpTesting.expectNone(URL);
      expect(page['g_ck']).toBe('token-1');
      const failed = events.find((e) => e.type === 'refresh-failed');
      expect(failed).toMatchObject({ error: { reason } });
      expect(events.some((e) => e.type === 'session-expired')).toBe(expired);
      expect(JSON.stringify(events)).not.toContain('token-1');
    });
  });

  it('fails clearly with no token page and nothing new on the page', async () => {
    setUp();
    const source = TestBed.inject(WindowUserTokenSource);
    const error = await firstValueFrom(source.refresh(rejection('token-1'))).catch((e) => e);
    expect(error).toBeInstanceOf(UserTokenRefreshError);
    expect(error).toMatchObject({ reason: 'no-token', sessionExpired: true });
    expect(error.message).toMatch(/there is no token page \(withTokenPage\)/);
  });

  it('refuses to fetch a token page on another origin', async () => {
    setUp({ tokenUrl: 'https://evil.test/token' });
    const source = TestBed.inject(WindowUserTokenSource);
    const error = await firstValueFrom(source.refresh(rejection('token-1'))).catch((e) => e);
    expect(error).toMatchObject({ reason: 'failed' });
    expect(error.message).toMatch(/not same-origin/);
    TestBed.inject(HttpTestingController).expectNone('https://evil.test/token');
  });

  it('touches no window on the server', async () => {
    const throwingDocument = {
      URL: 'https://instance.example.com/',
      baseURI: 'https://instance.example.com/',
      get defaultView(): never {
        throw new Error('window touched on the server');
      },
    };
    setUp({}, [
      { provide: PLATFORM_ID, useValue: 'server' },
      { provide: DOCUMENT, useValue: throwingDocument },
    ]);
    const source = TestBed.inject(WindowUserTokenSource);
    expect(source.current()).toBeNull();
    const result = await firstValueFrom(
      source.refresh(rejection(null, { 'X-UserToken-Response': 'token-2' })),
    );
    expect(result.token).toBe('token-2');
  });

  it("fires ck_updated on a classic page's event bus when it adopts a token", () => {
    const fired: [string, unknown][] = [];
    const original = page['CustomEvent'];
    page['CustomEvent'] = { fireAll: (name: string, memo: unknown) => fired.push([name, memo]) };
    try {
      const { http, httpTesting } = setUp();
      http.get(URL).subscribe();
      flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'), {
        currentToken: 'token-2',
      });
      expectOneWithToken(httpTesting, URL, 'token-2').flush({});
      expect(fired).toEqual([['ck_updated', 'token-2']]);
      expect(page['g_ck']).toBe('token-2');
    } finally {
      page['CustomEvent'] = original;
    }
  });
});
