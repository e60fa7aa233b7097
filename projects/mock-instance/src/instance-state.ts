/**
 * What one mock instance holds and counts: its data, sessions, installed apps, switches and
 * counters, shared by the routers that serve it.
 */
import type { BusStats, MessageBus } from './amb/message-bus';
import type { InstalledApps } from './apps/installed-apps';
import type { Database } from './data/database';
import type { RequestGuard } from './http/dev-guard';
import type { AttachmentStore } from './http/attachment-api';
import type { MockRedirects } from './http/redirects';
import { RateLimitRule, rateLimitRulesProblem, RateLimitStats } from './http/rate-limits';
import type { AuthConfig, AuthStats } from './session/csrf';
import type { SessionStore } from './session/sessions';
import { IGNORED_ANSWERS, SessionLimits, TransactionStats } from './session/transactions';

/**
 * What the server counts, for tests and benchmarks. `GET /mock/stats` adds `rotations` (tokens
 * rotated, by timer or on demand; `sessions.rotations` in process). Reset with
 * `POST /mock/stats/reset`.
 */
export interface MockInstanceStats extends AuthStats, TransactionStats, RateLimitStats, BusStats {
  /** Every request and WebSocket upgrade that reached the server, refused ones included. */
  requests: number;
  /** Requests to `/api/`. */
  api: number;
  /** Requests to the token page. */
  tokenPage: number;
}

/** What `POST /mock/config` can switch while the instance runs. */
export interface InstanceSwitches extends AuthConfig, SessionLimits {
  /** Inbound REST API rate limit rules (none by default). */
  rateLimits: readonly RateLimitRule[];
  /**
   * `glide.invalid_query.returns_no_rows`: a query with an invalid condition returns no rows
   * (true), or runs without it (false, an instance's default). Either way the mock logs it.
   */
  invalidQueryReturnsNoRows: boolean;
}

/** The instance's switches, and whether its control API is on. */
export interface MockInstanceConfig extends InstanceSwitches {
  readonly dev: boolean;
}

export interface MockInstanceState {
  readonly db: Database;
  readonly attachments: AttachmentStore;
  readonly apps: InstalledApps;
  readonly sessions: SessionStore;
  readonly stats: MockInstanceStats;
  readonly config: MockInstanceConfig;
  /** The identity provider's origin (`sso: 'redirect'`), once it listens. */
  identityProviderUrl: string | null;
  /** The Host and cross-site checks (`allowedHosts`, `allowedOrigins`). */
  readonly guard: RequestGuard;
  /** The message bus (`/amb`). */
  readonly bus: MessageBus;
  /** Paths answered with a redirect (`POST /mock/redirects`, dev only), by path. */
  readonly redirects: MockRedirects;
}

/** Every counter at zero. */
export function emptyStats(): MockInstanceStats {
  return {
    requests: 0,
    api: 0,
    unauthorized: 0,
    challenged: 0,
    ssoLogin: 0,
    tokenPage: 0,
    served: 0,
    maxWaiting: 0,
    ignored: 0,
    abandoned: 0,
    rateLimited: 0,
    busHandshakes: 0,
    busConnects: 0,
    busSubscribes: 0,
    busRefused: 0,
    busMessages: 0,
    busSessionSetups: 0,
  };
}

/**
 * The session limits and rate limit rules, checked: each mistake names the option. The control
 * API (`POST /mock/config`) checks its body with the same rules.
 */
export function checkedLimits(
  limits: SessionLimits & { rateLimits: readonly RateLimitRule[] },
): SessionLimits & { rateLimits: readonly RateLimitRule[] } {
  const problem = limitsProblem(limits);
  if (problem) {
    throw new Error(problem);
  }
  return limits;
}

/** What is wrong with some of the session limits and rate limit rules, or `null`. */
export function limitsProblem(
  limits: Partial<SessionLimits & { rateLimits: unknown }>,
): string | null {
  const whole = (name: string, value: unknown, min: number) =>
    value === undefined || (Number.isInteger(value) && (value as number) >= min)
      ? null
      : `${name} must be a whole number of at least ${min}; got ${JSON.stringify(value)}`;
  return (
    whole('sessionConcurrency', limits.sessionConcurrency, 0) ??
    whole('maxWaiters', limits.maxWaiters, 0) ??
    whole('latency', limits.latency, 0) ??
    whole('jitter', limits.jitter, 0) ??
    (limits.ignoredRequests === undefined || IGNORED_ANSWERS.includes(limits.ignoredRequests)
      ? null
      : `ignoredRequests must be one of ${IGNORED_ANSWERS.join(', ')}; got ${JSON.stringify(limits.ignoredRequests)}`) ??
    (limits.rateLimits === undefined ? null : rateLimitRulesProblem(limits.rateLimits))
  );
}
