/**
 * Session synchronization, as an instance does it: one session's transactions run a few at a
 * time, a few more wait in order, and what comes beyond is ignored.
 *
 * Sources:
 * - KB0755706 ("Session wait / Session Synchronization"): by design one transaction per session
 *   at a time; since Yokohama REST, AJAX, authentication and some cacheable Next Experience calls
 *   may run two at once; static content (images, CSS, JavaScript) bypasses it; the message bus has
 *   its own.
 * - KB0655956: at most 10 transactions of a session may wait (`com.glide.request.max_waiters`);
 *   anything over it is ignored, logged as `GlideRequestManager:Request ignored: <path>`; users see
 *   blank or never-finishing pages.
 * - How an ignored request is answered on the wire: a ServiceNow community post ("HTTP 202 from an
 *   inbound web service call") says a session whose requests arrive faster than they are served
 *   gets 202s for the new ones. Its body is not described: the mock's empty body is unverified,
 *   and so is the other choice offered here, a connection held open until the client gives up.
 * - What an instance does with a waiting request whose client hung up is unverified: the mock
 *   drops it from the queue.
 * - How long a transaction waited for its session is what an instance reports as `sesh_wait` in
 *   its `Server-Timing` header (`sem_wait;dur=0, sesh_wait;dur=0` on every recorded REST answer:
 *   see `http/instance-headers.ts`); the mock measures it here, by the instance's clock.
 */
import type { NextFunction, Request, Response } from 'express';

/** How the mock answers a request beyond the waiters: a 202 with no body, or not at all. */
export const IGNORED_ANSWERS = ['accepted', 'hold'] as const;
export type IgnoredAnswer = (typeof IGNORED_ANSWERS)[number];

/** The session limits, switchable while the instance runs. */
export interface SessionLimits {
  /**
   * Transactions of one session that run at once: 2 (an instance since Yokohama), 1 (before it),
   * 0 turns session synchronization off.
   */
  sessionConcurrency: number;
  /** Transactions of one session that may wait, in order, behind the running ones (10). */
  maxWaiters: number;
  /** How a request beyond the waiters is answered (it is never run). */
  ignoredRequests: IgnoredAnswer;
  /**
   * Service time of each transaction, in milliseconds, its own work included, so that bursts take
   * time.
   */
  latency: number;
  /** Up to this many milliseconds more, at random, per transaction. */
  jitter: number;
}

/** What session synchronization counts. */
export interface TransactionStats {
  /** Transactions that ran to their answer through the session's queue. */
  served: number;
  /** The longest any session's queue of waiters has been. */
  maxWaiting: number;
  /** Requests ignored: the session already had its waiters. */
  ignored: number;
  /** Waiting requests whose client hung up before their turn. */
  abandoned: number;
}

/**
 * Paths that bypass the queue: static content (KB0755706) — never a REST call, whatever its path
 * ends with — and the mock's own control API.
 */
const BYPASS =
  /^\/mock\/|^(?!\/api\/).*\.(?:js|mjs|css|map|png|jpe?g|gif|svg|ico|webp|woff2?|ttf|otf)$/i;

interface SessionQueue {
  running: number;
  waiting: (() => void)[];
}

/** Milliseconds a request waited in its session's queue before it ran (0: it did not wait). */
export function sessionWaitOf(res: Response): number {
  return (res.locals['sessionWaitMs'] as number | undefined) ?? 0;
}

/**
 * The middleware that runs each request as a transaction of its session (`sessionOf`: the live
 * session the request belongs to, or `null` — a request without one is a session of its own).
 */
export function sessionTransactions(deps: {
  limits: SessionLimits;
  stats: TransactionStats;
  sessionOf: (req: Request) => string | null;
  log: (line: string) => void;
  random?: () => number;
  /** The instance's clock, for how long a request waited (`sessionWaitOf`). Default `Date.now`. */
  clock?: () => number;
  /** Requests that run inside another transaction (a batch's items): never queued. */
  inside?: (req: Request) => boolean;
}) {
  const { limits, stats, sessionOf, log } = deps;
  const random = deps.random ?? Math.random;
  const clock = deps.clock ?? Date.now;
  const queues = new Map<string, SessionQueue>();

  /** Runs the transaction after its service time; `done` once it answered or its client left. */
  const run = (req: Request, res: Response, next: NextFunction, done: () => void) => {
    let over = false;
    const end = () => {
      if (!over) {
        over = true;
        done();
      }
    };
    res.once('finish', () => {
      stats.served++;
      end();
    });
    res.once('close', end);
    // The transaction takes its service time from its start, its own work included: the answer
    // leaves no earlier than that.
    const service = limits.latency + (limits.jitter > 0 ? random() * limits.jitter : 0);
    if (service > 0) {
      const due = Date.now() + service;
      const answer = res.end.bind(res) as (...args: unknown[]) => Response;
      let timer: ReturnType<typeof setTimeout> | undefined;
      res.end = ((...args: unknown[]) => {
        const wait = due - Date.now();
        if (wait > 0) {
          timer = setTimeout(() => answer(...args), wait);
        } else {
          answer(...args);
        }
        return res;
      }) as Response['end'];
      res.once('close', () => clearTimeout(timer));
    }
    next();
  };

  return (req: Request, res: Response, next: NextFunction): void => {
    if (BYPASS.test(req.path) || deps.inside?.(req)) {
      next();
      return;
    }
    const key = sessionOf(req);
    if (key === null || limits.sessionConcurrency <= 0) {
      run(req, res, next, () => undefined);
      return;
    }
    let queue = queues.get(key);
    if (!queue) {
      queue = { running: 0, waiting: [] };
      queues.set(key, queue);
    }
    const session = queue;
    const arrived = clock();
    const start = () => {
      res.locals['sessionWaitMs'] = Math.max(0, clock() - arrived);
      session.running++;
      run(req, res, next, () => {
        session.running--;
        // The limits may have changed meanwhile (`/mock/config`): as many start as they allow.
        while (
          session.waiting.length > 0 &&
          (limits.sessionConcurrency <= 0 || session.running < limits.sessionConcurrency)
        ) {
          session.waiting.shift()!();
        }
        if (session.running === 0 && session.waiting.length === 0) {
          queues.delete(key);
        }
      });
    };
    if (session.running < limits.sessionConcurrency) {
      start();
      return;
    }
    if (session.waiting.length < limits.maxWaiters) {
      session.waiting.push(start);
      stats.maxWaiting = Math.max(stats.maxWaiting, session.waiting.length);
      res.once('close', () => {
        const at = session.waiting.indexOf(start);
        if (at >= 0) {
          session.waiting.splice(at, 1);
          stats.abandoned++;
        }
      });
      return;
    }
    stats.ignored++;
    log(
      `request ignored (GlideRequestManager:Request ignored): ${req.method} ${req.originalUrl} — ` +
        `its session already runs ${session.running} and has ${session.waiting.length} waiting ` +
        `(sessionConcurrency ${limits.sessionConcurrency}, maxWaiters ${limits.maxWaiters})`,
    );
    if (limits.ignoredRequests === 'accepted') {
      res.status(202).set('Cache-Control', 'no-cache,no-store,must-revalidate,max-age=-1').end();
    }
    // 'hold': no answer; the connection stays open until the client gives up or the mock closes.
  };
}
