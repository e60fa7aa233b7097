// The token never follows a redirect: requests that carry it leave with `redirect: 'manual'`, and
// where a redirect leads is found without the token — sent again there when that is the instance
// (GET, HEAD, OPTIONS), refused when it is anywhere else. A backend that answers like Angular's
// fetch backend stands in for the browser here; the browser tests show the real thing.
import {
  HttpBackend,
  HttpClient,
  HttpErrorResponse,
  HttpEvent,
  HttpEventType,
  HttpRequest,
  HttpResponse,
  HttpXhrBackend,
  provideHttpClient,
  withInterceptors,
} from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import {
  SessionExpiredEvent,
  UserTokenEvent,
  UserTokenEvents,
  userTokenInterceptor,
} from 'ngx-user-token';
import { Observable, of } from 'rxjs';

import { watch } from '../../test/harness';

const page = window as unknown as Record<string, unknown>;

/** What the browser would do with each request: a function of the request. */
type Answer = (req: HttpRequest<unknown>) => HttpEvent<unknown> | HttpErrorResponse;

class ScriptedBackend implements HttpBackend {
  readonly sent: HttpRequest<unknown>[] = [];
  constructor(private readonly answer: Answer) {}

  handle(req: HttpRequest<unknown>): Observable<HttpEvent<unknown>> {
    this.sent.push(req);
    return new Observable((subscriber) => {
      const result = this.answer(req);
      if (result instanceof HttpErrorResponse) {
        subscriber.error(result);
      } else {
        subscriber.next({ type: HttpEventType.Sent });
        subscriber.next(result);
        subscriber.complete();
      }
    });
  }
}

/** A redirect the fetch backend did not follow (`redirect: 'manual'`): status 0, opaque. */
function opaqueRedirect(req: HttpRequest<unknown>): HttpErrorResponse {
  return Object.assign(new HttpErrorResponse({ status: 0, url: req.urlWithParams }), {
    responseType: 'opaqueredirect',
  });
}

function setUp(answer: Answer) {
  const backend = new ScriptedBackend(answer);
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(withInterceptors([userTokenInterceptor])),
      { provide: HttpBackend, useValue: backend },
    ],
  });
  const events: UserTokenEvent[] = [];
  TestBed.inject(UserTokenEvents).events.subscribe((e) => events.push(e));
  return { http: TestBed.inject(HttpClient), backend, events };
}

const origin = () => new URL(document.URL).origin;
const isUserQuestion = (req: HttpRequest<unknown>) => req.url.includes('/api/now/table/sys_user');
const redirectOf = (req: HttpRequest<unknown>) => (req as { redirect?: string }).redirect;

describe('redirects of requests that carry the token', () => {
  beforeEach(() => (page['g_ck'] = 'token-1'));
  afterEach(() => delete page['g_ck']);

  it('are not followed by the browser: the token leaves with redirect "manual"', () => {
    const { http, backend } = setUp((req) => new HttpResponse({ status: 200, url: req.url }));
    watch(http.get('/api/now/table/incident'));
    expect(backend.sent.map((r) => [r.headers.get('X-UserToken'), redirectOf(r)])).toEqual([
      ['token-1', 'manual'],
    ]);
  });

  it('are left to the XHR backend, which cannot stop them: no redirect option (it would warn on each request), one warning at startup', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const sent: HttpRequest<unknown>[] = [];
    const handle = jest.spyOn(HttpXhrBackend.prototype, 'handle').mockImplementation((req) => {
      sent.push(req);
      return of(new HttpResponse({ status: 200, body: {}, url: req.url }));
    });
    try {
      TestBed.configureTestingModule({
        providers: [
          provideHttpClient(withInterceptors([userTokenInterceptor])),
          // The default before Angular 22; named, so the test means XHR on every version.
          { provide: HttpBackend, useExisting: HttpXhrBackend },
        ],
      });
      const http = TestBed.inject(HttpClient);
      watch(http.get('/api/now/table/incident'));
      watch(http.get('/api/now/table/problem'));
      expect(sent.map((r) => [r.headers.get('X-UserToken'), redirectOf(r)])).toEqual([
        ['token-1', undefined],
        ['token-1', undefined],
      ]);
      const warnings = warn.mock.calls.map((call) => String(call[0]));
      expect(warnings.filter((w) => w.includes('withFetch()'))).toHaveLength(1);
      expect(warnings.filter((w) => w.includes('NG02817'))).toEqual([]);
    } finally {
      handle.mockRestore();
      warn.mockRestore();
    }
  });

  it('keeps an app’s redirect "error"', () => {
    const { http, backend } = setUp((req) => new HttpResponse({ status: 200, url: req.url }));
    watch(http.get('/api/now/table/incident', { redirect: 'error' } as object));
    expect(redirectOf(backend.sent[0])).toBe('error');
  });

  it('go on within the instance for a GET: found without the token, then sent there with it', () => {
    const moved = `${origin()}/api/now/v2/table/incident`;
    const { http, backend } = setUp((req) =>
      req.url.endsWith('/api/now/table/incident')
        ? req.method === 'HEAD'
          ? new HttpResponse({ status: 401, url: moved })
          : opaqueRedirect(req)
        : new HttpResponse({ status: 200, body: { result: [] }, url: req.url }),
    );
    const list = watch(http.get('/api/now/table/incident'));
    expect(list.error).toBeUndefined();
    expect(list.values).toEqual([{ result: [] }]);
    expect(
      backend.sent.map((r) => [r.method, r.url, r.headers.get('X-UserToken'), redirectOf(r)]),
    ).toEqual([
      ['GET', '/api/now/table/incident', 'token-1', 'manual'],
      ['HEAD', '/api/now/table/incident', null, 'follow'],
      ['GET', moved, 'token-1', 'manual'],
    ]);
  });

  it('are followed without the browser’s login challenge: the follow asks for none', () => {
    const { http, backend } = setUp((req) =>
      req.method === 'HEAD'
        ? new HttpResponse({ status: 401, url: `${origin()}/api/now/v2/table/incident` })
        : req.url.includes('/v2/')
          ? new HttpResponse({ status: 200, body: { result: [] }, url: req.url })
          : opaqueRedirect(req),
    );
    watch(http.get('/api/now/table/incident'));
    const follow = backend.sent.find((r) => r.method === 'HEAD')!;
    expect(follow.headers.get('X-No-Response-Challenge')).toBe('true');
    expect(follow.headers.has('X-UserToken')).toBe(false);
  });

  it('that the instance makes only past its session check are not followed, and end nothing', () => {
    // The follow without the token stays where it was (the instance's 401): where the redirect
    // leads only a request with the token would show.
    const { http, backend, events } = setUp((req) =>
      req.method === 'HEAD' ? new HttpResponse({ status: 401, url: req.url }) : opaqueRedirect(req),
    );
    const list = watch(http.get('/api/now/table/incident'));
    expect(list.error).toMatchObject({ status: 0, statusText: 'Redirect not followed' });
    expect(backend.sent.filter((r) => r.method === 'GET')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'session-expired')).toEqual([]);
  });

  it('a second time, after the resend, fail the request and end nothing', () => {
    const { http, backend, events } = setUp((req) =>
      req.method === 'HEAD'
        ? new HttpResponse({ status: 200, url: `${origin()}/api/now/v2/table/incident` })
        : opaqueRedirect(req),
    );
    const list = watch(http.get('/api/now/table/incident'));
    expect(list.error).toMatchObject({ status: 0, statusText: 'Redirect not followed' });
    // Once to the first URL, once to where it led; no more (retries: 1).
    expect(backend.sent.filter((r) => r.method === 'GET')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'session-expired')).toEqual([]);
  });

  it('to another origin fail the request with "Redirect not followed": the token never goes there', () => {
    const { http, backend, events } = setUp((req) =>
      req.method === 'HEAD'
        ? new HttpResponse({ status: 200, url: 'https://evil.example/collect' })
        : isUserQuestion(req)
          ? new HttpResponse({ status: 200, body: { result: [{ sys_id: 'abel' }] }, url: req.url })
          : opaqueRedirect(req),
    );
    for (const send of [
      () => http.get('/api/now/table/incident'),
      () => http.post('/api/now/table/incident', {}),
    ]) {
      const outcome = watch(send());
      expect(outcome.error).toBeInstanceOf(HttpErrorResponse);
      expect(outcome.error).toMatchObject({ status: 0, statusText: 'Redirect not followed' });
      expect(String((outcome.error as HttpErrorResponse).error)).toContain('https://evil.example');
    }
    const withToken = backend.sent.filter((r) => r.headers.has('X-UserToken'));
    // The two requests, and the instance asked whether its API redirects too: the instance only.
    expect(withToken.length).toBeGreaterThanOrEqual(2);
    expect(new Set(withToken.map((r) => new URL(r.url, document.URL).origin))).toEqual(
      new Set([origin()]),
    );
    expect(events.filter((e) => e.type === 'session-expired')).toEqual([]);
  });

  it('within the instance fail a write instead of sending it twice', () => {
    const { http, backend } = setUp((req) =>
      req.method === 'HEAD'
        ? new HttpResponse({ status: 200, url: `${origin()}/api/now/table/problem` })
        : opaqueRedirect(req),
    );
    const create = watch(http.post('/api/now/table/incident', {}));
    expect(create.error).toMatchObject({ status: 0, statusText: 'Redirect not followed' });
    expect(backend.sent.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('to nowhere readable (an identity provider) end the session when the API itself redirects too', () => {
    const { http, backend, events } = setUp((req) =>
      req.method === 'HEAD'
        ? new HttpErrorResponse({ status: 0, url: req.url })
        : opaqueRedirect(req),
    );
    const lists = [1, 2, 3].map(() => watch(http.get('/api/now/table/incident')));
    for (const list of lists) {
      expect(list.error).toMatchObject({ status: 401, statusText: 'Session ended' });
    }
    const expired = events.filter((e): e is SessionExpiredEvent => e.type === 'session-expired');
    expect(expired.map((e) => e.error.reason)).toEqual(['login-page']);
    // The API was asked whether it redirects at most once per failure, never followed with the token.
    expect(backend.sent.filter(isUserQuestion).length).toBeLessThanOrEqual(3);
    expect(backend.sent.filter((r) => r.headers.has('X-UserToken')).map(redirectOf)).not.toContain(
      'follow',
    );
  });

  it('to nowhere readable, while the API answers, fail the request without ending the session', () => {
    const { http, events } = setUp((req) =>
      req.method === 'HEAD'
        ? new HttpErrorResponse({ status: 0, url: req.url })
        : isUserQuestion(req)
          ? new HttpResponse({ status: 200, body: { result: [{ sys_id: 'abel' }] }, url: req.url })
          : opaqueRedirect(req),
    );
    const list = watch(http.get('/api/now/table/incident'));
    expect(list.error).toMatchObject({ status: 0, statusText: 'Redirect not followed' });
    expect(events.filter((e) => e.type === 'session-expired')).toEqual([]);
  });

  it('to the instance’s login page end the session, as before', () => {
    const { http, events } = setUp((req) =>
      req.method === 'HEAD'
        ? new HttpResponse({ status: 200, url: `${origin()}/login.do?sysparm_goto_url=x` })
        : opaqueRedirect(req),
    );
    watch(http.get('/api/now/table/incident'));
    const expired = events.filter((e): e is SessionExpiredEvent => e.type === 'session-expired');
    expect(expired.map((e) => e.error.reason)).toEqual(['login-page']);
  });
});
