import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { Injector } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { retryWithFreshToken, UserTokenSource } from 'ngx-user-token';
import { USER_TOKEN_REJECTION_BODY } from 'ngx-user-token/testing';
import { defer, Observable, of, Subject, throwError } from 'rxjs';

import { setUp, watch } from '../../test/harness';

/** A stand-in for a request sent without HttpClient: rejects any token but `accepted`. */
function fakeServerCall(
  tokens: UserTokenSource,
  accepted: () => string,
  seen: (string | null)[],
): Observable<string> {
  return defer(() => {
    const token = tokens.current();
    seen.push(token);
    return token === accepted()
      ? of(`ok with ${token}`)
      : throwError(
          () =>
            new HttpErrorResponse({
              status: 401,
              url: '/api/x_custom',
              error: USER_TOKEN_REJECTION_BODY,
              headers: new HttpHeaders({ 'X-Is-Logged-In': 'true' }),
            }),
        );
  });
}

describe('retryWithFreshToken on an app stream', () => {
  it('refreshes once and resubscribes once', () => {
    const { tokens } = setUp({ token: 'token-1' });
    const server = tokens.rotate('token-2');
    const seen: (string | null)[] = [];
    const outcome = watch(
      TestBed.runInInjectionContext(() =>
        fakeServerCall(tokens, () => server, seen).pipe(retryWithFreshToken()),
      ),
    );
    expect(outcome.values).toEqual(['ok with token-2']);
    expect(seen).toEqual(['token-1', 'token-2']);
    expect(tokens.refreshCount).toBe(1);
  });

  it('shares one refresh between streams that fail together', () => {
    const { tokens } = setUp({ token: 'token-1' });
    const server = tokens.rotate('token-2');
    const release = tokens.hold();
    const injector = TestBed.inject(Injector);
    const outcomes = [1, 2, 3].map(() =>
      watch(fakeServerCall(tokens, () => server, []).pipe(retryWithFreshToken({ injector }))),
    );
    release();
    expect(outcomes.map((o) => o.values)).toEqual([
      ['ok with token-2'],
      ['ok with token-2'],
      ['ok with token-2'],
    ]);
    expect(tokens.refreshCount).toBe(1);
  });

  it('stops after one retry', () => {
    const { tokens } = setUp({ token: 'token-1' });
    tokens.rotate('token-2');
    const seen: (string | null)[] = [];
    const outcome = watch(
      fakeServerCall(tokens, () => 'never', seen).pipe(
        retryWithFreshToken({ injector: TestBed.inject(Injector) }),
      ),
    );
    expect((outcome.error as HttpErrorResponse).status).toBe(401);
    expect(seen).toHaveLength(2);
  });

  it('treats the stream as the method it is told, for the replay rule', () => {
    const { tokens } = setUp({ token: 'token-1' });
    tokens.rotate('token-2');
    const plain401 = new HttpErrorResponse({ status: 401, error: 'no' });
    let sends = 0;
    const post = defer(() => {
      sends++;
      return throwError(() => plain401);
    }).pipe(retryWithFreshToken({ method: 'post', injector: TestBed.inject(Injector) }));
    expect(watch(post).error).toBe(plain401);
    expect(sends).toBe(1);
    expect(tokens.refreshCount).toBe(0);
  });

  it('says so when called outside an injection context without an injector', () => {
    setUp();
    expect(() => retryWithFreshToken()).toThrow(/injection context/);
  });

  it('keeps streams within maxInFlight, one queue for all of them', () => {
    // Reads: two on the wire, half of maxInFlight.
    const { tokens } = setUp({ token: 'token-1', maxInFlight: 4 });
    const answers: Subject<string>[] = [];
    const subscribed: number[] = [];
    const stream = (i: number) =>
      defer(() => {
        subscribed.push(i);
        const answer = new Subject<string>();
        answers[i] = answer;
        return answer;
      }).pipe(retryWithFreshToken({ injector: TestBed.inject(Injector) }));
    const outcomes = [0, 1, 2, 3].map((i) => watch(stream(i)));
    expect(subscribed).toEqual([0, 1]);
    // 2 is cancelled while it waits: it is never subscribed; 3 takes 0's place.
    outcomes[2].unsubscribe();
    answers[0].complete();
    expect(subscribed).toEqual([0, 1, 3]);
    answers[1].complete();
    answers[3].complete();
    expect(outcomes.map((o) => o.done)).toEqual([true, true, false, true]);
    expect(tokens.refreshCount).toBe(0);
  });
});
