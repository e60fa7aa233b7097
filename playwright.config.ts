import { defineConfig } from '@playwright/test';

/**
 * Browser tests of the demo: Debian's Chromium (never a downloaded browser) against `npm start`'s
 * server, started once on a free port by the global setup.
 */
export default defineConfig({
  testDir: 'projects/demo/e2e',
  testMatch: '*.e2e.ts',
  globalSetup: './projects/demo/e2e/global-setup.ts',
  outputDir: 'test-results',
  timeout: 60_000,
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env['DEMO_URL'],
    launchOptions: {
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'off',
  },
});
