/**
 * `ngx-user-token-mock-instance/testing`: a mock instance for a Jest or Vitest suite — started
 * before the suite's first test on a free port, closed after its last, and (by default) put back
 * to its starting data and counters before each test.
 *
 * ```ts
 * import { logIn, useMockInstance } from 'ngx-user-token-mock-instance/testing';
 *
 * const instance = useMockInstance();
 * it('survives a token rotation', async () => {
 *   const abel = await logIn(instance().url, 'abel.tuter', 'demo');
 *   expect((await abel.fetch('/api/now/table/incident')).status).toBe(200);
 *   await instance().control.rotateToken('abel.tuter');
 *   expect((await abel.fetch('/api/now/table/incident')).status).toBe(401);
 * });
 * ```
 */
import { MockInstance, MockInstanceOptions, startMockInstance } from './index';

/** The hooks of the test runner; Jest's and Vitest's globals by default. */
export interface TestHooks {
  beforeAll(fn: () => Promise<void>): void;
  afterAll(fn: () => Promise<void>): void;
  beforeEach(fn: () => Promise<void>): void;
}

export interface UseMockInstanceOptions extends MockInstanceOptions {
  /** Restore the data and the counters before each test. Default true. */
  readonly resetBetweenTests?: boolean;
  /** The runner's hooks, for Vitest without `globals: true` (`import { beforeAll, ... } from 'vitest'`). */
  readonly hooks?: TestHooks;
}

/**
 * Registers the suite's mock instance (with the control API on: `dev` defaults to true) and
 * returns a getter for it, to call inside tests.
 */
export function useMockInstance(options: UseMockInstanceOptions = {}): () => MockInstance {
  const { resetBetweenTests = true, hooks = globalHooks(), ...instanceOptions } = options;
  let instance: MockInstance | null = null;
  hooks.beforeAll(async () => {
    instance = await startMockInstance({ dev: true, ...instanceOptions });
  });
  hooks.afterAll(async () => {
    await instance?.close();
    instance = null;
  });
  if (resetBetweenTests) {
    hooks.beforeEach(async () => {
      await instance?.control.reset();
    });
  }
  return () => {
    if (instance === null) {
      throw new Error('the mock instance runs only inside the suite: call the getter in a test');
    }
    return instance;
  };
}

function globalHooks(): TestHooks {
  const g = globalThis as Partial<TestHooks>;
  if (!g.beforeAll || !g.afterAll || !g.beforeEach) {
    throw new Error(
      'useMockInstance needs beforeAll, afterAll and beforeEach: run it in Jest, in Vitest with ' +
        'globals: true, or pass { hooks: { beforeAll, afterAll, beforeEach } }',
    );
  }
  return { beforeAll: g.beforeAll, afterAll: g.afterAll, beforeEach: g.beforeEach };
}

/** A user's UI session on a mock instance, as a browser tab holds one: see {@link logIn}. */
export interface MockInstanceSession {
  readonly user: string;
  /** The session's cookie, as a `Cookie` header value (`JSESSIONID=…`). */
  readonly cookie: string;
  /** The session token the page had when it logged in (what `window.g_ck` holds). */
  readonly token: string;
  /**
   * `fetch` as the tab's own code: `path` resolved against the instance, the session's cookie and
   * `X-UserToken: <token>` added unless `init` sets them.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * Logs `user` in to the mock instance at `url` (the login form's POST, as a browser sends it)
 * and reads the session's token, for API calls in Jest, Vitest or node's runner. Rejects, naming
 * the user, when the instance refuses the password.
 */
export async function logIn(
  url: string,
  user = 'abel.tuter',
  password = 'demo',
): Promise<MockInstanceSession> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const login = await fetch(new URL('login.do', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user_name: user, user_password: password }).toString(),
    redirect: 'manual',
  });
  const session = login.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .find((pair) => pair.startsWith('JSESSIONID='));
  if (login.status !== 302 || !session) {
    throw new Error(`the mock instance refused the login of "${user}" (wrong password?)`);
  }
  const token = (
    await (
      await fetch(new URL('user_token.do', base), {
        headers: { Cookie: session },
      })
    ).text()
  ).trim();
  return {
    user,
    cookie: session,
    token,
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('Cookie')) {
        headers.set('Cookie', session);
      }
      if (!headers.has('X-UserToken')) {
        headers.set('X-UserToken', token);
      }
      return fetch(new URL(path.replace(/^\//, ''), base), { ...init, headers });
    },
  };
}
