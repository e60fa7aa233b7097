/**
 * `ngx-user-token-mock-instance/playwright`: a Playwright `test` with a mock instance per worker.
 *
 * ```ts
 * // playwright.config.ts: use: { mockInstanceOptions: { appDir: 'dist/my-app/browser' } }
 * import { expect, test } from 'ngx-user-token-mock-instance/playwright';
 *
 * test('my app survives a token rotation', async ({ page, instance, logIn }) => {
 *   await logIn('abel.tuter', 'demo'); // then the page shows the app, logged in
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
  /**
   * Logs the test's page in as `user` (default `abel.tuter`, password `demo`: the demo data's),
   * as the instance's login form does, then opens `path` (default `/`: the app served with
   * `appDir`, or a UI page's endpoint). Throws, naming the user, when the instance refuses the
   * password.
   */
  readonly logIn: (user?: string, password?: string, path?: string) => Promise<void>;
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
  logIn: async ({ page, instance }, use) => {
    await use(async (user = 'abel.tuter', password = 'demo', path = '/') => {
      // The page's context keeps the session cookie the login sets, as a browser does.
      const answer = await page.context().request.post(`${instance.url}/login.do`, {
        form: { user_name: user, user_password: password, sysparm_goto: path },
        maxRedirects: 0,
      });
      if (answer.status() !== 302) {
        throw new Error(`the mock instance refused the login of "${user}" (wrong password?)`);
      }
      await page.goto(new URL(path, `${instance.url}/`).href);
    });
  },
});
