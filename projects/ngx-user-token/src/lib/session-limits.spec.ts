// The instance's session limits, seen from the app: at most `maxInFlight` requests of an origin on
// the wire (an instance runs two of a session's transactions, lets ten wait and ignores the rest),
// the 202 an instance answers a request it ignored, and the 429 of a rate limit rule.
import {
  HttpClient,
  HttpContext,
  HttpErrorResponse,
  HttpHeaders,
  ɵREQUESTS_CONTRIBUTE_TO_STABILITY,
} from '@angular/common/http';
import { HttpTestingController, TestRequest } from '@angular/common/http/testing';
import { ApplicationRef, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SKIP_TOKEN_REFRESH, SKIP_USER_TOKEN, USER_WAITING, UserTokenEvent } from 'ngx-user-token';
import { flushUserTokenRejection } from 'ngx-user-token/testing';

import { INTERCEPTOR_FORMS, Outcome, setUp, watch } from '../../test/harness';

const URL = '/api/now/table/incident';
const OTHER_INSTANCE = 'https://other.service-now.com';

/**
 * The requests on the wire whose URL starts with `prefix`, oldest first. `match` hands each open
 * request out once, so this keeps those not yet answered (or cancelled).
 */
class Wire {
  private open: TestRequest[] = [];
  constructor(
    private readonly httpTesting: HttpTestingController,
    private readonly prefix = URL,
  ) {}

  get requests(): TestRequest[] {
    this.open = [
      ...this.open.filter((r) => !r.cancelled),
      ...this.httpTesting.match((r) => r.url.startsWith(this.prefix)),
    ];
    return this.open;
  }

  /** The oldest request on the wire, to answer. */
  take(): TestRequest {
    const [oldest] = this.requests;
    this.open.shift();
    return oldest;
  }
}
const numbers = (requests: TestRequest[]) =>
  requests.map((r) => Number(new URLSearchParams(r.request.urlWithParams.split('?')[1]).get('n')));
const burst = (
  http: HttpClient,
  n: number,
  url = URL,
): (Outcome<unknown> & { unsubscribe(): void })[] =>
  Array.from({ length: n }, (_, i) => watch(http.get(`${url}?n=${i}`)));
const queued = (events: UserTokenEvent[]) =>
  events.filter((e) => e.type === 'request-queued').map((e) => (e as { waiting: number }).waiting);

describe.each(INTERCEPTOR_FORMS)('session limits (%s form)', (form) => {
  afterEach(() => {
    TestBed.inject(HttpTestingController).verify();
    jest.useRealTimers();
  });

  describe('the queue', () => {
    it('keeps at most 3 background reads of the origin on the wire (half of maxInFlight: 6); the rest leave in order', () => {
      const { http, httpTesting, events } = setUp({}, form);
      const outcomes = burst(http, 20);

      const wire = new Wire(httpTesting);
      expect(numbers(wire.requests)).toEqual([0, 1, 2]);
      expect(queued(events)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));

      const seen: number[] = [];
      while (wire.requests.length > 0) {
        expect(wire.requests.length).toBeLessThanOrEqual(3);
        const oldest = wire.take();
        seen.push(numbers([oldest])[0]);
        oldest.flush({ result: [] });
      }
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(outcomes.every((o) => o.done && o.values.length === 1 && !o.error)).toBe(true);
    });

    it('never sends a request cancelled while it waits, and the queue moves on', () => {
      const { http, httpTesting } = setUp({ maxInFlight: 4 }, form);
      const wire = new Wire(httpTesting);
      const outcomes = burst(http, 5);
      outcomes[2].unsubscribe();
      outcomes[3].unsubscribe();

      expect(numbers(wire.requests)).toEqual([0, 1]);
      wire.take().flush({});
      wire.take().flush({});
      // n=2 and n=3 were skipped: n=4 took a freed place.
      expect(numbers(wire.requests)).toEqual([4]);
      wire.take().flush({});
      expect(outcomes.map((o) => o.done)).toEqual([true, true, false, false, true]);
    });

    it('frees the place of a request cancelled on the wire', () => {
      const { http, httpTesting } = setUp({ maxInFlight: 1 }, form);
      const wire = new Wire(httpTesting);
      const [first, second] = burst(http, 2);
      expect(numbers(wire.requests)).toEqual([0]);
      first.unsubscribe();
      expect(numbers(wire.requests)).toEqual([1]);
      wire.take().flush({});
      expect(second.done).toBe(true);
    });

    it('lets requests out of scope, SKIP_USER_TOKEN, SKIP_TOKEN_REFRESH and a caller-set header pass a full queue', () => {
      const { http, httpTesting } = setUp({ maxInFlight: 1 }, form);
      const wire = new Wire(httpTesting);
      burst(http, 3);
      const skipToken = new HttpContext().set(SKIP_USER_TOKEN, true);
      const skipRefresh = new HttpContext().set(SKIP_TOKEN_REFRESH, true);
      const passing = [
        watch(http.get('https://elsewhere.example/x')),
        watch(http.get('/api/skip-token', { context: skipToken })),
        watch(http.get('/api/skip-refresh', { context: skipRefresh })),
        watch(http.get('/api/own-header', { headers: { 'X-UserToken': 'mine' } })),
      ];
      for (const url of [
        'https://elsewhere.example/x',
        '/api/skip-token',
        '/api/skip-refresh',
        '/api/own-header',
      ]) {
        httpTesting.expectOne(url).flush({});
      }
      expect(passing.every((o) => o.done)).toBe(true);
      expect(numbers(wire.requests)).toEqual([0]);
      for (let i = 0; i < 3; i++) {
        wire.take().flush({});
      }
    });

    it('shares one refresh among 100 queued requests that all get a 401, never more than 3 on the wire', () => {
      const { http, httpTesting, tokens, events } = setUp({}, form);
      tokens.rotate('token-2');
      const wire = new Wire(httpTesting);
      const outcomes = burst(http, 100);
      let most = 0;
      let rejected = 0;
      while (wire.requests.length > 0) {
        most = Math.max(most, wire.requests.length);
        const oldest = wire.take();
        if (oldest.request.headers.get('X-UserToken') === 'token-1') {
          rejected++;
          flushUserTokenRejection(oldest);
        } else {
          oldest.flush({ result: [] });
        }
      }
      expect(most).toBe(3);
      expect(tokens.refreshCount).toBe(1);
      // The three on the wire when the token rotated got a 401; the 97 queued left with token-2.
      expect(rejected).toBe(3);
      expect(events.filter((e) => e.type === 'request-retried')).toHaveLength(3);
      expect(outcomes.every((o) => o.values.length === 1 && !o.error)).toBe(true);
    });

    it('counts a retry that goes at once (the page had a newer token) against the limit', () => {
      const { http, httpTesting, tokens } = setUp({ maxInFlight: 1 }, form);
      const wire = new Wire(httpTesting);
      const [first, second] = burst(http, 2);
      tokens.setToken('token-2');
      flushUserTokenRejection(wire.take());
      // n=0's retry queued behind n=1, which waited first: one on the wire, with the new token.
      expect(numbers(wire.requests)).toEqual([1]);
      expect(wire.requests[0].request.headers.get('X-UserToken')).toBe('token-2');
      wire.take().flush({});
      expect(numbers(wire.requests)).toEqual([0]);
      wire.take().flush({});
      expect([first.done, second.done]).toEqual([true, true]);
      expect(tokens.refreshCount).toBe(0);
    });

    it('gives every place back after retries, so later requests never wait for nothing', () => {
      const { http, httpTesting, tokens } = setUp({ maxInFlight: 4 }, form);
      const wire = new Wire(httpTesting);
      for (let round = 2; round <= 4; round++) {
        const outcome = watch(http.get(`${URL}?n=${round}`));
        tokens.setToken(`token-${round}`);
        flushUserTokenRejection(wire.take());
        wire.take().flush({});
        expect(outcome.done).toBe(true);
      }
      burst(http, 2);
      expect(numbers(wire.requests)).toEqual([0, 1]);
      wire.requests.forEach((r) => r.flush({}));
    });

    it('gives each instance origin its own queue', () => {
      const { http, httpTesting } = setUp(
        { maxInFlight: 4, allowedOrigins: [OTHER_INSTANCE] },
        form,
      );
      const here = new Wire(httpTesting);
      const there = new Wire(httpTesting, OTHER_INSTANCE);
      burst(http, 3);
      burst(http, 3, `${OTHER_INSTANCE}${URL}`);
      expect(here.requests).toHaveLength(2);
      expect(there.requests).toHaveLength(2);
      for (let i = 0; i < 3; i++) {
        here.take().flush({});
        there.take().flush({});
      }
    });

    it('is off with maxInFlight: Infinity', () => {
      const { http, httpTesting, events } = setUp({ maxInFlight: Infinity }, form);
      burst(http, 40);
      const wire = new Wire(httpTesting).requests;
      expect(wire).toHaveLength(40);
      expect(queued(events)).toEqual([]);
      wire.forEach((r) => r.flush({}));
    });

    it('lets the requests a user waits for go first — a write, priority: high, USER_WAITING: they may take the places background reads leave free, then wait in the line that leaves first', () => {
      const { http, httpTesting, events } = setUp({ maxInFlight: 2 }, form);
      const wire = new Wire(httpTesting, '/api/');
      const paths = (requests: TestRequest[]) =>
        requests.map(
          (r) => `${r.request.method} ${r.request.urlWithParams.replace(/^\/api\//, '')}`,
        );
      burst(http, 6, '/api/list'); // the page's background reads: 1 on the wire (half), 5 wait
      const click = [
        watch(http.post('/api/save', {})),
        watch(http.get('/api/high', { priority: 'high' })),
        watch(http.get('/api/flagged', { context: new HttpContext().set(USER_WAITING, true) })),
        watch(http.delete('/api/remove')),
      ];
      // The save took the place the background reads leave free; the rest wait, first in line.
      expect(paths(wire.requests)).toEqual(['GET list?n=0', 'POST save']);
      expect(
        events
          .filter((e) => e.type === 'request-queued')
          .map((e) => [e.method, e.waiting, e.priority]),
      ).toEqual([
        ['GET', 1, false],
        ['GET', 2, false],
        ['GET', 3, false],
        ['GET', 4, false],
        ['GET', 5, false],
        ['GET', 6, true],
        ['GET', 7, true],
        ['DELETE', 8, true],
      ]);

      const left: string[] = [];
      while (wire.requests.length > 0) {
        const oldest = wire.take();
        left.push(paths([oldest])[0]);
        oldest.flush({});
      }
      expect(left).toEqual([
        'GET list?n=0',
        'POST save',
        'GET high',
        'GET flagged',
        'DELETE remove',
        ...[1, 2, 3, 4, 5].map((n) => `GET list?n=${n}`),
      ]);
      expect(click.every((o) => o.done && !o.error)).toBe(true);
    });

    it('never holds a background request behind more than 4 requests a user waits for', () => {
      const { http, httpTesting } = setUp({ maxInFlight: 1 }, form);
      const wire = new Wire(httpTesting, '/api/');
      const urls: string[] = [];
      const answerOldest = () => {
        const oldest = wire.take();
        urls.push(oldest.request.url);
        oldest.flush({});
      };
      watch(http.get('/api/first'));
      const background = [
        watch(http.get('/api/background-1')),
        watch(http.get('/api/background-2')),
      ];
      // A steady stream of writes: one more arrives each time one leaves.
      for (let i = 0; i < 5; i++) {
        watch(http.post(`/api/write-${i}`, {}));
      }
      for (let i = 5; wire.requests.length > 0; i++) {
        answerOldest();
        if (i < 14) {
          watch(http.post(`/api/write-${i}`, {}));
        }
      }
      expect(urls.map((u) => u.replace('/api/', ''))).toEqual([
        'first',
        'write-0',
        'write-1',
        'write-2',
        'write-3',
        'background-1',
        'write-4',
        'write-5',
        'write-6',
        'write-7',
        'background-2',
        ...Array.from({ length: 6 }, (_, i) => `write-${i + 8}`),
      ]);
      expect(background.every((o) => o.done)).toBe(true);
    });

    it('keeps a zoneless app unstable while a request waits', async () => {
      // Angular counts every request, from the interceptors on, as pending work (the testing
      // backend turns that off; an app has it on): a request that waits here counts too.
      const { http, httpTesting } = setUp({ maxInFlight: 1 }, form, [
        provideZonelessChangeDetection(),
        { provide: ɵREQUESTS_CONTRIBUTE_TO_STABILITY, useValue: true },
      ]);
      const app = TestBed.inject(ApplicationRef);
      const wire = new Wire(httpTesting);
      const [first, second] = burst(http, 2);
      let stable = false;
      const settled = app.whenStable().then(() => (stable = true));
      wire.take().flush({});
      await new Promise((resolve) => setTimeout(resolve, 0));
      // The first is done; the second, which waited for its place, is on the wire now.
      expect(first.done).toBe(true);
      expect(stable).toBe(false);
      wire.take().flush({});
      await settled;
      expect(second.done).toBe(true);
    });
  });

  describe('a request the instance ignored (202, no body)', () => {
    it('sends a GET again once after a second; a second 202 reaches the caller as "Request ignored"', () => {
      jest.useFakeTimers();
      const { http, httpTesting, events } = setUp({}, form);
      const outcome = watch(http.get(URL));
      httpTesting.expectOne(URL).flush(null, { status: 202, statusText: 'Accepted' });
      jest.advanceTimersByTime(999);
      httpTesting.expectNone(URL);
      jest.advanceTimersByTime(1);
      httpTesting.expectOne(URL).flush(null, { status: 202, statusText: 'Accepted' });

      const error = outcome.error as HttpErrorResponse;
      expect(error).toBeInstanceOf(HttpErrorResponse);
      expect([error.status, error.statusText]).toEqual([202, 'Request ignored']);
      expect(error.error).toMatch(/ignored GET .* its session's queue was full/);
      expect(events.filter((e) => e.type === 'request-ignored')).toEqual([
        { type: 'request-ignored', method: 'GET', url: URL, retried: true, wait: 1000 },
        { type: 'request-ignored', method: 'GET', url: URL, retried: false, wait: 1000 },
      ]);
    });

    it('gives a GET the answer of its second sending', () => {
      jest.useFakeTimers();
      const { http, httpTesting } = setUp({}, form);
      const outcome = watch(http.get(URL));
      httpTesting.expectOne(URL).flush(null, { status: 202, statusText: 'Accepted' });
      jest.advanceTimersByTime(1000);
      httpTesting.expectOne(URL).flush({ result: [1] });
      expect(outcome.values).toEqual([{ result: [1] }]);
      expect(outcome.error).toBeUndefined();
    });

    it('never sends a write again: the caller learns it was ignored', () => {
      jest.useFakeTimers();
      const { http, httpTesting, events } = setUp({}, form);
      const outcome = watch(http.post(URL, { short_description: 'x' }));
      httpTesting.expectOne(URL).flush(null, { status: 202, statusText: 'Accepted' });
      jest.advanceTimersByTime(5000);
      httpTesting.expectNone(URL);
      expect((outcome.error as HttpErrorResponse).statusText).toBe('Request ignored');
      expect(events.find((e) => e.type === 'request-ignored')).toMatchObject({
        method: 'POST',
        retried: false,
      });
    });

    it('leaves a 202 with a body, or a text response, alone', () => {
      const { http, httpTesting } = setUp({}, form);
      const withBody = watch(http.post(URL, {}));
      httpTesting
        .expectOne(URL)
        .flush({ result: 'queued' }, { status: 202, statusText: 'Accepted' });
      const text = watch(http.post('/api/x_acme/jobs', {}, { responseType: 'text' }));
      httpTesting.expectOne('/api/x_acme/jobs').flush('', { status: 202, statusText: 'Accepted' });
      expect(withBody.values).toEqual([{ result: 'queued' }]);
      expect(text.values).toEqual(['']);
    });
  });

  describe('a rate limit rule (429)', () => {
    const limited = (retryAfter?: string) => ({
      status: 429,
      statusText: 'Too Many Requests',
      headers: new HttpHeaders({
        'X-RateLimit-Limit': '100',
        ...(retryAfter === undefined ? {} : { 'Retry-After': retryAfter }),
      }),
    });
    const body = {
      error: {
        message: 'Rate limit exceeded',
        detail: 'Rate limit of 100 requests per hour for Table API exceeded',
      },
      status: 'failure',
    };

    it('sends a GET again once after Retry-After, holding no place while it waits', () => {
      jest.useFakeTimers();
      const { http, httpTesting, events } = setUp({ maxInFlight: 1 }, form);
      const wire = new Wire(httpTesting);
      const [first, second] = burst(http, 2);
      wire.take().flush(body, limited('2'));
      // n=0 waits out its two seconds; n=1 took the place meanwhile.
      expect(numbers(wire.requests)).toEqual([1]);
      wire.take().flush({ result: [] });
      jest.advanceTimersByTime(1999);
      expect(wire.requests).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(numbers(wire.requests)).toEqual([0]);
      wire.take().flush({ result: [0] });
      expect(first.values).toEqual([{ result: [0] }]);
      expect(second.done).toBe(true);
      expect(events.find((e) => e.type === 'rate-limited')).toEqual({
        type: 'rate-limited',
        method: 'GET',
        url: `${URL}?n=0`,
        retried: true,
        wait: 2000,
      });
    });

    it('hands the caller the 429 when Retry-After is beyond rateLimitMaxWait, absent, or a second 429 comes', () => {
      jest.useFakeTimers();
      const { http, httpTesting, events } = setUp({ rateLimitMaxWait: 5000 }, form);
      const wire = new Wire(httpTesting);
      const far = watch(http.get(`${URL}?n=0`));
      wire.take().flush(body, limited('6'));
      const none = watch(http.get(`${URL}?n=1`));
      wire.take().flush(body, limited());
      const twice = watch(http.get(`${URL}?n=2`));
      wire.take().flush(body, limited('1'));
      jest.advanceTimersByTime(1000);
      wire.take().flush(body, limited('1'));
      jest.advanceTimersByTime(10_000);
      expect(wire.requests).toEqual([]);

      for (const outcome of [far, none, twice]) {
        expect((outcome.error as HttpErrorResponse).status).toBe(429);
        expect((outcome.error as HttpErrorResponse).error).toEqual(body);
      }
      expect(
        events
          .filter((e) => e.type === 'rate-limited')
          .map((e) => [(e as { retried: boolean }).retried, (e as { wait: number }).wait]),
      ).toEqual([
        [false, 6000],
        [false, NaN],
        [true, 1000],
        [false, 1000],
      ]);
    });

    it('never sends a write again', () => {
      jest.useFakeTimers();
      const { http, httpTesting } = setUp({}, form);
      const outcome = watch(http.patch(`${URL}/abc`, { state: 2 }));
      httpTesting.expectOne(`${URL}/abc`).flush(body, limited('1'));
      jest.advanceTimersByTime(5000);
      httpTesting.expectNone(`${URL}/abc`);
      expect((outcome.error as HttpErrorResponse).status).toBe(429);
    });

    it('sends nothing when the caller cancels during the wait', () => {
      jest.useFakeTimers();
      const { http, httpTesting } = setUp({}, form);
      const outcome = watch(http.get(URL));
      httpTesting.expectOne(URL).flush(body, limited('3'));
      outcome.unsubscribe();
      jest.advanceTimersByTime(5000);
      httpTesting.expectNone(URL);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('waits never with rateLimitMaxWait: 0', () => {
      const { http, httpTesting } = setUp({ rateLimitMaxWait: 0 }, form);
      const outcome = watch(http.get(URL));
      httpTesting.expectOne(URL).flush(body, limited('1'));
      expect((outcome.error as HttpErrorResponse).status).toBe(429);
    });
  });
});
