/**
 * Redirects set through the control API (`POST /mock/redirects`, dev only; no instance has this
 * facility): a path of the instance answered with a redirect, before authentication, as a front
 * door answers for a path it moved (a load balancer, a reverse proxy, a custom URL). It lets a
 * test see what a client does when a request that carries the session token is redirected —
 * within the instance or to another origin. Which of an instance's own paths redirect, and when,
 * is not modelled.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The redirect statuses a rule may answer with. */
export const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

/** One redirect: every request for `path`, whatever its method and query, goes to `location`. */
export interface MockRedirect {
  /** The path answered, as requested (`/api/now/table/incident`), without the query. */
  readonly path: string;
  /**
   * Where to: a path of the instance (`/api/now/v2/table/incident`) or an absolute `http(s)` URL.
   * The request's query string is appended, as a front door's rewrite of a moved path keeps it.
   */
  readonly location: string;
  /** 301, 302, 303, 307 or 308; default 302. */
  readonly status: RedirectStatus;
}

/** The redirects of one instance, by path. */
export type MockRedirects = Map<string, MockRedirect>;

/**
 * Answers a request for a path with a redirect set, before anything else reads it. Not cached
 * (`no-store`): a test that changes or clears a rule must see the next request reach the
 * instance, and browsers keep a 301 or 308 otherwise.
 */
export function redirecting(redirects: MockRedirects): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const rule = redirects.size === 0 ? undefined : redirects.get(req.path);
    if (!rule) {
      next();
      return;
    }
    const at = req.originalUrl.indexOf('?');
    const query = at < 0 ? '' : req.originalUrl.slice(at + 1);
    const location = query
      ? `${rule.location}${rule.location.includes('?') ? '&' : '?'}${query}`
      : rule.location;
    res.set('Cache-Control', 'no-store').redirect(rule.status, location);
  };
}

/** The redirect a `POST /mock/redirects` body sets, or what is wrong with it. */
export function redirectRule(body: unknown): MockRedirect | string {
  const expected =
    'Expected a JSON object {"path": "/api/...", "location": "<a path of the instance or an ' +
    `http(s) URL>", "status": ${REDIRECT_STATUSES.join('|')} (optional, default 302)}`;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return expected;
  }
  const { path, location, status = 302, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0) {
    return expected;
  }
  if (typeof path !== 'string' || !/^\/(?![/\\])[^?#\s]*$/.test(path)) {
    return `"path" must be a path such as /api/now/table/incident, without a query; got ${JSON.stringify(path)}`;
  }
  if (/^\/mock(?:\/|$)/.test(path)) {
    return '"path" must not be under /mock/: the control API stays reachable';
  }
  if (typeof location !== 'string' || !isLocation(location)) {
    return `"location" must be a path of the instance or an http(s) URL; got ${JSON.stringify(location)}`;
  }
  if (!REDIRECT_STATUSES.includes(status as RedirectStatus)) {
    return `"status" must be one of ${REDIRECT_STATUSES.join(', ')}; got ${JSON.stringify(status)}`;
  }
  return { path, location, status: status as RedirectStatus };
}

function isLocation(value: string): boolean {
  if (/\s/.test(value)) {
    return false;
  }
  if (/^\/(?![/\\])/.test(value)) {
    return true;
  }
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}
