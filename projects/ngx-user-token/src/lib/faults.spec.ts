// Faults: whatever goes wrong with a refresh, nothing hangs, loops or gets lost, and the next
// request starts afresh. Runs the real default token source with a token page.
import {
  HttpClient,
  HttpErrorResponse,
  provideHttpClient,
  withInterceptors,
} from '@angular/common/http';
import {
  HttpTestingController,
  provideHttpClientTesting,
  TestRequest,
} from '@angular/common/http/testing';
import { ApplicationRef, Injectable } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import {
  provideUserToken,
  userTokenInterceptor,
  UserTokenRejection,
  UserTokenSource,
  withTokenPage,
  withUserTokenOptions,
} from 'ngx-user-token';
import { flushUserTokenRejection } from 'ngx-user-token/testing';
import { Observable } from 'rxjs';

import { setUpWith, watch } from '../../test/harness';

const LIST = '/api/now/table/incident';
const TOKEN_PAGE = '/x_token.do';
const OLD = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const NEW = 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100';
const TIMEOUT = 3000;
const page = window as unknown as Record<string, unknown>;

function setUp(maxInFlight?: number) {
  return setUpWith([
    provideHttpClient(withInterceptors([userTokenInterceptor])),
    provideHttpClientTesting(),
    provideUserToken(
      withTokenPage(TOKEN_PAGE),
      withUserTokenOptions({ refreshTimeout: TIMEOUT, ...(maxInFlight ? { maxInFlight } : {}) }),
    ),
  ]);
}

/** Sends `n` GETs, answers each first attempt with the instance's 401, and returns them. */
function burstRejected(http: HttpClient, httpTesting: HttpTestingController, n: number) {
  const outcomes = Array.from({ length: n }, (_, i) => watch(http.get(`${LIST}?n=${i}`)));
  httpTesting.match((r) => r.url.startsWith(LIST)).forEach((r) => flushUserTokenRejection(r));
  return outcomes;
}

type Answer = (tokenPage: TestRequest) => void;
const FAILURES: [string, Answer | null, string][] = [
  ['401', (r) => r.flush('', { status: 401, statusText: 'Unauthorized' }), 'failed'],
  ['403', (r) => r.flush('', { status: 403, statusText: 'Forbidden' }), 'failed'],
  ['500', (r) => r.flush('', { status: 500, statusText: 'Server Error' }), 'failed'],
  ['a network error (status 0)', (r) => r.error(new ProgressEvent('error')), 'failed'],
  [
    'an HTML login page',
    (r) => r.flush('<!doctype html><form action="/login.do"></form>'),
    'no-token',
  ],
  ['an empty body', (r) => r.flush(''), 'no-token'],
  ['the token that was rejected', (r) => r.flush(OLD), 'same-token'],
  ['nothing, ever', null, 'timeout'],
];

describe('when the token page fails', () => {
  beforeEach(() => {
    page['g_ck'] = OLD;
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
    delete page['g_ck'];
  });

  it.each(FAILURES)(
    'answering %s: every request errors in time, once retried at most, one refresh',
    (_, answer, reason) => {
      // Room for all five on the wire (background reads take half of maxInFlight).
      const { http, httpTesting, events } = setUp(10);
      const outcomes = burstRejected(http, httpTesting, 5);

      const tokenPages = httpTesting.match(TOKEN_PAGE);
      expect(tokenPages).toHaveLength(1);
      if (answer) {
        answer(tokenPages[0]);
      } else {
        jest.advanceTimersByTime(TIMEOUT - 1);
        expect(outcomes.some((o) => o.done)).toBe(false);
        jest.advanceTimersByTime(1);
        expect(tokenPages[0].cancelled).toBe(true);
      }

      for (const outcome of outcomes) {
        expect(outcome.error).toBeInstanceOf(HttpErrorResponse);
        expect((outcome.error as HttpErrorResponse).status).toBe(401);
      }
      httpTesting.expectNone((r) => r.url.startsWith(LIST)); // nobody was sent a second time
      httpTesting.expectNone(TOKEN_PAGE);
      expect(events.filter((e) => e.type === 'refresh-started')).toHaveLength(1);
      expect(events.find((e) => e.type === 'refresh-failed')).toMatchObject({ error: { reason } });
      expect(events.filter((e) => e.type === 'token-rejected')).toHaveLength(5);
      expect(JSON.stringify(events)).not.toContain(OLD);
      expect(page['g_ck']).toBe(OLD);

      // Later, the next request starts a fresh attempt, and this one succeeds.
      const later = watch(http.get(LIST));
      flushUserTokenRejection(httpTesting.expectOne(LIST));
      httpTesting.expectOne(TOKEN_PAGE).flush(NEW);
      httpTesting
        .expectOne((r) => r.url === LIST && r.headers.get('X-UserToken') === NEW)
        .flush({ ok: true });
      expect(later.values).toEqual([{ ok: true }]);
      httpTesting.verify();
    },
  );

  it('a retry that 401s again reaches the caller: two sends per request, one refresh', () => {
    const { http, httpTesting, events } = setUp(10);
    const outcomes = burstRejected(http, httpTesting, 5);
    httpTesting.expectOne(TOKEN_PAGE).flush(NEW);
    const retries = httpTesting.match((r) => r.url.startsWith(LIST));
    expect(retries.map((r) => r.request.headers.get('X-UserToken'))).toEqual(Array(5).fill(NEW));
    retries.forEach((r) => flushUserTokenRejection(r));

    expect(outcomes.every((o) => (o.error as HttpErrorResponse)?.status === 401)).toBe(true);
    httpTesting.expectNone((r) => r.url.startsWith(LIST));
    httpTesting.expectNone(TOKEN_PAGE);
    expect(events.filter((e) => e.type === 'refresh-started')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'request-retried')).toHaveLength(5);
    httpTesting.verify();
  });
});

/** A source whose refresh never ends by itself, and which counts live subscriptions to it. */
@Injectable()
class CountingSource extends UserTokenSource {
  token = 'token-1';
  live = 0;
  answer: ((token: string) => void) | null = null;
  current(): string | null {
    return this.token;
  }
  refresh(_: UserTokenRejection): Observable<string> {
    return new Observable<string>((subscriber) => {
      this.live++;
      this.answer = (token) => {
        this.token = token;
        subscriber.next(token);
        subscriber.complete();
      };
      return () => this.live--;
    });
  }
}

describe('cancellation', () => {
  function setUpCounting() {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([userTokenInterceptor])),
        provideHttpClientTesting(),
        { provide: UserTokenSource, useClass: CountingSource },
      ],
    });
    return {
      http: TestBed.inject(HttpClient),
      httpTesting: TestBed.inject(HttpTestingController),
      source: TestBed.inject(UserTokenSource) as CountingSource,
    };
  }

  it('leaves no subscription and no pending task behind when every request is cancelled', async () => {
    const { http, httpTesting, source } = setUpCounting();
    const stable: boolean[] = [];
    TestBed.inject(ApplicationRef).isStable.subscribe((s) => stable.push(s));
    const outcomes = Array.from({ length: 3 }, (_, i) => watch(http.get(`${LIST}?n=${i}`)));
    httpTesting.match(() => true).forEach((r) => flushUserTokenRejection(r));
    const waiting = watch(http.get(`${LIST}?late`)); // issued during the refresh: waits
    expect(source.live).toBe(1);

    outcomes.forEach((o) => o.unsubscribe());
    waiting.unsubscribe();
    expect(source.live).toBe(1); // the refresh goes on: others may need it, and it is bounded
    source.answer!('token-2');
    expect(source.live).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stable.at(-1)).toBe(true);
    httpTesting.expectNone(() => true); // nothing was sent for the cancelled requests
    httpTesting.verify();
  });

  it('cancelling any one request never breaks the others', () => {
    const { http, httpTesting, source } = setUpCounting();
    const outcomes = Array.from({ length: 4 }, (_, i) => watch(http.get(`${LIST}?n=${i}`)));
    httpTesting.match(() => true).forEach((r) => flushUserTokenRejection(r));
    outcomes[0].unsubscribe();
    outcomes[2].unsubscribe();
    source.answer!('token-2');
    // n=1 again, and n=3, which waited in the browser (three on the wire) and went after the refresh.
    const retries = httpTesting.match(() => true);
    expect(retries.map((r) => r.request.urlWithParams).sort()).toEqual([
      `${LIST}?n=1`,
      `${LIST}?n=3`,
    ]);
    retries.forEach((r) => r.flush({ ok: r.request.urlWithParams }));
    expect(outcomes[1].values).toEqual([{ ok: `${LIST}?n=1` }]);
    expect(outcomes[3].values).toEqual([{ ok: `${LIST}?n=3` }]);
    expect(outcomes[0].values).toEqual([]);
    httpTesting.verify();
  });
});

describe('the token in errors, logs and events', () => {
  afterEach(() => delete page['g_ck']);

  it('never appears unmasked, in success or failure', () => {
    page['g_ck'] = OLD;
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation(() => undefined),
    );
    const { http, httpTesting, events } = setUp();

    // A refresh that works (through X-UserToken-Response), one that fails, one session expiry.
    watch(http.get(LIST));
    flushUserTokenRejection(httpTesting.expectOne(LIST), { currentToken: NEW });
    httpTesting.expectOne(LIST).flush({});
    page['g_ck'] = OLD;
    const failed = watch(http.get(LIST));
    flushUserTokenRejection(httpTesting.expectOne(LIST));
    httpTesting.expectOne(TOKEN_PAGE).flush(OLD);
    const expired = watch(http.get(LIST));
    flushUserTokenRejection(httpTesting.expectOne(LIST), { sessionLoggedIn: false });
    const errors = [failed.error, expired.error];

    expect(errors.every((e) => e instanceof HttpErrorResponse)).toBe(true);
    const everything =
      JSON.stringify(errors) +
      JSON.stringify(events) +
      events.map((e) => ('error' in e ? e.error.message : '')).join();
    for (const token of [OLD, NEW]) {
      expect(everything).not.toContain(token);
      for (const spy of spies) {
        expect(JSON.stringify(spy.mock.calls)).not.toContain(token);
      }
    }
    expect(events.find((e) => e.type === 'token-refreshed')).toMatchObject({ token: 'ffee…(64)' });
    spies.forEach((s) => s.mockRestore());
    httpTesting.verify();
  });
});
