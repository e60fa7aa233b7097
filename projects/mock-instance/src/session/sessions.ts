/**
 * UI sessions: a session cookie, the user, and the session token a page gets as `g_ck`.
 * Token rotation and session timeout are applied when a session is looked up, so what a client
 * observes is the same as with timers, and tests can drive time with their own clock.
 */
import { randomBytes } from 'node:crypto';

export interface Session {
  readonly id: string;
  readonly userSysId: string;
  readonly userName: string;
  token: string;
  tokenIssuedAt: number;
  lastSeen: number;
  /** The value of its `glide_session_store` cookie (a session set up by Basic authentication). */
  readonly storeId: string;
  /** Idle time after which it ends (ms); null: never. */
  readonly idleTimeoutMs: number | null;
}

/**
 * How long a session set up by a Basic-authenticated REST call lives without activity when the
 * instance has no `sessionTimeout`: 30 minutes, `glide.ui.session_timeout`'s default, which is
 * also the `Max-Age` of the `glide_session_store` cookie such a call gets (1800 in every
 * recording: see `session-cookies.ts`). Without it, every cookie-less call would leave a session
 * behind for good.
 */
export const INTEGRATION_SESSION_TIMEOUT_MS = 30 * 60_000;

export interface SessionOptions {
  /** Rotate a session's token this long after it was issued (ms); null: never. */
  readonly tokenTtlMs: number | null;
  /** End a session idle this long (ms); null: never. */
  readonly sessionTimeoutMs: number | null;
  readonly clock: () => number;
}

/** A fresh session token: 64 hex digits, like an instance's `g_ck`. */
function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** A session id as an instance's cookies carry one: 32 upper-case hex digits. */
function newSessionId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners: ((id: string) => void)[] = [];
  /** Tokens rotated so far (by timer or on demand). */
  rotations = 0;

  /**
   * The instance's node, as its `glide_user_route` cookie names it (`glide.` and 32 hex digits in
   * every recording), the same for every session of this instance.
   */
  readonly route = `glide.${randomBytes(16).toString('hex')}`;

  constructor(private readonly options: SessionOptions) {}

  /**
   * Starts a session for a user who just logged in (`integration`: set up by a Basic-authenticated
   * REST call, which ends after {@link INTEGRATION_SESSION_TIMEOUT_MS} idle unless the instance's
   * own timeout is set). Sessions idle past their timeout are dropped meanwhile.
   */
  create(
    user: { sys_id: string; user_name: string },
    kind: { integration?: boolean } = {},
  ): Session {
    const now = this.options.clock();
    for (const old of [...this.sessions.values()]) {
      if (old.idleTimeoutMs !== null && now - old.lastSeen >= old.idleTimeoutMs) {
        this.ended(old.id);
      }
    }
    const session: Session = {
      id: newSessionId(),
      userSysId: user.sys_id,
      userName: user.user_name,
      token: newToken(),
      tokenIssuedAt: now,
      lastSeen: now,
      storeId: newSessionId(),
      idleTimeoutMs:
        this.options.sessionTimeoutMs ?? (kind.integration ? INTEGRATION_SESSION_TIMEOUT_MS : null),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** A fresh session id that names no session: what a refused guest is handed. */
  guestId(): string {
    return newSessionId();
  }

  /**
   * Seconds until the session with this id ends if idle from now on: 0 when it is not live; for a
   * session that never times out (no `sessionTimeout`), always the 1800 of an instance's default
   * `glide.ui.session_timeout` (what the message bus tells clients: see `amb/message-bus.ts`).
   */
  secondsLeft(id: string | undefined): number {
    const session = this.peek(id);
    if (!session) {
      return 0;
    }
    if (session.idleTimeoutMs === null) {
      return INTEGRATION_SESSION_TIMEOUT_MS / 1000;
    }
    const idle = this.options.clock() - session.lastSeen;
    return Math.max(0, Math.ceil((session.idleTimeoutMs - idle) / 1000));
  }

  /**
   * The live session with this id, or null. Ends it if it idled past the timeout; rotates its
   * token if the token outlived its TTL (as "Remember me" silently starts a new session).
   */
  /**
   * Whether `id` names a live session, without touching it: no activity recorded, no token
   * rotated (what serving a request does, through `get`).
   */
  isLive(id: string | undefined): boolean {
    const session = id ? this.sessions.get(id) : undefined;
    return (
      session !== undefined &&
      (session.idleTimeoutMs === null ||
        this.options.clock() - session.lastSeen < session.idleTimeoutMs)
    );
  }

  /** A live session, without touching it (see `isLive`). */
  peek(id: string | undefined): Session | null {
    return this.isLive(id) ? this.sessions.get(id!)! : null;
  }

  /** Calls `listener` with the id of each session that ends (logout, timeout, on demand). */
  onEnd(listener: (id: string) => void): void {
    this.endListeners.push(listener);
  }

  private ended(id: string): boolean {
    const was = this.sessions.delete(id);
    if (was) {
      this.endListeners.forEach((listener) => listener(id));
    }
    return was;
  }

  get(id: string | undefined): Session | null {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) {
      return null;
    }
    const now = this.options.clock();
    const { tokenTtlMs } = this.options;
    if (session.idleTimeoutMs !== null && now - session.lastSeen >= session.idleTimeoutMs) {
      this.ended(session.id);
      return null;
    }
    if (tokenTtlMs !== null && now - session.tokenIssuedAt >= tokenTtlMs) {
      this.rotate(session);
    }
    session.lastSeen = now;
    return session;
  }

  /** Gives the session a new token; the old one is rejected from now on. */
  rotate(session: Session): string {
    this.rotations++;
    session.token = newToken();
    session.tokenIssuedAt = this.options.clock();
    return session.token;
  }

  /** The live sessions of a user (by user name), oldest first. */
  ofUser(userName: string): Session[] {
    return [...this.sessions.values()]
      .filter((s) => s.userName === userName)
      .map((s) => this.get(s.id))
      .filter((s): s is Session => s !== null);
  }

  /** Ends a session: its cookie no longer authenticates anything. */
  end(id: string): boolean {
    return this.ended(id);
  }

  /** Ends every session. */
  endAll(): void {
    [...this.sessions.keys()].forEach((id) => this.ended(id));
  }

  get size(): number {
    return this.sessions.size;
  }
}
