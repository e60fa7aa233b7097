// The command line as a user meets it: mistakes in its flags fail at once, with what to do.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TSX = join(__dirname, '../../../node_modules/tsx/dist/cli.mjs');
const run = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [TSX, join(__dirname, 'cli.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('the command line', () => {
  it('refuses --app on a folder without index.html, pointing at Angular’s browser folder', () => {
    const project = mkdtempSync(join(tmpdir(), 'mock-cli-'));
    mkdirSync(join(project, 'dist/my-app/browser'), { recursive: true });
    writeFileSync(join(project, 'dist/my-app/browser/index.html'), '<html></html>');
    // Relative to the caller's directory, as a user types it.
    const result = run(['--port', '0', '--app', 'dist/my-app'], project);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `--app dist/my-app: no index.html in ${join(project, 'dist/my-app')}. Angular writes the browser build to dist/my-app/browser: use --app dist/my-app/browser.`,
    );
    const missing = run(['--port', '0', '--app', 'nowhere'], project);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--app nowhere: no index\.html in .*nowhere\. No such folder\./);
  }, 60_000);

  it('fails at once on a data file with mistakes, naming the file and each place', () => {
    const project = mkdtempSync(join(tmpdir(), 'mock-cli-'));
    writeFileSync(
      join(project, 'instance.json'),
      JSON.stringify({ tables: { t: { fields: { a: { type: 'reference', reference: 'x' } } } } }),
    );
    const result = run(['--port', '0', '--data', 'instance.json'], project);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'mock instance: instance.json is not valid instance data:\n  - tables.t.fields.a.reference: no table x',
    );
    expect(result.stderr).not.toContain('Usage:');
  }, 30_000);

  it('names a malformed --allowed-hosts entry, then points at --help (not the whole usage)', () => {
    const result = run(['--port', '0', '--allowed-hosts', 'a:1'], tmpdir());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/an allowed host must be a host name .*got "a:1"/);
    expect(result.stderr).toContain('Run it with --help for the options.');
    expect(result.stderr).not.toContain('Usage:');
  }, 30_000);

  it('names a malformed session limit or rate limit rule', () => {
    const rule = run(['--port', '0', '--rate-limit', '10/hour'], tmpdir());
    expect(rule.status).toBe(1);
    expect(rule.stderr).toContain(
      'mock instance: --rate-limit 10/hour: expected <requests>/<seconds>[,user=<name>|,role=<role>]',
    );
    const field = run(['--port', '0', '--rate-limit', '10/60,group=x'], tmpdir());
    expect(field.stderr).toContain('unknown: group');
    const waiters = run(['--port', '0', '--max-waiters', 'ten'], tmpdir());
    expect(waiters.stderr).toContain(
      '--max-waiters must be a whole number of at least 0; got "ten"',
    );
    const ignored = run(['--port', '0', '--ignored-requests', 'drop'], tmpdir());
    expect(ignored.stderr).toContain('ignoredRequests must be one of accepted, hold; got "drop"');
  }, 60_000);

  it('refuses a --host beyond loopback without --allow-remote, naming the flag', () => {
    const result = run(['--port', '0', '--host', '0.0.0.0', '--dev'], tmpdir());
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'mock instance: --host 0.0.0.0 is not a loopback address: anyone who can reach it could ' +
        "log in with the data's passwords and use the control API",
    );
    expect(result.stderr).toContain('Add --allow-remote if that is what you want.');
    expect(result.stdout).not.toContain('listening on');
  }, 30_000);

  it('with --allow-remote, warns as the dev proxy does', () => {
    // A malformed --allowed-hosts stops it after the warning: nothing listens beyond loopback.
    const result = run(
      ['--port', '0', '--host', '0.0.0.0', '--allow-remote', '--dev', '--allowed-hosts', 'a:1'],
      tmpdir(),
    );
    expect(result.stderr).toMatch(
      /^mock instance: WARNING: listening on 0\.0\.0\.0: anyone who can reach this port can log in .*control API/m,
    );
    expect(result.stderr).toMatch(/an allowed host must be a host name .*got "a:1"/);
    expect(result.status).toBe(1);
  }, 30_000);

  it('prints the address it really listens on, and the URL to use from this machine', async () => {
    const child = spawn(
      process.execPath,
      [TSX, join(__dirname, 'cli.ts'), '--port', '0', '--host', 'localhost'],
      { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split('\n').find((l) => l.includes('listening on'));
          if (line) {
            resolve(line);
          }
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(banner).toMatch(
        /^Mock instance listening on http:\/\/(127\.0\.0\.1|\[::1\]):(\d+) \(from this machine: http:\/\/localhost:\2\)$/,
      );
    } finally {
      child.kill();
    }
  }, 30_000);

  it('says a port in use is in use, and how to pick another', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const result = run(['--port', String(port)], tmpdir());
      expect(result.status).toBe(1);
      expect(result.stderr.trim()).toBe(
        `mock instance: port ${port} is in use (by ng serve?): give another with --port <n>, or --port 0 for a free one`,
      );
    } finally {
      taken.close();
    }
  }, 30_000);

  it('lists --allow-remote in its help', () => {
    const help = run(['--help'], tmpdir());
    expect(help.stdout).toMatch(/--host <addr> .*loopback address only,\s+unless --allow-remote/);
    expect(help.stdout).toMatch(/--allow-remote {9}allow a --host that is not loopback/);
  }, 30_000);
});
