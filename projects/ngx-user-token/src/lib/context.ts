import { HttpContextToken } from '@angular/common/http';

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
