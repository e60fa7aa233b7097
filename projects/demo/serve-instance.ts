/**
 * `npm run start:instance -- --instance <url>`: the demo under `ng serve` on localhost, against a
 * real instance through the dev proxy (credentials from the environment, as the proxy takes them).
 *
 *   SN_USER=admin SN_PASSWORD=... npm run start:instance -- --instance https://dev12345.service-now.com
 *   SN_COOKIE='JSESSIONID=...; glide_user_route=...' npm run start:instance -- --instance <url>
 *
 * The app's token page (`withTokenPage('/user_token.do')`) is served by the proxy with its current token.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import {
  angularProxyConfig,
  credentialsFromEnvironment,
  LoginError,
  startDevProxy,
} from '../dev-proxy/src/index';

const root = resolve(__dirname, '../..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      instance: { type: 'string' },
      port: { type: 'string', default: '4200' },
      'proxy-port': { type: 'string', default: '0' },
      /** Also route the mock instance's control API (`/mock/`): for tests against the mock. */
      'mock-controls': { type: 'boolean', default: false },
    },
  });
  if (!values.instance) {
    throw new LoginError('failed', '--instance <url> is required');
  }
  const proxy = await startDevProxy({
    instance: values.instance,
    credentials: await credentialsFromEnvironment(),
    port: Number(values['proxy-port']),
    log: (line) => console.log(`dev proxy: ${line}`),
  });
  const config: Record<string, unknown> = angularProxyConfig(proxy.url);
  if (values['mock-controls']) {
    config['/mock'] = { target: proxy.url, secure: false, changeOrigin: false };
  }
  mkdirSync(join(root, 'tmp'), { recursive: true });
  const configFile = join(root, 'tmp/dev-proxy.conf.json');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`Dev proxy for ${values.instance} at ${proxy.url}/`);

  const serve = spawn(
    join(root, 'node_modules/.bin/ng'),
    ['serve', 'demo', '--port', values.port, '--proxy-config', configFile],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, NG_CLI_ANALYTICS: 'false' },
    },
  );
  const stop = (code: number) => {
    serve.kill('SIGTERM');
    void proxy.close().finally(() => process.exit(code));
  };
  serve.on('exit', (code) => stop(code ?? 0));
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error instanceof LoginError ? `dev proxy: login failed: ${message}` : message);
  process.exit(1);
});
