// Test setup shared by the library's specs: an app's HttpClient with the interceptor in either
// form, the testing backend, the fake token source, and a recorder of the library's events.
import {
  HTTP_INTERCEPTORS,
  HttpClient,
  provideHttpClient,
  withInterceptors,
  withInterceptorsFromDi,
} from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { EnvironmentProviders, Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import {
  UserTokenEvent,
  UserTokenEvents,
  UserTokenInterceptor,
  userTokenInterceptor,
} from 'ngx-user-token';
import {
  FakeUserTokenSource,
  provideUserTokenTesting,
  UserTokenTestingOptions,
} from 'ngx-user-token/testing';

/** The two ways an app registers the interceptor. */
export type InterceptorForm = 'functional' | 'class';
export const INTERCEPTOR_FORMS: readonly InterceptorForm[] = ['functional', 'class'];

/** `provideHttpClient` with the interceptor registered in `form`. */
export function httpClientWith(form: InterceptorForm): (Provider | EnvironmentProviders)[] {
  return form === 'functional'
    ? [provideHttpClient(withInterceptors([userTokenInterceptor]))]
    : [
        provideHttpClient(withInterceptorsFromDi()),
        { provide: HTTP_INTERCEPTORS, useClass: UserTokenInterceptor, multi: true },
      ];
}

export interface Harness extends AppParts {
  tokens: FakeUserTokenSource;
}

/** What a spec gets from an app set up in TestBed: its HttpClient, the testing backend, the events. */
export interface AppParts {
  http: HttpClient;
  httpTesting: HttpTestingController;
  /** Every event the library emitted since setup, in order. */
  events: UserTokenEvent[];
}

/** Configures TestBed with `providers` and starts recording the library's events. */
export function setUpWith(providers: (Provider | EnvironmentProviders)[]): AppParts {
  TestBed.configureTestingModule({ providers });
  const events: UserTokenEvent[] = [];
  TestBed.inject(UserTokenEvents).events.subscribe((e) => events.push(e));
  return {
    http: TestBed.inject(HttpClient),
    httpTesting: TestBed.inject(HttpTestingController),
    events,
  };
}

/** Configures TestBed like an app that uses the fake token source, and returns its parts. */
export function setUp(
  options: UserTokenTestingOptions = {},
  form: InterceptorForm = 'functional',
  extra: (Provider | EnvironmentProviders)[] = [],
): Harness {
  const parts = setUpWith([
    ...httpClientWith(form),
    provideHttpClientTesting(),
    provideUserTokenTesting(options),
    ...extra,
  ]);
  return { ...parts, tokens: TestBed.inject(FakeUserTokenSource) };
}

/** Result of subscribing to a request: what it emitted and how it ended. */
export interface Outcome<T> {
  values: T[];
  error: unknown;
  done: boolean;
}

/** Subscribes and records the outcome; `unsubscribe` cancels. */
export function watch<T>(source: {
  subscribe(o: { next(v: T): void; error(e: unknown): void; complete(): void }): {
    unsubscribe(): void;
  };
}): Outcome<T> & { unsubscribe(): void } {
  const outcome: Outcome<T> = { values: [], error: undefined, done: false };
  const subscription = source.subscribe({
    next: (v) => outcome.values.push(v),
    error: (e) => {
      outcome.error = e;
      outcome.done = true;
    },
    complete: () => {
      outcome.done = true;
    },
  });
  return Object.assign(outcome, { unsubscribe: () => subscription.unsubscribe() });
}

/** Event types in order, for compact assertions. */
export function eventTypes(events: UserTokenEvent[]): string[] {
  return events.map((e) => e.type);
}
