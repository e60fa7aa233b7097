// Uses the testing entry point the way an app's own unit test would.
import {
  HttpClient,
  HttpErrorResponse,
  provideHttpClient,
  withInterceptors,
} from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { inject, Injectable } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { UserTokenRefreshError, userTokenInterceptor, UserTokenSource } from 'ngx-user-token';
import {
  expectOneWithToken,
  FakeUserTokenSource,
  flushSessionEndedLoginPage,
  flushUserTokenRejection,
  provideUserTokenTesting,
  USER_TOKEN_REJECTION_BODY,
} from 'ngx-user-token/testing';
import { firstValueFrom } from 'rxjs';

@Injectable({ providedIn: 'root' })
class IncidentService {
  private readonly http = inject(HttpClient);
  active() {
    return this.http.get<{ result: unknown[] }>('/api/now/table/incident', {
      params: { sysparm_query: 'active=true' },
    });
  }
}

describe('ngx-user-token/testing in an app test', () => {
  let httpTesting: HttpTestingController;
  let tokens: FakeUserTokenSource;
  let incidents: IncidentService;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([userTokenInterceptor])),
        provideHttpClientTesting(),
        provideUserTokenTesting({ token: 'page-token' }),
      ],
    });
    httpTesting = TestBed.inject(HttpTestingController);
    tokens = TestBed.inject(FakeUserTokenSource);
    incidents = TestBed.inject(IncidentService);
  });
  afterEach(() => httpTesting.verify());

  it('replaces the app token source with the fake', () => {
    expect(TestBed.inject(UserTokenSource)).toBe(tokens);
    expect(tokens.current()).toBe('page-token');
  });

  it('scripts 401 → refresh → retry', async () => {
    tokens.rotate('server-token');
    const result = firstValueFrom(incidents.active());
    flushUserTokenRejection(
      expectOneWithToken(httpTesting, '/api/now/table/incident', 'page-token'),
    );
    expectOneWithToken(httpTesting, '/api/now/table/incident', 'server-token').flush({
      result: [1],
    });
    expect(await result).toEqual({ result: [1] });
    expect(tokens.refreshCount).toBe(1);
    expect(tokens.rejections[0].token).toBe('page-token');
    expect(tokens.current()).toBe('server-token');
  });

  it('answers like an instance: status, body and headers', async () => {
    const result = firstValueFrom(incidents.active()).catch((e: HttpErrorResponse) => e);
    tokens.failNextRefresh();
    flushUserTokenRejection(
      httpTesting.expectOne(() => true),
      { currentToken: 'fresh', requestToken: 'page-token', challenge: true },
    );
    const error = (await result) as HttpErrorResponse;
    expect(error.status).toBe(401);
    expect(error.error).toEqual(USER_TOKEN_REJECTION_BODY);
    expect(error.headers.get('WWW-Authenticate')).toBe('BASIC realm="Service-now"');
    expect(error.headers.get('X-Is-Logged-In')).toBe('true');
    expect(error.headers.get('X-SessionLoggedIn')).toBe('true');
    expect(error.headers.get('X-UserToken-AllowResubmit')).toBe('true');
    expect(error.headers.get('X-UserToken-Request')).toBe('page-token');
    expect(error.headers.get('X-UserToken-Response')).toBe('fresh');
  });

  it('scripts an ended session and an SSO login page', async () => {
    const ended = firstValueFrom(incidents.active()).catch((e: HttpErrorResponse) => e);
    flushUserTokenRejection(
      httpTesting.expectOne(() => true),
      {
        sessionLoggedIn: false,
        allowResubmit: false,
      },
    );
    const error = (await ended) as HttpErrorResponse;
    expect(error.headers.get('X-SessionLoggedIn')).toBe('false');
    expect(error.headers.get('X-UserToken-AllowResubmit')).toBe('false');
    expect(error.headers.has('WWW-Authenticate')).toBe(false);

    // Until the page has a new token, requests fail at once (401 `Session ended`), unsent.
    const unsent = await firstValueFrom(incidents.active()).catch((e: HttpErrorResponse) => e);
    httpTesting.expectNone(() => true);
    expect((unsent as HttpErrorResponse).statusText).toBe('Session ended');
    tokens.setToken('next-page-token');

    const sso = firstValueFrom(incidents.active()).catch((e: HttpErrorResponse) => e);
    flushSessionEndedLoginPage(httpTesting.expectOne(() => true));
    const page = (await sso) as HttpErrorResponse;
    expect(page.statusText).toBe('Session ended');
    expect((page.error as UserTokenRefreshError).reason).toBe('login-page');
    expect(tokens.refreshCount).toBe(0);
  });

  it('numbers rotated tokens when not given one', () => {
    expect(tokens.rotate()).toBe('token-2');
    expect(tokens.rotate()).toBe('token-3');
    expect(tokens.current()).toBe('page-token');
  });

  it('delays refreshes', () => {
    jest.useFakeTimers();
    try {
      tokens.rotate('late-token');
      tokens.delayRefresh(200);
      const values: unknown[] = [];
      incidents.active().subscribe((v) => values.push(v));
      flushUserTokenRejection(httpTesting.expectOne(() => true));
      jest.advanceTimersByTime(199);
      httpTesting.expectNone(() => true);
      jest.advanceTimersByTime(1);
      expectOneWithToken(httpTesting, '/api/now/table/incident', 'late-token').flush({
        result: [],
      });
      expect(values).toEqual([{ result: [] }]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('expectOneWithToken fails when the token differs', () => {
    incidents.active().subscribe();
    expect(() => expectOneWithToken(httpTesting, '/api/now/table/incident', 'other')).toThrow(
      /X-UserToken: other/,
    );
    httpTesting.expectOne(() => true).flush({ result: [] });
  });
});
