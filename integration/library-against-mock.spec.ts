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

/** The server's counts, less `requests` (every request it received, the control API's too). */
async function stats(): Promise<{
  api: number;
  unauthorized: number;
  challenged: number;
  ssoLogin: number;
  tokenPage: number;
  rotations: number;
}> {
  const { requests: _all, ...counts } = (await (await fetch('/mock/stats')).json()) as Record<
    string,
    number
  >;
  return counts as Awaited<ReturnType<typeof stats>>;
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
    });
    expect(page.g_ck).not.toBe(before);
    expect(events.filter((e) => e.type === 'token-refreshed')).toEqual([
      expect.objectContaining({ via: 'response-header' }),
    ]);
  });

  it('recovers a concurrent burst after a rotation with one refresh and one retry each', async () => {
    await post('/mock/rotate-token');
    const results = await Promise.all(Array.from({ length: 20 }, () => get()));
    expect(results.every((r) => r.result.length > 10)).toBe(true);
    expect(await stats()).toEqual({
      api: 40,
      unauthorized: 20,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 0,
      rotations: 1,
    });
    expect(events.filter((e) => e.type === 'refresh-started')).toHaveLength(1);
  });

  it('fetches the token page exactly once for 50 concurrent requests when the 401 names no token', async () => {
    await post('/mock/config', { tokenResponseHeader: false });
    await post('/mock/rotate-token');
    const results = await Promise.all(Array.from({ length: 50 }, () => get()));
    expect(results.every((r) => r.result.length > 10)).toBe(true);
    expect(await stats()).toEqual({
      api: 100,
      unauthorized: 50,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 1,
      rotations: 1,
    });
    expect(events.find((e) => e.type === 'token-refreshed')).toMatchObject({ via: 'token-url' });
  });

  it('reports an ended session once and sends nothing more', async () => {
    await post('/mock/end-session');
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => get().catch((e: HttpErrorResponse) => e)),
    );
    expect(outcomes.every((o) => o instanceof HttpErrorResponse && o.status === 401)).toBe(true);
    expect(await stats()).toEqual({
      api: 10,
      unauthorized: 10,
      challenged: 0,
      ssoLogin: 0,
      tokenPage: 0,
      rotations: 0,
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
      expect(await stats()).toMatchObject({ api: 5, ssoLogin: 5, unauthorized: 0, tokenPage: 0 });
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
