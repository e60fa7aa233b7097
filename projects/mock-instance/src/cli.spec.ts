// The command line as a user meets it: mistakes in its flags fail at once, with what to do.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
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

  it('names a malformed --allowed-hosts entry', () => {
    const result = run(['--port', '0', '--allowed-hosts', 'a:1'], tmpdir());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/an allowed host must be a host name .*got "a:1"/);
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
});
