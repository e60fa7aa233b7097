#!/usr/bin/env node
/**
 * `ngx-user-token-dev-proxy --instance <url>`: the dev proxy from the command line. Credentials
 * come from the environment (or a prompt in a terminal), never from flags; they are never written
 * anywhere or printed.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { guardOptionsFromFlags } from '../../dev-guard/src/index';
import { angularProxyConfig } from './proxy-config';
import { DevProxyOptionError, startDevProxy } from './server';
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
  --host <addr>               address to listen on (default 127.0.0.1); a loopback address only,
                              unless --allow-remote
  --allow-remote              allow a --host that is not loopback. The proxy has no
                              authentication of its own: anyone who can reach the port acts on
                              the instance as you
  --allowed-hosts <names>     Host names accepted besides localhost, *.localhost, 127.0.0.1 and
                              [::1] (comma-separated; .example.com for a domain and its
                              subdomains). Any other Host is refused: a guard against DNS
                              rebinding
  --allowed-origins <list>    origins (scheme://host[:port], comma-separated) whose pages may
                              use the session besides loopback ones. Any other Origin, and any
                              request a browser marks Sec-Fetch-Site: cross-site, is refused
  --body-limit <bytes>        largest request body (default 52428800, 50 MB): 413 beyond
  --max-buffer <bytes>        most bytes of request bodies held at once, across all requests
                              (default 268435456, 256 MB): 503 beyond
  --token-path <path>         where the token page is served (default /user_token.do): point the
                              app's withTokenPage() at it
  --write-proxy-config <file> write an Angular CLI proxy configuration for this proxy to <file>
                              (for ng serve --proxy-config <file>) and go on
  --record <dir>              write each request forwarded to the instance, with the instance's
                              answer, as one JSON file in <dir> (created if need be; files
                              numbered in order: 0001-GET-api-now-table-incident.json). Bodies
                              are kept up to 64 KB; cookies, session tokens, Authorization,
                              passwords and other secret fields, g_ck and the instance's host name
                              are scrubbed before anything is written. Replay the folder against
                              the mock instance to see where it differs from the real one:
                              ngx-user-token-mock-instance compare <dir>
  --help                      show this help

Credentials, from the environment only (never flags, never written, never printed):
  SN_USER, SN_PASSWORD   log in as a UI session, the way ServiceNow's CLI does; logged in again
                         when the session ends
  SN_COOKIE              the Cookie header of a logged-in browser tab (SSO and MFA users); when
                         that session ends, export a fresh one
  SN_OAUTH_TOKEN         an OAuth access token (Authorization: Bearer; no session token needed)
With none set, in a terminal, it asks for a user name and password.

The session is the proxy's: the login and logout pages are not forwarded, and nothing the
instance answers to the browser changes the session.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      instance: { type: 'string' },
      port: { type: 'string', default: '4300' },
      host: { type: 'string', default: '127.0.0.1' },
      'allow-remote': { type: 'boolean', default: false },
      'allowed-hosts': { type: 'string', multiple: true },
      'allowed-origins': { type: 'string', multiple: true },
      'body-limit': { type: 'string' },
      'max-buffer': { type: 'string' },
      'token-path': { type: 'string', default: '/user_token.do' },
      'write-proxy-config': { type: 'string' },
      record: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.instance) {
    throw new DevProxyOptionError('--instance <url> is required');
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DevProxyOptionError(`--port must be a port number; got "${values.port}"`);
  }
  if (!values['token-path'].startsWith('/')) {
    throw new DevProxyOptionError(`--token-path must start with /; got "${values['token-path']}"`);
  }
  const credentials = await credentialsFromEnvironment();
  const proxy = await startDevProxy({
    instance: values.instance,
    credentials,
    port,
    host: values.host,
    allowRemote: values['allow-remote'],
    ...guardOptionsFromFlags(values['allowed-hosts'], values['allowed-origins']),
    bodyLimit: bytes('body-limit', values['body-limit']),
    maxBuffer: bytes('max-buffer', values['max-buffer']),
    tokenPath: values['token-path'],
    record: values.record,
    log: (line) => (line.startsWith('WARNING') ? console.warn : console.log)(`dev proxy: ${line}`),
  });
  if (values['write-proxy-config']) {
    const config = angularProxyConfig(proxy.url, values['token-path']);
    writeFileSync(values['write-proxy-config'], `${JSON.stringify(config, null, 2)}\n`);
    console.log(`dev proxy: wrote ${values['write-proxy-config']} (ng serve --proxy-config)`);
  }
  const user = proxy.session.user ?? 'a user the instance did not name';
  const who =
    credentials.mode === 'password'
      ? `UI session of ${user}`
      : credentials.mode === 'cookie'
        ? `exported browser session of ${user}`
        : `OAuth bearer token of ${user}`;
  console.log(`Dev proxy for ${new URL(values.instance).origin} listening on ${proxy.url}`);
  console.log(`  ${who}; token page at ${proxy.url}${values['token-path']}`);
  if (values.record !== undefined) {
    console.log(`  recording the exchanges with the instance in ${resolve(values.record)}`);
  }
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** A positive whole number of bytes, or undefined for the default. */
function bytes(name: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new DevProxyOptionError(`--${name} must be a positive number of bytes; got "${value}"`);
  }
  return n;
}

main().catch((error: unknown) => {
  if (error instanceof LoginError) {
    console.error(`dev proxy: login failed: ${error.message}`);
  } else {
    console.error(`dev proxy: ${error instanceof Error ? error.message : String(error)}`);
  }
  process.exit(1);
});
