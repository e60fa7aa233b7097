import { HttpContext, HttpContextToken } from '@angular/common/http';

/**
 * Set to `true` on a request's `HttpContext` to send it without the user token (and without
 * refresh or retry), even to the page's own origin.
 *
 * @example
 * ```ts
 * http.get('/api/now/table/sys_properties', {
 *   context: new HttpContext().set(SKIP_USER_TOKEN, true),
 * });
 * ```
 */
export const SKIP_USER_TOKEN = new HttpContextToken<boolean>(() => false);

/**
 * Set to `true` on a request's `HttpContext` to send it with the token but never refresh the token
 * or retry it: a rejection goes to the caller as it came.
 *
 * @example
 * ```ts
 * http.post('/api/now/table/incident', body, {
 *   context: new HttpContext().set(SKIP_TOKEN_REFRESH, true),
 * });
 * ```
 */
export const SKIP_TOKEN_REFRESH = new HttpContextToken<boolean>(() => false);

/**
 * Set to `true` on a request's `HttpContext` when a user waits for it — a click's lookup, a form's
 * validation: while the origin's requests wait in the browser for a place on the wire
 * (`maxInFlight`), it leaves before the waiting background requests. Writes (POST, PUT, PATCH,
 * DELETE) and requests with Angular's `priority: 'high'` go first without it.
 *
 * @example
 * ```ts
 * http.get(`/api/now/table/sys_user?sysparm_query=name=${name}`, {
 *   context: new HttpContext().set(USER_WAITING, true),
 * });
 * ```
 */
export const USER_WAITING = new HttpContextToken<boolean>(() => false);

/** Reads a boolean context flag; unlike `get` alone, it stores nothing in the request's context. */
export function isSet(
  req: { readonly context?: HttpContext },
  flag: HttpContextToken<boolean>,
): boolean {
  return !!req.context?.has(flag) && req.context.get(flag);
}
