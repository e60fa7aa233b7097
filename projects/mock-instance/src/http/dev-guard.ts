/**
 * The mock instance is a dev tool on loopback that holds sessions, serves `window.g_ck` and (in
 * dev mode) lets anyone rotate tokens, end sessions, wipe the data and install apps. So, first on
 * every path: the `Host` check (a guard against DNS rebinding; WebSocket upgrades and the identity
 * provider included); and on the control API (`/mock/*`): the cross-site check, since a website
 * could otherwise post to it from the developer's browser. The instance's own paths need no
 * Origin check: they enforce the CSRF token, as an instance does. The checks are the workspace's
 * `dev-guard` project, which the dev proxy applies too: both tools follow one policy.
 */
import type { IncomingMessage } from 'node:http';

import type { NextFunction, Request, RequestHandler, Response } from 'express';

import { RequestGuard } from '../../../dev-guard/src/index';
import { sendError } from './responses';

export {
  guardOptionsFromFlags,
  isLoopbackAddress,
  refuseUpgrade,
  requestGuard,
} from '../../../dev-guard/src/index';
export type { GuardOptions, RequestGuard } from '../../../dev-guard/src/index';

const PLAIN_HEADERS = {
  'Content-Type': 'text/plain;charset=UTF-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** The text of a refused `Host`, or null when it passes. */
export function hostRefusal(guard: RequestGuard, req: IncomingMessage): string | null {
  const refusal = guard.host(req.headers.host);
  return refusal === null ? null : `Mock instance: ${refusal.message}`;
}

/** Refuses (403, plain text naming `--allowed-hosts`) a request whose `Host` is not allowed. */
export function hostCheck(guard: RequestGuard): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const refusal = hostRefusal(guard, req);
    if (refusal === null) {
      next();
      return;
    }
    res.status(403).set(PLAIN_HEADERS).send(refusal);
  };
}

/** Refuses (403, the instance's error shape) a cross-site request to the control API. */
export function callerCheck(guard: RequestGuard): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const refusal = guard.caller(req.headers);
    if (refusal === null) {
      next();
      return;
    }
    sendError(req, res, 403, {
      message: 'Mock instance refused a cross-site request',
      detail: `The control API (/mock/) ${refusal.message}`,
    });
  };
}
