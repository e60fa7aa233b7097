import {
  HttpBackend,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaders,
  HttpRequest,
  HttpResponse,
  HttpXhrBackend,
} from '@angular/common/http';

import type { UserTokenConfig } from './options';
import { settlement, Settlement } from './settlement';
import { NO_CHALLENGE_HEADER } from './wire';

/** Who a page's session belongs to: the user's `sys_id`, and their user name where known. */
export interface PageUserInfo {
  /** The user's `sys_id` (32 hex digits on an instance). */
  readonly sysId: string;
  /** The user's `user_name`, when the page or the instance said it; else `null`. */
  readonly userName: string | null;
}

/**
 * The user a ServiceNow page was rendered for, from its globals: `window.NOW.user_id` and
 * `NOW.user_name` (Service Portal pages; read by public widget code, not in ServiceNow's docs), else
 * `window.g_user.userID` and `g_user.userName` (classic UI pages: the GlideUser client API).
 * `null` when the page names no user.
 */
export function userOfPage(
  window: Record<string, unknown> | null | undefined,
): PageUserInfo | null {
  const portal = window?.['NOW'] as { user_id?: unknown; user_name?: unknown } | undefined;
  const classic = window?.['g_user'] as { userID?: unknown; userName?: unknown } | undefined;
  return userInfo(portal?.user_id ?? classic?.userID, portal?.user_name ?? classic?.userName);
}

/**
 * Asks the instance at `origin` ('' for the page's) who the session of `token` belongs to: one
 * Table API read of `sys_user` where `sys_id` is `javascript:gs.getUserID()` — the calling user's
 * own record, which a logged-in user may read on a base instance (the encoded-query helper is in
 * KB0565021's own example). Sent past every interceptor, with `token` (or no token header when
 * `null`) and, as `noResponseChallenge` says, `X-No-Response-Challenge`, never following a
 * redirect. Settles with the user, or with an error when the instance
 * did not say (a refused token, a login page, a network failure).
 */
export function askUser(
  backend: HttpBackend,
  config: Pick<UserTokenConfig, 'headerName' | 'noResponseChallenge'>,
  origin: string,
  token: string | null,
): Settlement<PageUserInfo> {
  const [asked, answer] = settlement<PageUserInfo>();
  let headers = new HttpHeaders({ Accept: 'application/json' });
  if (token !== null) {
    headers = headers.set(config.headerName, token);
  }
  if (config.noResponseChallenge) {
    headers = headers.set(NO_CHALLENGE_HEADER, 'true');
  }
  // Never following a redirect with the token: on a fetch backend (XHR cannot, and would warn).
  const init = { headers, redirect: backend instanceof HttpXhrBackend ? undefined : 'manual' };
  backend
    .handle(
      new HttpRequest<null>(
        'GET',
        `${origin}/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()` +
          '&sysparm_fields=sys_id,user_name&sysparm_limit=1',
        null,
        init as object,
      ),
    )
    .subscribe({
      next: (event) => {
        if (event.type === HttpEventType.Response) {
          const body = (event as HttpResponse<{ result?: Record<string, unknown>[] }>).body;
          const user = userInfo(body?.result?.[0]?.['sys_id'], body?.result?.[0]?.['user_name']);
          answer(...(user ? ([true, user] as const) : ([false, event] as const)));
        }
      },
      error: (error: HttpErrorResponse) => answer(false, error),
    });
  return asked;
}

function userInfo(sysId: unknown, userName: unknown): PageUserInfo | null {
  return typeof sysId === 'string' && sysId !== ''
    ? { sysId, userName: typeof userName === 'string' && userName !== '' ? userName : null }
    : null;
}
