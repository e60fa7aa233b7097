/**
 * `ngx-user-token-mock-instance/testing`: a mock instance for a Jest or Vitest suite — started
 * before the suite's first test on a free port, closed after its last, and (by default) put back
 * to its starting data and counters before each test.
 *
 * ```ts
 * import { useMockInstance } from 'ngx-user-token-mock-instance/testing';
 *
 * const instance = useMockInstance();
 * it('survives a token rotation', async () => {
 *   // ...log in, load, then:
 *   await instance().control.rotateToken('abel.tuter');
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
