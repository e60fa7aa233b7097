/**
 * The headers every answer of a recorded instance carries, and those of every REST answer that
 * passed authentication:
 *
 * - `Server: ServiceNow` on every answer, the refused ones included;
 * - on a REST answer (200, 201): `Cache-Control: no-cache,no-store,must-revalidate,max-age=-1`,
 *   `Pragma: no-store,no-cache`, `Expires: 0` (the same as on its errors), `X-Transaction-ID` (12
 *   hex digits, a new one per transaction), `X-Content-Type-Options: nosniff` and
 *   `Server-Timing: sem_wait;dur=<ms>, sesh_wait;dur=<ms>` — the time the transaction waited for a
 *   semaphore (the mock has none: 0) and for its session (the session synchronization of
 *   `session/transactions.ts`, measured there).
 *
 * Sources: every recorded 200 and 201 in Swimlane's ServiceNow connector docs
 * (`swimlane/techpubs-knowledgecenter`, `docs/Connectors/ServiceNow/Actions/*.md`, developer
 * instances 2022–2024: `Server-Timing: sem_wait;dur=0, sesh_wait;dur=0`, with a space after the
 * comma, which the mock follows rather than the comma alone of the issue's summary); a `curl -v`
 * of a Basic-authenticated list and of a 401 without credentials
 * (`vdesabou/kafka-docker-playground`,
 * `connect/connect-servicenow-source/servicenow-source-repro-proxy.sh`, 2021: no `Server-Timing`
 * yet, and the 401 has `Server` and the cache headers but no `X-Transaction-ID`, no
 * `X-Content-Type-Options`); the `getAllHeaders()` examples of ServiceNow's docs
 * (`ServiceNow/ServiceNowDocs`, `markdown/api-reference/server-api-reference/GlideHTTPResponseAPI.md`).
 * The attachment download drops the cache headers, as recorded (see `attachment-api.ts`). Whether
 * a REST error after authentication (404, 403, 400) carries `X-Transaction-ID` is unverified:
 * here it does, as any transaction's answer.
 */
import { randomBytes } from 'node:crypto';

import type { NextFunction, Request, Response } from 'express';

import { sessionWaitOf } from '../session/transactions';
import { NO_CACHE_HEADERS } from './responses';

/** `Server: ServiceNow`, on every answer of the instance. */
export function serverHeader(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Server', 'ServiceNow');
  next();
}

/** A transaction's id as recorded: 12 lower-case hex digits. */
export function transactionId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The headers of a REST answer, set once its request passed authentication, after it waited for
 * its session (so `sesh_wait` is the wait it had).
 */
export function restAnswerHeaders(req: Request, res: Response): void {
  res.set({
    ...NO_CACHE_HEADERS,
    'X-Transaction-ID': transactionId(),
    'X-Content-Type-Options': 'nosniff',
    'Server-Timing': `sem_wait;dur=0, sesh_wait;dur=${Math.round(sessionWaitOf(res))}`,
  });
}
