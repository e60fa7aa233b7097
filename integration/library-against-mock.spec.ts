// The library, through Angular's real HttpClient (fetch backend), against the mock instance over
// loopback: a page served by the instance, its session cookie, and its window.g_ck.
import {
  HttpClient,
  HttpErrorResponse,
  provideHttpClient,
  withFetch,
  withInterceptors,
} from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import {
  provideUserToken,
  UserTokenEvent,
  UserTokenEvents,
  userTokenInterceptor,
  withTokenPage,
  withUserTokenOptions,
} from 'ngx-user-token';
import { firstValueFrom } from 'rxjs';

import { MockInstance, startMockInstance } from '../projects/mock-instance/src/index';
import { logInAndLoadPage } from './page';

declare const __setPageUrl: (url: string) => void;
const page = window as unknown as { g_ck?: string };
const LIST =
  '/api/now/table/incident?sysparm_query=active=true^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()&sysparm_fields=number';

let instance: MockInstance;
let http: HttpClient;
let events: UserTokenEvent[];

async function post(path: string, body?: unknown): Promise<void> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

const COUNTS = [
  'api',
  'unauthorized',
  'challenged',
  'ssoLogin',
  'tokenPage',
  'rotations',
  'ignored',
] as const;

/** What the server counted of the user's requests: API calls, 401s, token pages, ignored ones. */
async function stats(): Promise<Record<(typeof COUNTS)[number], number>> {
  const counts = (await (await fetch('/mock/stats')).json()) as Record<string, number>;
  return Object.fromEntries(COUNTS.map((name) => [name, counts[name]])) as Awaited<
    ReturnType<typeof stats>
  >;
}

function get(url = LIST): Promise<{ result: { number: string }[] }> {
  return firstValueFrom(http.get<{ result: { number: string }[] }>(url));
}

beforeAll(async () => {
  instance = await startMockInstance({ dev: true });
  __setPageUrl(`${instance.url}/`);
});
afterAll(() => instance.close());

beforeEach(async () => {
  await logInAndLoadPage();
  await post('/mock/config', {
    tokenResponseHeader: true,
    allowResubmit: true,
    challenge: 'missing-token',
    sso: 'off',
    latency: 0,
  });
  await post('/mock/stats/reset');

  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor])),
      provideUserToken(withTokenPage('/user_token.do')),
    ],
  });
  http = TestBed.inject(HttpClient);
  events = [];
  TestBed.inject(UserTokenEvents).events.subscribe((e) => events.push(e));
});

describe('ngx-user-token against the mock instance', () => {
  it('keeps a burst of 40 within the session limits (2 running, 10 waiting): none ignored', async () => {
    await post('/mock/config', { latency: 20 });
    const results = await Promise.all(Array.from({ length: 40 }, () => get()));
    expect(results.every((r) => r.result.length > 10)).toBe(true);
    expect(await stats()).toMatchObject({ api: 40, unauthorized: 0, ignored: 0 });
    // Three on the wire at a time (background reads: half of maxInFlight), 37 waited.
    expect(events.filter((e) => e.type === 'request-queued')).toHaveLength(37);
  });

  it('shows the model bites without the queue (maxInFlight: Infinity): the instance ignores some, the library resends them', async () => {
    // 100 ms a transaction: the 40 overlap even when a busy machine sends them slowly (at 20 ms,
    // a loaded CI run once spread them enough for the instance to serve them all).
    await post('/mock/config', { latency: 100 });
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor])),
        provideUserToken(withUserTokenOptions({ maxInFlight: Infinity })),
      ],
    });
    http = TestBed.inject(HttpClient);
    const seen: UserTokenEvent[] = [];
    TestBed.inject(UserTokenEvents).events.subscribe((e) => seen.push(e));
    const outcomes = await Promise.all(
      Array.from({ length: 40 }, () => get().catch((e: HttpErrorResponse) => e)),
    );
    const ignored = (await stats()).ignored;
    // Of 40 at once the instance runs 2 and queues 10; how many more it serves depends on how fast
    // they arrive. Each GET it ignored is sent again after a second; ignored twice, it fails.
    const reported = seen.filter((e) => e.type === 'request-ignored');
    expect(ignored).toBeGreaterThan(0);
    expect(reported).toHaveLength(ignored);
    const failed = outcomes.filter((o) => o instanceof HttpErrorResponse);
    expect(failed).toHaveLength(
      reported.filter((e) => e.type === 'request-ignored' && !e.retried).length,
    );
    expect(failed.every((o) => (o as HttpErrorResponse).statusText === 'Request ignored')).toBe(
      true,
    );
  }, 15_000);

  it('sends the token the page has: the KB list loads with no 401', async () => {
    const { result } = await get();
    expect(result.length).toBeGreaterThan(10);
    expect(await stats()).toEqual({
      api: 1,
      unauthorized: 0,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 0,
      rotations: 0,
      ignored: 0,
    });
  });

  it('recovers from a rotation mid-stream with one retry and no token page fetch', async () => {
    const before = page.g_ck;
    for (let i = 0; i < 5; i++) {
      await get();
    }
    await post('/mock/rotate-token');
    for (let i = 0; i < 5; i++) {
      await get();
    }
    expect(await stats()).toEqual({
      api: 11,
      unauthorized: 1,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 0,
      rotations: 1,
      ignored: 0,
    });
    expect(page.g_ck).not.toBe(before);
    expect(events.filter((e) => e.type === 'token-refreshed')).toEqual([
      expect.objectContaining({ via: 'response-header' }),
    ]);
  });

  it('recovers a concurrent burst after a rotation with one refresh; only those on the wire 401', async () => {
    await post('/mock/rotate-token');
    const results = await Promise.all(Array.from({ length: 20 }, () => get()));
    expect(results.every((r) => r.result.length > 10)).toBe(true);
    // Three on the wire (half of maxInFlight, for background reads) got the 401 and one retry
    // each; the seventeen that waited in the browser left after the refresh, with the new token.
    expect(await stats()).toEqual({
      api: 23,
      unauthorized: 3,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 0,
      rotations: 1,
      ignored: 0,
    });
    expect(events.filter((e) => e.type === 'refresh-started')).toHaveLength(1);
  });

  it('fetches the token page exactly once for 50 concurrent requests when the 401 names no token', async () => {
    await post('/mock/config', { tokenResponseHeader: false });
    await post('/mock/rotate-token');
    const results = await Promise.all(Array.from({ length: 50 }, () => get()));
    expect(results.every((r) => r.result.length > 10)).toBe(true);
    expect(await stats()).toEqual({
      api: 53,
      unauthorized: 3,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 1,
      rotations: 1,
      ignored: 0,
    });
    expect(events.find((e) => e.type === 'token-refreshed')).toMatchObject({ via: 'token-url' });
  });

  it('reports an ended session once and sends nothing more', async () => {
    await post('/mock/end-session');
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => get().catch((e: HttpErrorResponse) => e)),
    );
    expect(outcomes.every((o) => o instanceof HttpErrorResponse && o.status === 401)).toBe(true);
    // The three on the wire learn it from the instance; the seven waiting behind them never
    // leave: they fail at once, as every later request does until the page has a new token.
    const unsent = outcomes.filter((o) => (o as HttpErrorResponse).statusText === 'Session ended');
    expect(unsent).toHaveLength(7);
    const later = (await get().catch((e: HttpErrorResponse) => e)) as HttpErrorResponse;
    expect(later.statusText).toBe('Session ended');
    expect(await stats()).toEqual({
      api: 3,
      unauthorized: 3,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 0,
      rotations: 0,
      ignored: 0,
    });
    expect(events.filter((e) => e.type === 'session-expired')).toHaveLength(1);
  });

  it('recovers a page that has no token at all without a login challenge', async () => {
    delete page.g_ck;
    const { result } = await get();
    expect(result.length).toBeGreaterThan(10);
    expect(await stats()).toMatchObject({ api: 2, unauthorized: 1, challenged: 0, tokenPage: 0 });
  });

  it('resends nothing when the instance forbids it, yet the next request carries the new token', async () => {
    await post('/mock/config', { allowResubmit: false });
    await post('/mock/rotate-token');
    const refused = await get().catch((e: HttpErrorResponse) => e);
    expect(refused).toBeInstanceOf(HttpErrorResponse);
    expect((refused as HttpErrorResponse).status).toBe(401);
    expect((await get()).result.length).toBeGreaterThan(10);
    expect(await stats()).toMatchObject({ api: 2, unauthorized: 1, tokenPage: 0 });
    expect(events.map((e) => e.type)).toContain('retry-skipped');
  });

  it.each(['html', 'redirect'])(
    'ends the session once when an SSO instance answers with a login page (%s)',
    async (sso) => {
      await post('/mock/config', { sso });
      await post('/mock/end-session');
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () => get().catch((e: HttpErrorResponse) => e)),
      );
      for (const outcome of outcomes) {
        expect(outcome).toBeInstanceOf(HttpErrorResponse);
        expect((outcome as HttpErrorResponse).statusText).toBe('Session ended');
      }
      // 'html': the three on the wire get the login page, which ends the session; the two waiting
      // never leave. 'redirect': the library follows no redirect with the token, it asks the API
      // once more (whose session is it?), and that answer redirecting too is the single-sign-on
      // end; a redirected request gives its place back while that question runs, so the two
      // that waited leave meanwhile, are redirected too, and ask once more among themselves.
      const sent = sso === 'redirect' ? 5 + 2 : 3;
      expect(await stats()).toMatchObject({
        api: sent,
        ssoLogin: sent,
        unauthorized: 0,
        tokenPage: 0,
      });
      const expired = events.filter((e) => e.type === 'session-expired');
      expect(expired).toEqual([
        expect.objectContaining({ error: expect.objectContaining({ reason: 'login-page' }) }),
      ]);
    },
  );

  it('resends with the page token when another script refreshed it meanwhile: no refresh at all', async () => {
    await post('/mock/config', { tokenResponseHeader: false });
    await post('/mock/rotate-token');
    const current = await (await fetch('/user_token.do')).text();
    await post('/mock/stats/reset');
    const result = get(); // leaves now, with the page's old token
    page.g_ck = current; // another script on the page refreshes g_ck before the 401 comes back
    expect((await result).result.length).toBeGreaterThan(10);
    expect(await stats()).toMatchObject({ api: 2, unauthorized: 1, tokenPage: 0 });
    expect(events.map((e) => e.type)).toEqual(['token-rejected', 'request-retried']);
  });
});
