// The README's recipes, used the way an app would.
import {
  HttpBackend,
  HttpClient,
  HttpContext,
  provideHttpClient,
  withInterceptors,
} from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { inject, Injectable } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import {
  SKIP_TOKEN_REFRESH,
  SKIP_USER_TOKEN,
  UserTokenEvents,
  userTokenInterceptor,
  UserTokenSource,
} from 'ngx-user-token';
import { expectOneWithToken, flushUserTokenRejection } from 'ngx-user-token/testing';
import { filter, map, take, tap } from 'rxjs';

import { watch } from '../../test/harness';

@Injectable({ providedIn: 'root' })
class PortalTokenSource extends UserTokenSource {
  private readonly http = new HttpClient(inject(HttpBackend)); // past every interceptor
  private token: string | null = sessionStorage.getItem('token');

  current() {
    return this.token;
  }
  refresh() {
    return this.http.get('/x_acme_token.do', { responseType: 'text' }).pipe(
      map((text) => text.trim()),
      tap((token) => sessionStorage.setItem('token', (this.token = token))),
    );
  }
}

describe('README recipes', () => {
  beforeEach(() => {
    sessionStorage.setItem('token', 'stored-1');
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([userTokenInterceptor])),
        provideHttpClientTesting(),
        { provide: UserTokenSource, useExisting: PortalTokenSource },
      ],
    });
  });
  afterEach(() => {
    sessionStorage.clear();
    TestBed.inject(HttpTestingController).verify();
  });

  it('a custom token source: its token goes out, its refresh recovers a 401', () => {
    const http = TestBed.inject(HttpClient);
    const httpTesting = TestBed.inject(HttpTestingController);
    const outcome = watch(http.get('/api/now/table/incident'));
    flushUserTokenRejection(expectOneWithToken(httpTesting, '/api/now/table/incident', 'stored-1'));
    const tokenPage = httpTesting.expectOne('/x_acme_token.do');
    expect(tokenPage.request.headers.has('X-UserToken')).toBe(false);
    tokenPage.flush(' stored-2\n');
    expectOneWithToken(httpTesting, '/api/now/table/incident', 'stored-2').flush({ result: [] });
    expect(outcome.values).toEqual([{ result: [] }]);
    expect(sessionStorage.getItem('token')).toBe('stored-2');
  });

  it('one request without the token, one without refresh', () => {
    const http = TestBed.inject(HttpClient);
    const httpTesting = TestBed.inject(HttpTestingController);
    http.get('/a', { context: new HttpContext().set(SKIP_USER_TOKEN, true) }).subscribe();
    const b = watch(
      http.post('/b', {}, { context: new HttpContext().set(SKIP_TOKEN_REFRESH, true) }),
    );
    expect(httpTesting.expectOne('/a').request.headers.has('X-UserToken')).toBe(false);
    flushUserTokenRejection(expectOneWithToken(httpTesting, '/b', 'stored-1'));
    expect(b.error).toBeDefined();
    httpTesting.expectNone('/x_acme_token.do');
  });

  it('reacting to session expiry', () => {
    const http = TestBed.inject(HttpClient);
    const httpTesting = TestBed.inject(HttpTestingController);
    const sentToLogin: string[] = [];
    TestBed.inject(UserTokenEvents)
      .events.pipe(
        filter((e) => e.type === 'session-expired'),
        take(1),
      )
      .subscribe(() => sentToLogin.push('/login.do'));
    http.get('/api/now/table/incident').subscribe({ error: () => undefined });
    flushUserTokenRejection(httpTesting.expectOne('/api/now/table/incident'), {
      sessionLoggedIn: false,
    });
    expect(sentToLogin).toEqual(['/login.do']);
  });
});
