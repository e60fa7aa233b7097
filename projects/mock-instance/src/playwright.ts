/**
 * `ngx-user-token-mock-instance/playwright`: a Playwright `test` with a mock instance per worker.
 *
 * ```ts
 * // playwright.config.ts: use: { mockInstanceOptions: { appDir: 'dist/my-app/browser' } }
 * import { expect, test } from 'ngx-user-token-mock-instance/playwright';
 *
 * test('my app survives a token rotation', async ({ page, instance }) => {
 *   await page.goto(instance.url);
 *   // ...log in as abel.tuter / demo, see the list...
 *   await instance.control.rotateToken('abel.tuter');
 *   // ...reload the list: it still shows...
 * });
 * ```
 *
 * The instance is started once per worker (with the control API on) and put back to its starting
 * data and counters before each test.
 */
import { test as base } from '@playwright/test';

import { MockInstance, MockInstanceOptions, startMockInstance } from './index';

export { expect } from '@playwright/test';

export interface MockInstanceFixtures {
  /** The worker's mock instance, reset before each test. */
  readonly instance: MockInstance;
}

export interface MockInstanceWorkerFixtures {
  /** How the worker's instance is started (`use: { mockInstanceOptions }`). */
  readonly mockInstanceOptions: MockInstanceOptions;
  readonly workerInstance: MockInstance;
}

export const test = base.extend<MockInstanceFixtures, MockInstanceWorkerFixtures>({
  mockInstanceOptions: [{}, { option: true, scope: 'worker' }],
  workerInstance: [
    async ({ mockInstanceOptions }, use) => {
      const instance = await startMockInstance({ dev: true, ...mockInstanceOptions });
      await use(instance);
      await instance.close();
    },
    { scope: 'worker' },
  ],
  instance: async ({ workerInstance }, use) => {
    await workerInstance.control.reset();
    await use(workerInstance);
  },
});
