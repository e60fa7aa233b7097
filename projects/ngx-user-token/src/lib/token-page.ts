import {
  HttpBackend,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaders,
  HttpRequest,
  HttpResponse,
} from '@angular/common/http';
import { inject } from '@angular/core';
import { catchError, filter, map, throwError } from 'rxjs';

import { UserTokenRefreshError } from './errors';
import { TokenPageFetch, USER_TOKEN_PAGE } from './features';
import { optionError } from './options';
import { userTokenFeature, UserTokenFeature } from './provider';
import { USER_TOKEN_SCOPE } from './scope';
import { TOKEN_PATTERN } from './wire';

/**
 * A token page: a same-origin URL whose body is the current session token (a UI page that
 * renders `$[gs.getSessionToken()]`), plain text or JSON `{"token": "..."}`. The default token
 * source fetches it — past every interceptor, with the session cookie only — when a 401 names no
 * new token and `window.g_ck` did not change. Without it such a rejection ends in
 * `refresh-failed`.
 *
 * @example
 * ```ts
 * provideUserToken(withTokenPage('/x_acme_token.do'))
 * ```
 */
export function withTokenPage(url: string): UserTokenFeature {
  if ((typeof ngDevMode === 'undefined' || ngDevMode) && !(typeof url === 'string' && url.trim())) {
    throw optionError('withTokenPage', 'a same-origin URL', url);
  }
  return userTokenFeature('token-page', [
    { provide: USER_TOKEN_PAGE, useFactory: () => tokenPageFetch(url) },
  ]);
}

function tokenPageFetch(url: string): TokenPageFetch {
  const backend = inject(HttpBackend);
  const inScope = inject(USER_TOKEN_SCOPE)(url);
  const fail = (reason: 'no-token' | 'same-token' | 'failed', message: string, cause?: unknown) =>
    new UserTokenRefreshError(
      reason,
      typeof ngDevMode === 'undefined' || ngDevMode ? `the token page ${url} ${message}` : '',
      cause,
    );
  return (rejected) => {
    if (!inScope) {
      return throwError(() =>
        fail('failed', 'is not same-origin (nor in allowedOrigins); it was not fetched.'),
      );
    }
    const request = new HttpRequest<null>('GET', url, null, {
      responseType: 'text',
      headers: new HttpHeaders({ Accept: 'text/plain, application/json' }),
    });
    return backend.handle(request).pipe(
      filter((event) => event.type === HttpEventType.Response),
      map((response) => {
        const token = tokenFromPage((response as HttpResponse<string>).body);
        if (token === null) {
          throw fail('no-token', 'answered without a token (a login page or an empty body?).');
        }
        if (token === rejected) {
          throw fail('same-token', 'answered with the token the server had just rejected.');
        }
        return token;
      }),
      catchError((error: unknown) => {
        const status = error instanceof HttpErrorResponse ? error.status : 0;
        return throwError(() =>
          error instanceof UserTokenRefreshError
            ? error
            : fail('failed', `failed with status ${status}.`, error),
        );
      }),
    );
  };
}

/** The token in a token page's body: plain text, or JSON `{"token": "..."}`. */
function tokenFromPage(body: string | null): string | null {
  let text = (body ?? '').trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      const token = (parsed as { token?: unknown } | null)?.token;
      text = typeof token === 'string' ? token : '';
    } catch {
      return null;
    }
  }
  return TOKEN_PATTERN.test(text) ? text : null;
}
