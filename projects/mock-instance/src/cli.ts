#!/usr/bin/env node
/**
 * `ngx-user-token-mock-instance [options]` (in this workspace `npm run mock-instance -- [options]`):
 * starts the mock instance and prints where it listens. `ngx-user-token-mock-instance compare
 * <dir>` compares a recording of the dev proxy with the mock instead (`compare/cli.ts`).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { InstanceDataError } from './data/instance-data';
import type { ChallengePolicy, SsoMode } from './session/csrf';
import { guardOptionsFromFlags } from './http/dev-guard';
import type { RateLimitRule } from './http/rate-limits';
import type { IgnoredAnswer } from './session/transactions';
import { packageFile } from './apps/installed-apps';
import { compareCommand } from './compare/cli';
import { startMockInstance } from './server';

const USAGE = `Usage: ngx-user-token-mock-instance [options]
       ngx-user-token-mock-instance compare <dir> [options]
       (in this workspace: npm run mock-instance -- [options])

  compare <dir>          replay a recording of the dev proxy (--record <dir>) against the mock
                         and compare each answer with the recorded one (status, content type,
                         key headers, the body's shape); exit code 0 when all match, 1 when
                         some differ, 2 on an error. compare --help for its options

  --port <n>             port to listen on (default 4200; 0 picks a free one)
  --data <file>          the instance's tables, records, users (passwords, roles), access rules
                         and OAuth clients: JSON, a JavaScript module, or TypeScript with tsx in
                         your project (default: the demo's data). Checked at start: each mistake
                         is named by its path in the file
  --host <addr>          address to listen on (default 127.0.0.1); a loopback address only,
                         unless --allow-remote
  --allow-remote         allow a --host that is not loopback, with a warning: anyone who can
                         reach the port can log in with the data's passwords and, with --dev,
                         use the control API (the Host check stops no client that sends
                         Host: localhost)
  --allowed-hosts <list> Host names accepted besides localhost, *.localhost, 127.0.0.1 and
                         [::1] (comma-separated; .example.com for a domain and its subdomains);
                         any other Host gets a 403 (a guard against DNS rebinding)
  --allowed-origins <list>
                         origins (scheme://host[:port], comma-separated) whose pages may use the
                         control API besides loopback ones
  --dev                  enable the control API under /mock/ (rotate token, end session, reset,
                         install, ...) for tools and pages on loopback; cross-site requests to it
                         are refused
  --token-ttl <s>        rotate each session's token every <s> seconds (default: never)
  --session-timeout <s>  end sessions idle for <s> seconds (default: never)
  --no-token-response    401s carry no X-UserToken-Response header
  --no-allow-resubmit    401s say X-UserToken-AllowResubmit: false
  --challenge <policy>   which 401s carry WWW-Authenticate (the browser's login dialog):
                         missing-token (default: only when no X-UserToken was sent), always, never
  --ignore-no-response-challenge
                         challenge a 401 even when the request sent X-No-Response-Challenge: true
                         (by default such a request gets no WWW-Authenticate)
  --sso <mode>           a REST call without a live session gets: off (default) the 401;
                         redirect: a 302 to an identity provider on another port; html: 200 and
                         the login page
  --invalid-query-returns-no-rows
                         a query with an invalid condition (unknown field or operator) returns no
                         rows, as glide.invalid_query.returns_no_rows=true makes an instance do;
                         by default the condition is dropped, as on an instance. Either way the
                         mock logs each dropped condition
  --mfa-user <name>      this user's password login (/angular.do) asks for a second factor
                         (repeatable)
  --app <dir>            serve the built app in <dir> (the folder with its index.html: ng build
                         writes dist/<app>/browser) at /, with window.g_ck injected; the app
                         router's deep links (/incidents/42) get the same page. Log in first
  --install <zip|dir>    install an application package (what now-sdk pack writes, or the SDK
                         project's folder: the zip in its target/): its UI pages at
                         /<endpoint>, its UX assets at /uxasset/externals/ (repeatable)
  --session-concurrency <n>
                         transactions of one session that run at once (session synchronization):
                         2 (default, an instance since Yokohama), 1 (before it), 0 turns the
                         session model off
  --max-waiters <n>      transactions of one session that wait, in order, behind the running
                         ones (default 10, com.glide.request.max_waiters); beyond that a request
                         is ignored and logged
  --ignored-requests <how>
                         how an ignored request is answered: accepted (default: 202, no body, as
                         reported for an instance; unverified) or hold (no answer until the client
                         gives up)
  --latency <ms>         service time of each transaction, so bursts take time (default 0)
  --jitter <ms>          up to <ms> more per transaction, at random (default 0)
  --bus-timeout <s>      seconds the message bus (/amb) holds a connect before it answers
                         (default 30); a session that ends is told at once
  --rate-limit <rule>    an inbound REST API rate limit rule (repeatable):
                         <requests>/<seconds>[,user=<name>|,role=<role>][,resource=/api/...]
                         [,method=<METHOD>], e.g. 100/3600 or 5/60,role=itil; beyond it: 429
                         with Retry-After
  --body-limit <size>    largest request body (default 1mb)
  --help                 show this help`;

function positiveNumber(name: string, value: string | undefined): number | null {
  if (value === undefined) {
    return null;
  }
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new Error(`--${name} must be a positive number of seconds; got "${value}"`);
  }
  return n;
}

/**
 * The built app to serve, resolved against the caller's directory; a folder without `index.html`
 * is refused at once (Angular writes the browser build to `<outputPath>/browser`).
 */
function appDir(value: string): string {
  const dir = resolve(value);
  if (existsSync(join(dir, 'index.html'))) {
    return dir;
  }
  const hint = existsSync(join(dir, 'browser', 'index.html'))
    ? ` Angular writes the browser build to ${join(value, 'browser')}: use --app ${join(value, 'browser')}.`
    : existsSync(dir)
      ? ' Build the app first (ng build).'
      : ' No such folder.';
  throw new Error(`--app ${value}: no index.html in ${dir}.${hint}`);
}

/** A whole number of at least `min`, or the default when the flag is absent. */
function wholeNumber(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be a whole number of at least ${min}; got "${value}"`);
  }
  return n;
}

/** `--rate-limit 10/60,user=abel.tuter,resource=/api/now/table/incident` as a rule. */
function rateLimitRule(spec: string): RateLimitRule {
  const [limits, ...parts] = spec.split(',');
  const match = /^(\d+)\/(\d+)$/.exec(limits.trim());
  const fields = Object.fromEntries(
    parts.map((part) => {
      const [key, ...value] = part.split('=');
      return [key.trim(), value.join('=').trim()];
    }),
  );
  const unknown = Object.keys(fields).filter(
    (k) => !['user', 'role', 'resource', 'method'].includes(k),
  );
  if (!match || unknown.length > 0) {
    throw new Error(
      `--rate-limit ${spec}: expected <requests>/<seconds>[,user=<name>|,role=<role>]` +
        `[,resource=/api/...][,method=<METHOD>]${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
    );
  }
  return { limit: Number(match[1]), window: Number(match[2]), ...fields, name: spec };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4200' },
      data: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'allow-remote': { type: 'boolean', default: false },
      'allowed-hosts': { type: 'string', multiple: true },
      'allowed-origins': { type: 'string', multiple: true },
      dev: { type: 'boolean', default: false },
      'token-ttl': { type: 'string' },
      'session-timeout': { type: 'string' },
      'no-token-response': { type: 'boolean', default: false },
      'no-allow-resubmit': { type: 'boolean', default: false },
      'invalid-query-returns-no-rows': { type: 'boolean', default: false },
      challenge: { type: 'string', default: 'missing-token' },
      'ignore-no-response-challenge': { type: 'boolean', default: false },
      sso: { type: 'string', default: 'off' },
      app: { type: 'string' },
      'mfa-user': { type: 'string', multiple: true },
      install: { type: 'string', multiple: true },
      'body-limit': { type: 'string', default: '1mb' },
      'session-concurrency': { type: 'string' },
      'max-waiters': { type: 'string' },
      'ignored-requests': { type: 'string', default: 'accepted' },
      latency: { type: 'string' },
      jitter: { type: 'string' },
      'bus-timeout': { type: 'string' },
      'rate-limit': { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a port number; got "${values.port}"`);
  }
  const instance = await startMockInstance({
    data: values.data,
    port,
    host: values.host,
    allowRemote: values['allow-remote'],
    ...guardOptionsFromFlags(values['allowed-hosts'], values['allowed-origins']),
    dev: values.dev,
    tokenTtl: positiveNumber('token-ttl', values['token-ttl']),
    sessionTimeout: positiveNumber('session-timeout', values['session-timeout']),
    tokenResponseHeader: !values['no-token-response'],
    allowResubmit: !values['no-allow-resubmit'],
    invalidQueryReturnsNoRows: values['invalid-query-returns-no-rows'],
    challenge: values.challenge as ChallengePolicy,
    honourNoResponseChallenge: !values['ignore-no-response-challenge'],
    sso: values.sso as SsoMode,
    appDir: values.app ? appDir(values.app) : null,
    mfaUsers: values['mfa-user'] ?? [],
    install: (values.install ?? []).map((zip) => resolve(zip)),
    bodyLimit: values['body-limit'],
    sessionConcurrency: wholeNumber('session-concurrency', values['session-concurrency'], 2),
    maxWaiters: wholeNumber('max-waiters', values['max-waiters'], 10),
    ignoredRequests: values['ignored-requests'] as IgnoredAnswer,
    latency: wholeNumber('latency', values.latency, 0),
    jitter: wholeNumber('jitter', values.jitter, 0),
    rateLimits: (values['rate-limit'] ?? []).map(rateLimitRule),
    busTimeout: wholeNumber('bus-timeout', values['bus-timeout'], 30, 1),
  });
  // The address it really listens on, and the URL to use from this machine when that differs;
  // without a trailing slash, as `instance.url` has it (`${url}/api/now/...`).
  const { address } = instance;
  const bound = `http://${address.includes(':') ? `[${address}]` : address}:${instance.port}`;
  const everywhere = address === '0.0.0.0' || address === '::' ? 'every interface; ' : '';
  console.log(
    `Mock instance listening on ${bound}` +
      (bound === instance.url ? '' : ` (${everywhere}from this machine: ${instance.url})`),
  );
  const hint = instance.db.loginHint;
  console.log(`  log in as ${instance.db.loginUsers().join(', ')}${hint ? ` (${hint})` : ''}`);
  console.log(
    `  dev control API: ${values.dev ? `${instance.url}/mock/` : 'off (start with --dev)'}; ` +
      `token TTL: ${values['token-ttl'] ?? 'none'}; session timeout: ${values['session-timeout'] ?? 'none'}; ` +
      `X-UserToken-Response: ${values['no-token-response'] ? 'off' : 'on'}; ` +
      `AllowResubmit: ${!values['no-allow-resubmit']}; challenge: ${values.challenge}; SSO: ${values.sso}`,
  );
  const { config } = instance;
  console.log(
    `  session: ${config.sessionConcurrency === 0 ? 'no session synchronization' : `${config.sessionConcurrency} at once, ${config.maxWaiters} waiting, the rest ignored (${config.ignoredRequests})`}; ` +
      `latency: ${config.latency} ms${config.jitter ? ` + up to ${config.jitter}` : ''}; ` +
      `rate limits: ${config.rateLimits.length ? config.rateLimits.map((r) => r.name).join('; ') : 'none'}`,
  );
  if (values.sso === 'redirect') {
    console.log(`  identity provider: ${instance.identityProviderUrl}`);
  }
  for (const path of values.install ?? []) {
    console.log(
      `  installed ${packageFile(resolve(path))}: ${instance.apps
        .pages()
        .map((p) => `/${p}`)
        .join(', ')}`,
    );
  }
  if (values.app) {
    console.log(`  serving the app in ${values.app} at /`);
  }
  const stop = () => void instance.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[2] === 'compare') {
  // Exits once what it printed is out.
  void compareCommand(process.argv.slice(3)).then((code) =>
    process.stdout.write('', () => process.exit(code)),
  );
} else {
  main().catch((error: unknown) => {
    const { code, port } = error as { code?: string; port?: number };
    if (code === 'EADDRINUSE') {
      // 4200, the default, is also `ng serve`'s.
      console.error(
        `mock instance: port ${port} is in use (by ng serve?): give another with --port <n>, ` +
          'or --port 0 for a free one',
      );
      process.exit(1);
    }
    console.error(`mock instance: ${error instanceof Error ? error.message : String(error)}`);
    // The error alone says what is wrong; the options are one flag away.
    if (!(error instanceof InstanceDataError)) {
      console.error('Run it with --help for the options.');
    }
    process.exit(1);
  });
}
