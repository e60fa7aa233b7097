/**
 * `npm start`: builds the demo (and rebuilds it on every change) and serves it through the mock
 * instance, so app and API share one origin as they would on an instance.
 *
 *   npm start                     http://127.0.0.1:4200/, watch mode
 *   npm start -- --port 0         a free port (printed)
 *   npm start -- --once           build once, no watch (what the browser tests use)
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { DEMO_PASSWORD, LOGIN_USERS, startMockInstance } from '../mock-instance/src/index';

const root = resolve(__dirname, '../..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env['PORT'] ?? '4200' },
      host: { type: 'string', default: '127.0.0.1' },
      once: { type: 'boolean', default: false },
    },
  });
  // The build below fills it; until then the mock's page says the app is being built.
  const appDir = join(root, 'dist/demo/browser');
  mkdirSync(appDir, { recursive: true });
  const instance = await startMockInstance({
    port: Number(values.port),
    host: values.host,
    dev: true,
    appDir,
  });

  const args = [
    'build',
    'demo',
    '--configuration',
    'development',
    ...(values.once ? [] : ['--watch']),
  ];
  const build = spawn(join(root, 'node_modules/.bin/ng'), args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NG_CLI_ANALYTICS: 'false' },
  });
  let announced = false;
  build.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    if (!announced && chunk.toString().includes('Application bundle generation complete')) {
      announced = true;
      const others = LOGIN_USERS.slice(1)
        .map((u) => u.userName)
        .join(', ');
      console.log(`\nDemo running at ${instance.url}/`);
      console.log(
        `Log in as ${LOGIN_USERS[0].userName} (also: ${others}), password "${DEMO_PASSWORD}".`,
      );
      console.log(
        values.once ? 'Built once; Ctrl+C to stop.' : 'Watching the sources; Ctrl+C to stop.',
      );
    }
  });

  const stop = (code: number) => {
    build.kill('SIGTERM');
    void instance.close().finally(() => process.exit(code));
  };
  build.on('exit', (code) => {
    if (code !== 0 && code !== null) {
      console.error(`The demo build failed (exit ${code}).`);
      stop(1);
    } else if (!values.once) {
      stop(0);
    }
  });
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
