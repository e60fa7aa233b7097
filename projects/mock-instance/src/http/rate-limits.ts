/**
 * Inbound REST API rate limit rules (the `sys_rate_limit_rules` table), as ServiceNow's docs
 * describe them ("Inbound REST API rate limiting", ServiceNowDocs
 * `markdown/api-reference/rest-api-explorer/inbound-REST-API-rate-limiting.md`):
 * - a rule limits the requests per hour of a single user, of users with a role, or of all users,
 *   for a resource; a single-user rule overrides role rules, which override all-users rules; of
 *   several role rules that match, the one allowing the fewest requests applies;
 * - a request a rule matches carries `X-RateLimit-Limit` (requests allowed), `X-RateLimit-Reset`
 *   (Unix time of the next reset) and `X-RateLimit-Rule` (the rule's sys_id);
 * - one over the limit gets `429 Too Many Requests`, `Retry-After` (seconds) and
 *   `{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for
 *   Table API exceeded"},"status":"failure"}`.
 *
 * The mock's own choices, unverified: `X-RateLimit-Remaining` (named in this workspace's notes on
 * ServiceNow's clients, not in the docs); windows other than an hour (`window`, for tests), aligned
 * to multiples of the window since the epoch; counts kept exactly, where an instance's nodes commit
 * theirs every 30 seconds.
 */
import { createHash } from 'node:crypto';

import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';

import type { Caller } from '../session/csrf';
import { sendError } from './responses';

/** A rate limit rule; one with neither `user` nor `role` is for all users. */
export interface RateLimitRule {
  /** A name for the logs; the rule's sys_id (`X-RateLimit-Rule`) is derived from it. */
  name?: string;
  /** Requests allowed per window. */
  limit: number;
  /** The window, in seconds. Default 3600 (an hour, as on an instance). */
  window?: number;
  /** Only this user (a "Single user" rule). */
  user?: string;
  /** Only users with this role (a "Users with role" rule). */
  role?: string;
  /** Only requests whose path starts with this (e.g. `/api/now/table/incident`). Default all `/api/`. */
  resource?: string;
  /** Only this method. Default every method. */
  method?: string;
}

// Not exported: the package's declarations name no zod type, so an app's type check never reads
// zod's (which need `esModuleInterop`).
const rulesSchema: z.ZodType<RateLimitRule[]> = z.array(
  z
    .object({
      name: z.string().min(1).optional(),
      limit: z.number().int().min(0),
      window: z.number().int().positive().optional(),
      user: z.string().min(1).optional(),
      role: z.string().min(1).optional(),
      resource: z.string().startsWith('/api/').optional(),
      method: z
        .string()
        .regex(/^[A-Za-z]+$/)
        .optional(),
    })
    .strict()
    .refine((rule) => !(rule.user && rule.role), 'a rule is for a user or for a role, not both'),
);

/** What is wrong with a list of rate limit rules, each problem by its place, or `null`. */
export function rateLimitRulesProblem(rules: unknown): string | null {
  const checked = rulesSchema.safeParse(rules);
  return checked.success
    ? null
    : `rateLimits: ${checked.error.issues.map((i) => `${i.path.join('.') || '(list)'}: ${i.message}`).join('; ')}`;
}

/** What rate limiting counts. */
export interface RateLimitStats {
  /** Requests refused with a 429. */
  rateLimited: number;
}

/** A REST path without its query, versioned paths read as the unversioned ones. */
function restPath(req: Request): string {
  return req.originalUrl.split('?')[0].replace(/^\/api\/now\/v[12]\//, '/api/now/');
}

/** The name ServiceNow's message gives the API a path belongs to. */
function apiName(path: string): string {
  const [, , , api] = path.split('/');
  const names: Record<string, string> = {
    table: 'Table API',
    stats: 'Aggregate API',
    attachment: 'Attachment API',
    batch: 'Batch API',
  };
  return names[api ?? ''] ?? 'REST API';
}

/** The rule that applies to `caller`'s request, by the docs' priority, with its index. */
function ruleFor(
  rules: readonly RateLimitRule[],
  req: Request,
  caller: Caller,
  roles: readonly string[],
): [RateLimitRule, number] | null {
  const path = restPath(req);
  const matching = rules
    .map((rule, index) => [rule, index] as [RateLimitRule, number])
    .filter(
      ([rule]) =>
        (rule.resource === undefined || path.startsWith(rule.resource)) &&
        (rule.method === undefined || rule.method.toUpperCase() === req.method),
    );
  const fewest = (found: [RateLimitRule, number][]) =>
    found.length === 0 ? null : found.reduce((a, b) => (b[0].limit < a[0].limit ? b : a));
  return (
    fewest(matching.filter(([rule]) => rule.user === caller.userName)) ??
    fewest(matching.filter(([rule]) => rule.role !== undefined && roles.includes(rule.role))) ??
    fewest(matching.filter(([rule]) => rule.user === undefined && rule.role === undefined))
  );
}

/**
 * The middleware, after authentication (it reads the caller): counts each caller's requests per
 * rule and window, adds the rate limit headers, and refuses those over the limit.
 */
export function rateLimiting(deps: {
  rules: () => readonly RateLimitRule[];
  rolesOf: (userName: string) => readonly string[];
  callerOf: (res: Response) => Caller;
  clock: () => number;
  stats: RateLimitStats;
}) {
  const counts = new Map<string, number>();
  return (req: Request, res: Response, next: NextFunction): void => {
    const rules = deps.rules();
    if (rules.length === 0) {
      next();
      return;
    }
    const caller = deps.callerOf(res);
    const found = ruleFor(rules, req, caller, deps.rolesOf(caller.userName));
    if (!found) {
      next();
      return;
    }
    const [rule, index] = found;
    const windowMs = (rule.window ?? 3600) * 1000;
    const now = deps.clock();
    const reset = (Math.floor(now / windowMs) + 1) * windowMs;
    const key = `${index}|${caller.userName}|${reset}`;
    if (counts.size > 10_000) {
      for (const k of counts.keys()) {
        if (Number(k.split('|')[2]) <= now) {
          counts.delete(k);
        }
      }
    }
    const used = (counts.get(key) ?? 0) + 1;
    counts.set(key, used);
    const headers = {
      'X-RateLimit-Limit': String(rule.limit),
      'X-RateLimit-Remaining': String(Math.max(0, rule.limit - used)),
      'X-RateLimit-Reset': String(Math.ceil(reset / 1000)),
      'X-RateLimit-Rule': createHash('md5')
        .update(`sys_rate_limit_rules:${rule.name ?? index}`)
        .digest('hex'),
    };
    if (used > rule.limit) {
      deps.stats.rateLimited++;
      const per =
        rule.window === undefined || rule.window === 3600 ? 'hour' : `${rule.window} seconds`;
      sendError(
        req,
        res,
        429,
        {
          message: 'Rate limit exceeded',
          detail: `Rate limit of ${rule.limit} requests per ${per} for ${apiName(restPath(req))} exceeded`,
        },
        { ...headers, 'Retry-After': String(Math.max(1, Math.ceil((reset - now) / 1000))) },
      );
      return;
    }
    res.set(headers);
    next();
  };
}
