/**
 * What one mock instance holds and counts: its data, sessions, installed apps, switches and
 * counters, shared by the routers that serve it.
 */
import type { InstalledApps } from './apps/installed-apps';
import type { Database } from './data/database';
import type { RequestGuard } from './http/dev-guard';
import type { AttachmentStore } from './http/attachment-api';
import type { AuthConfig, AuthStats } from './session/csrf';
import type { SessionStore } from './session/sessions';

/**
 * What the server counts, for tests and benchmarks. `GET /mock/stats` adds `rotations` (tokens
 * rotated, by timer or on demand; `sessions.rotations` in process). Reset with
 * `POST /mock/stats/reset`.
 */
export interface MockInstanceStats extends AuthStats {
  /** Every request and WebSocket upgrade that reached the server, refused ones included. */
  requests: number;
  /** Requests to `/api/`. */
  api: number;
  /** Requests to the token page. */
  tokenPage: number;
}

/** What `POST /mock/config` can switch while the instance runs. */
export interface InstanceSwitches extends AuthConfig {
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
}

/** Every counter at zero. */
export function emptyStats(): MockInstanceStats {
  return { requests: 0, api: 0, unauthorized: 0, challenged: 0, ssoLogin: 0, tokenPage: 0 };
}
