import {
  HttpBackend,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaders,
  HttpRequest,
} from '@angular/common/http';

import { UserTokenConfig } from './options';
import { settlement, Settlement } from './settlement';
import { UserTokenSource } from './token-source';

/**
 * Whether a request in scope that failed without a status (status 0) was redirected — what an
 * instance behind single sign-on does once the session has ended: it sends the API call to the
 * identity provider, on another origin, where the browser refuses to follow and reports only a
 * network error. The probe asks the URL again, `HEAD`, with `redirect: 'manual'` and the page's
 * token (or the placeholder), past every interceptor. One probe at a time serves every such failure.
 *
 * Only a backend built on `fetch` can see a redirect without following it: `withFetch()` on
 * Angular 20 and 21, the default backend from Angular 22 on. The XHR backend follows redirects
 * and cannot tell, so there the probe finds none and the caller gets the status 0 error as it
 * came.
 */
export function redirectProbe(
  backend: HttpBackend,
  source: UserTokenSource,
  config: UserTokenConfig,
): (url: string) => Settlement<boolean> {
  let probe: Settlement<boolean> | null = null;
  return (url) => {
    if (probe) {
      return probe;
    }
    const [asked, answer] = settlement<boolean>();
    probe = asked;
    const done = (redirected: boolean) => {
      probe = null;
      answer(true, redirected);
    };
    const token = source.current() ?? config.placeholderToken;
    const init = {
      headers: token === null ? undefined : new HttpHeaders({ [config.headerName]: token }),
      redirect: 'manual',
    };
    backend.handle(new HttpRequest<null>('HEAD', url, null, init as object)).subscribe({
      next: (event) => event.type === HttpEventType.Response && done(false),
      error: (failure: unknown) =>
        done(
          failure instanceof HttpErrorResponse &&
            ((failure as { responseType?: string }).responseType === 'opaqueredirect' ||
              (failure.status >= 300 && failure.status < 400)),
        ),
      complete: () => done(false),
    });
    return asked;
  };
}
