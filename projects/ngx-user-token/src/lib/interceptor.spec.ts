import {
  HttpClient,
  HttpContext,
  HttpErrorResponse,
  HttpInterceptorFn,
  provideHttpClient,
  withInterceptors,
} from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import {
  SKIP_TOKEN_REFRESH,
  SKIP_USER_TOKEN,
  userTokenInterceptor,
  userTokenOriginGuard,
} from 'ngx-user-token';
import {
  expectOneWithToken,
  flushUserTokenRejection,
  provideUserTokenTesting,
} from 'ngx-user-token/testing';

import { INTERCEPTOR_FORMS, setUp, setUpWith, watch } from '../../test/harness';

const URL = '/api/now/table/incident';

describe.each(INTERCEPTOR_FORMS)('userTokenInterceptor (%s form)', (form) => {
  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it.each(['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'])(
    'sends the token on %s',
    (method) => {
      const { http, httpTesting } = setUp({ token: 'token-1' }, form);
      http.request(method, URL, { body: method === 'GET' ? null : {} }).subscribe();
      const request = httpTesting.expectOne(URL);
      expect(request.request.method).toBe(method);
      expect(request.request.headers.get('X-UserToken')).toBe('token-1');
      request.flush({});
    },
  );

  it("keeps a request's own headers beside the token's, and sends each request the token of its moment", () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    const sendOne = (query: string, headers: Record<string, string> = {}) => {
      http.get(`${URL}?${query}`, { headers }).subscribe();
      const request = httpTesting.expectOne(`${URL}?${query}`);
      request.flush({});
      const sent = request.request.headers;
      return [sent.get('X-UserToken'), sent.get('X-No-Response-Challenge'), sent.get('Accept')];
    };
    expect(sendOne('own', { Accept: 'application/json' })).toEqual([
      'token-1',
      'true',
      'application/json',
    ]);
    expect(sendOne('plain')).toEqual(['token-1', 'true', null]);
    tokens.setToken('token-2');
    expect(sendOne('after')).toEqual(['token-2', 'true', null]);
    tokens.setToken('token-1');
    expect(sendOne('back')).toEqual(['token-1', 'true', null]);
  });

  it('does not overwrite a header the caller set, and does not retry that request', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    const outcome = watch(http.get(URL, { headers: { 'X-UserToken': 'mine' } }));
    tokens.rotate();
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'mine'), {
      currentToken: 'token-2',
    });
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(0);
  });

  it("sends ServiceNow's placeholder when there is no token, and recovers on the 401", () => {
    const { http, httpTesting, tokens } = setUp({ token: null }, form);
    tokens.rotate('token-2');
    const outcome = watch(http.get(URL));
    flushUserTokenRejection(
      expectOneWithToken(httpTesting, URL, 'token_intentionally_left_blank'),
      { requestToken: 'token_intentionally_left_blank' },
    );
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ result: [] });
    expect(outcome.values).toEqual([{ result: [] }]);
    expect(tokens.refreshCount).toBe(1);
    expect(tokens.rejections[0].token).toBeNull();
  });

  it('asks for no login challenge (X-No-Response-Challenge: true), unless told not to', () => {
    const { http, httpTesting } = setUp({ token: 'token-1' }, form);
    http.get(URL).subscribe();
    http.get('https://elsewhere.example/api').subscribe();
    expect(httpTesting.expectOne(URL).request.headers.get('X-No-Response-Challenge')).toBe('true');
    const outside = httpTesting.expectOne('https://elsewhere.example/api');
    expect(outside.request.headers.has('X-No-Response-Challenge')).toBe(false);
    [httpTesting.match(() => true), [outside]].flat().forEach((r) => r.flush({}));
    TestBed.resetTestingModule();
    const off = setUp({ token: 'token-1', noResponseChallenge: false }, form);
    off.http.get(URL).subscribe();
    const plain = off.httpTesting.expectOne(URL);
    expect(plain.request.headers.has('X-No-Response-Challenge')).toBe(false);
    expect(plain.request.headers.get('X-UserToken')).toBe('token-1');
    plain.flush({});
  });

  it('sends no header at all with placeholderToken: null', () => {
    const { http, httpTesting } = setUp({ token: null, placeholderToken: null }, form);
    http.get(URL).subscribe();
    expectOneWithToken(httpTesting, URL, null).flush({});
  });

  it('sends a configured placeholder', () => {
    const { http, httpTesting } = setUp({ token: null, placeholderToken: 'none-yet' }, form);
    http.get(URL).subscribe();
    expectOneWithToken(httpTesting, URL, 'none-yet').flush({});
  });

  it('uses the configured header name', () => {
    const { http, httpTesting } = setUp({ token: 'token-1', headerName: 'X-Csrf' }, form);
    http.get(URL).subscribe();
    const request = httpTesting.expectOne(URL);
    expect(request.request.headers.get('X-Csrf')).toBe('token-1');
    expect(request.request.headers.has('X-UserToken')).toBe(false);
    request.flush({});
  });

  it('leaves a request with SKIP_USER_TOKEN alone: no header, no refresh', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    const outcome = watch(http.get(URL, { context: new HttpContext().set(SKIP_USER_TOKEN, true) }));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, null), {
      currentToken: 'token-1',
    });
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(0);
  });

  it('sends a SKIP_TOKEN_REFRESH request with the token but passes its 401 through', () => {
    const { http, httpTesting, tokens, events } = setUp({ token: 'token-1' }, form);
    tokens.rotate();
    const outcome = watch(
      http.get(URL, { context: new HttpContext().set(SKIP_TOKEN_REFRESH, true) }),
    );
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'token-1'), {
      currentToken: 'token-2',
    });
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(0);
    expect(events).toEqual([]);
  });

  it('passes errors other than the refresh statuses through untouched', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    const outcome = watch(http.get(URL));
    httpTesting.expectOne(URL).flush({ error: {} }, { status: 403, statusText: 'Forbidden' });
    expect((outcome.error as HttpErrorResponse).status).toBe(403);
    expect(tokens.refreshCount).toBe(0);
  });

  it('refreshes on the statuses given in refreshOn', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1', refreshOn: [401, 403] }, form);
    tokens.rotate('token-2');
    const outcome = watch(http.get(URL));
    httpTesting.expectOne(URL).flush({}, { status: 403, statusText: 'Forbidden' });
    expectOneWithToken(httpTesting, URL, 'token-2').flush({ ok: true });
    expect(outcome.values).toEqual([{ ok: true }]);
  });

  it('never sends the token to another origin, even on a retry path', () => {
    const { http, httpTesting, tokens } = setUp({ token: 'token-1' }, form);
    const foreign = 'https://evil.test/api/now/table/incident';
    const outcome = watch(http.get(foreign));
    flushUserTokenRejection(expectOneWithToken(httpTesting, foreign, null), {
      currentToken: 'token-2',
    });
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(tokens.refreshCount).toBe(0);
  });
});

describe('userTokenInterceptor without provideUserToken()', () => {
  afterEach(() => {
    delete (window as unknown as Record<string, unknown>)['g_ck'];
  });

  it('reads window.g_ck and recovers from X-UserToken-Response on defaults', () => {
    (window as unknown as Record<string, unknown>)['g_ck'] = 'page-token';
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([userTokenInterceptor])),
        provideHttpClientTesting(),
      ],
    });
    const http = TestBed.inject(HttpClient);
    const httpTesting = TestBed.inject(HttpTestingController);

    const outcome = watch(http.get(URL));
    flushUserTokenRejection(expectOneWithToken(httpTesting, URL, 'page-token'), {
      currentToken: 'server-token',
    });
    expectOneWithToken(httpTesting, URL, 'server-token').flush({ result: [] });

    expect(outcome.values).toEqual([{ result: [] }]);
    expect((window as unknown as Record<string, unknown>)['g_ck']).toBe('server-token');
    httpTesting.verify();
  });
});

describe('userTokenOriginGuard, registered last', () => {
  const FOREIGN = 'https://api.other.example.net';
  /** A base-URL interceptor of the kind that runs after ours and moves requests elsewhere. */
  const rebase: HttpInterceptorFn = (req, next) =>
    next(req.url.startsWith('/reports/') ? req.clone({ url: FOREIGN + req.url }) : req);

  function setUpChain(interceptors: HttpInterceptorFn[]) {
    return setUpWith([
      provideHttpClient(withInterceptors(interceptors)),
      provideHttpClientTesting(),
      provideUserTokenTesting({ token: 'token-1' }),
    ]);
  }

  it('strips the token from a request a later interceptor sent to another origin', () => {
    const { http, httpTesting, events } = setUpChain([
      userTokenInterceptor,
      rebase,
      userTokenOriginGuard,
    ]);
    http.get('/reports/weekly').subscribe();
    http.get(URL).subscribe();
    const moved = httpTesting.expectOne(`${FOREIGN}/reports/weekly`);
    expect(moved.request.headers.has('X-UserToken')).toBe(false);
    expect(httpTesting.expectOne(URL).request.headers.get('X-UserToken')).toBe('token-1');
    expect(events).toEqual([
      { type: 'token-withheld', method: 'GET', url: `${FOREIGN}/reports/weekly` },
    ]);
  });

  it('strips a header the caller set for another origin', () => {
    const { http, httpTesting } = setUpChain([userTokenInterceptor, userTokenOriginGuard]);
    http.get(`${FOREIGN}/x`, { headers: { 'X-UserToken': 'leaked' } }).subscribe();
    expect(httpTesting.expectOne(`${FOREIGN}/x`).request.headers.has('X-UserToken')).toBe(false);
  });

  it('is what stops the leak: without it, the moved request carries the token', () => {
    const { http, httpTesting } = setUpChain([userTokenInterceptor, rebase]);
    http.get('/reports/weekly').subscribe();
    expect(
      httpTesting.expectOne(`${FOREIGN}/reports/weekly`).request.headers.get('X-UserToken'),
    ).toBe('token-1');
  });
});
