#!/usr/bin/env node
/**
 * `ngx-user-token-dev-proxy --instance <url>`: the dev proxy from the command line. Credentials
 * come from the environment (or a prompt in a terminal), never from flags; they are never written
 * anywhere or printed.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { angularProxyConfig } from './proxy-config';
import { startDevProxy } from './server';
import { credentialsFromEnvironment } from './credentials';
import { LoginError } from './session';

const USAGE = `Usage: ngx-user-token-dev-proxy --instance <url> [options]
       (in this workspace: npm run dev-proxy -- --instance <url> [options])

Forwards every request to a ServiceNow instance with a live session of its own, so that an app
served on localhost (ng serve) can call the instance's REST API: the proxy replaces the browser's
cookies with its session and sets X-UserToken, follows token rotation, logs in again when the
session ends (user and password), and serves the current token at a token page for the app.

Options:
  --instance <url>            the instance, e.g. https://dev12345.service-now.com (required)
  --port <n>                  port to listen on (default 4300; 0 picks a free one)
  --host <addr>               address to listen on (default 127.0.0.1). The proxy acts as you on
                              the instance and serves your session token: keep it on loopback
  --token-path <path>         where the token page is served (default /user_token.do): point the
                              app's withTokenPage() at it
  --write-proxy-config <file> write an Angular CLI proxy configuration for this proxy to <file>
                              (for ng serve --proxy-config <file>) and go on
  --help                      show this help

Credentials, from the environment only (never flags, never written, never printed):
  SN_USER, SN_PASSWORD   log in as a UI session, the way ServiceNow's CLI does; logged in again
                         when the session ends
  SN_COOKIE              the Cookie header of a logged-in browser tab (SSO and MFA users); when
                         that session ends, export a fresh one
  SN_OAUTH_TOKEN         an OAuth access token (Authorization: Bearer; no session token needed)
With none set, in a terminal, it asks for a user name and password.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      instance: { type: 'string' },
      port: { type: 'string', default: '4300' },
      host: { type: 'string', default: '127.0.0.1' },
      'token-path': { type: 'string', default: '/user_token.do' },
      'write-proxy-config': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.instance) {
    throw new LoginError('failed', '--instance <url> is required');
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LoginError('failed', `--port must be a port number; got "${values.port}"`);
  }
  if (!values['token-path'].startsWith('/')) {
    throw new LoginError('failed', `--token-path must start with /; got "${values['token-path']}"`);
  }
  const credentials = await credentialsFromEnvironment();
  const proxy = await startDevProxy({
    instance: values.instance,
    credentials,
    port,
    host: values.host,
    tokenPath: values['token-path'],
    log: (line) => console.log(`dev proxy: ${line}`),
  });
  if (values['write-proxy-config']) {
    const config = angularProxyConfig(proxy.url, values['token-path']);
    writeFileSync(values['write-proxy-config'], `${JSON.stringify(config, null, 2)}\n`);
    console.log(`dev proxy: wrote ${values['write-proxy-config']} (ng serve --proxy-config)`);
  }
  const who =
    credentials.mode === 'password'
      ? `UI session of ${credentials.user}`
      : credentials.mode === 'cookie'
        ? 'exported browser session'
        : 'OAuth bearer token';
  console.log(`Dev proxy for ${new URL(values.instance).origin} listening on ${proxy.url}/`);
  console.log(`  ${who}; token page at ${proxy.url}${values['token-path']}`);
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof LoginError) {
    console.error(`dev proxy: login failed: ${error.message}`);
  } else {
    console.error(`dev proxy: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
