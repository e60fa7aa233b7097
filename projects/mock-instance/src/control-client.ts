/**
 * A typed client of the control API (`/mock/`), for tests in Node: the same calls the demo's
 * buttons make, over HTTP, so it works alike for an instance started in the test's own process and
 * for one started with the command line. Needs the instance to run with `dev`.
 */
import type { InstallReport } from './apps/installed-apps';
import type { MockRedirect, RedirectStatus } from './http/redirects';
import type { InstanceSwitches, MockInstanceStats } from './instance-state';

/** The switches `configure` sets (each optional), as `POST /mock/config` takes them. */
export type MockInstanceSwitches = InstanceSwitches;

/** The counters, as `GET /mock/stats` reads them. */
export interface MockInstanceCounts extends MockInstanceStats {
  /** Tokens rotated so far, by timer or on demand. */
  rotations: number;
}

/** A control call the instance refused: its status and the instance's error detail. */
export class MockInstanceControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'MockInstanceControlError';
  }
}

export interface MockInstanceControl {
  /**
   * Gives every session of `user` a new token, as an instance does when "Remember me" starts a
   * new session: the token pages hold goes stale. Resolves to the number of sessions rotated;
   * rejects when the user has none.
   */
  rotateToken(user: string): Promise<number>;
  /** Ends every session of `user`: the user must log in again. Resolves to how many ended. */
  endSession(user: string): Promise<number>;
  /** Sets switches for the whole instance; resolves to all of them as they now are. */
  configure(switches: Partial<MockInstanceSwitches>): Promise<MockInstanceSwitches>;
  /** The counters (requests, `/api` calls, 401s, challenges, token page fetches, rotations). */
  stats(): Promise<MockInstanceCounts>;
  /** Sets every counter to zero. */
  resetStats(): Promise<MockInstanceCounts>;
  /**
   * Puts the instance back as it started: its data, no attachments, no sessions (every page must
   * log in again), its switches, zero counts.
   */
  reset(): Promise<void>;
  /** Installs an application package (the zip `now-sdk pack` writes). */
  install(zip: Uint8Array): Promise<InstallReport>;
  /**
   * Answers every request for `path` (any method; the query does not matter) with a redirect to
   * `location` — a path of the instance or an `http(s)` URL, the request's query appended — before
   * authentication, as a front door answers for a moved path; `status` 302 unless given (301,
   * 303, 307, 308). A later rule for the same path replaces it; `reset()` or `clearRedirects()`
   * removes them. For tests of what a client does with a redirected request. Resolves to every
   * redirect now set.
   */
  redirect(rule: {
    path: string;
    location: string;
    status?: RedirectStatus;
  }): Promise<MockRedirect[]>;
  /** Removes every redirect `redirect()` set. */
  clearRedirects(): Promise<void>;
}

/** A control client for the instance at `url` (`http://127.0.0.1:<port>`). */
export function mockInstanceControl(url: string): MockInstanceControl {
  const call = async <T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> => {
    const init: RequestInit = { method };
    if (body instanceof Uint8Array) {
      init.body = Buffer.from(body);
      init.headers = { 'Content-Type': 'application/zip' };
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    const response = await fetch(new URL(`/mock${path}`, url), init);
    const text = await response.text();
    if (!response.ok) {
      let error: { message?: string; detail?: string } | undefined;
      try {
        error = (JSON.parse(text) as { error?: typeof error }).error;
      } catch {
        // not the instance's error shape
      }
      throw new MockInstanceControlError(
        response.status,
        error === undefined && response.status === 404
          ? `no control API at ${url}/mock/: start the mock instance with dev (--dev)`
          : `${method} /mock${path} failed with ${response.status}: ` +
              (error
                ? [error.message, error.detail].filter(Boolean).join(': ')
                : text.slice(0, 200)),
      );
    }
    return JSON.parse(text) as T;
  };
  return {
    rotateToken: async (user) =>
      (await call<{ rotated: number }>('POST', '/rotate-token', { user })).rotated,
    endSession: async (user) =>
      (await call<{ ended: number }>('POST', '/end-session', { user })).ended,
    configure: (switches) => call('POST', '/config', switches),
    stats: () => call('GET', '/stats'),
    resetStats: () => call('POST', '/stats/reset'),
    reset: async () => {
      await call('POST', '/reset');
    },
    install: (zip) => call('POST', '/install', zip),
    redirect: async (rule) =>
      (await call<{ redirects: MockRedirect[] }>('POST', '/redirects', rule)).redirects,
    clearRedirects: async () => {
      await call('DELETE', '/redirects');
    },
  };
}
