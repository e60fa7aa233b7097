import {
  provideUserToken,
  withCrossTabSync,
  withTokenPage,
  withUserTokenOptions,
} from 'ngx-user-token';

import { resolveUserTokenOptions } from './options';

describe('provideUserToken options', () => {
  it('fills in the documented defaults', () => {
    expect(resolveUserTokenOptions()).toEqual({
      headerName: 'X-UserToken',
      allowedOrigins: [],
      refreshOn: [401],
      retries: 1,
      refreshTimeout: 10000,
      globalName: 'g_ck',
      placeholderToken: 'token_intentionally_left_blank',
      maxInFlight: 6,
      noResponseChallenge: true,
      rateLimitMaxWait: 10000,
    });
  });

  it('normalizes allowed origins', () => {
    expect(
      resolveUserTokenOptions({
        allowedOrigins: ['HTTPS://Api.Example.com:443', 'http://localhost:8080/'],
      }).allowedOrigins,
    ).toEqual(['https://api.example.com', 'http://localhost:8080']);
  });

  it.each<[string, object]>([
    ['headerName', { headerName: 'X User Token' }],
    ['headerName', { headerName: '' }],
    ['refreshOn', { refreshOn: [200] }],
    ['refreshOn', { refreshOn: [401.5] }],
    ['retries', { retries: -1 }],
    ['retries', { retries: 1.5 }],
    ['retries', { retries: 11 }],
    ['refreshTimeout', { refreshTimeout: 0 }],
    ['refreshTimeout', { refreshTimeout: Number.NaN }],
    ['globalName', { globalName: 'window.g_ck' }],
    ['allowedOrigins', { allowedOrigins: ['https://user@api.example.com'] }],
    ['allowedOrigins', { allowedOrigins: ['https://api.example.com?x=1'] }],
    ['maxInFlight', { maxInFlight: 0 }],
    ['noResponseChallenge', { noResponseChallenge: 'yes' as unknown as boolean }],
    ['maxInFlight', { maxInFlight: 2.5 }],
    ['maxInFlight', { maxInFlight: Number.NaN }],
    ['rateLimitMaxWait', { rateLimitMaxWait: -1 }],
    ['rateLimitMaxWait', { rateLimitMaxWait: Infinity }],
  ])('rejects a bad %s at startup with an error naming it', (option, options) => {
    expect(() => provideUserToken(withUserTokenOptions(options))).toThrow(
      new RegExp(`^ngx-user-token: option "${option}" must be .+; got .+\\.$`),
    );
  });

  it('rejects an empty token page', () => {
    expect(() => withTokenPage('  ')).toThrow(/option "withTokenPage" must be a same-origin URL/);
  });

  it('takes each feature once, and features only', () => {
    expect(() => provideUserToken(withCrossTabSync(), withCrossTabSync())).toThrow(
      /got cross-tab-sync twice/,
    );
    expect(() => provideUserToken({ retries: 2 } as never)).toThrow(
      /takes features: withUserTokenOptions/,
    );
  });
});
