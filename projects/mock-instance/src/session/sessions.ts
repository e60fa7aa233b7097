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
}

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

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly endListeners: ((id: string) => void)[] = [];
  /** Tokens rotated so far (by timer or on demand). */
  rotations = 0;

  constructor(private readonly options: SessionOptions) {}

  /** Starts a session for a user who just logged in. */
  create(user: { sys_id: string; user_name: string }): Session {
    const now = this.options.clock();
    const session: Session = {
      id: randomBytes(16).toString('hex').toUpperCase(),
      userSysId: user.sys_id,
      userName: user.user_name,
      token: newToken(),
      tokenIssuedAt: now,
      lastSeen: now,
    };
    this.sessions.set(session.id, session);
    return session;
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
    const { sessionTimeoutMs } = this.options;
    return (
      session !== undefined &&
      (sessionTimeoutMs === null || this.options.clock() - session.lastSeen < sessionTimeoutMs)
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
    const { tokenTtlMs, sessionTimeoutMs } = this.options;
    if (sessionTimeoutMs !== null && now - session.lastSeen >= sessionTimeoutMs) {
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
