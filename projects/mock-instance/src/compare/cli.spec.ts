// `ngx-user-token-mock-instance compare <dir>` as a user meets it: one line per exchange, a
// summary, and an exit code a script can use.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DirectRecorder } from '../../test/recording';
import { startMockInstance } from '../server';
import { compareCommand } from './cli';

const TSX = join(__dirname, '../../../../node_modules/tsx/dist/cli.mjs');
const CLI = join(__dirname, '../cli.ts');
const run = (args: string[], cwd = tmpdir()) =>
  spawnSync(process.execPath, [TSX, CLI, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
/** The subcommand in this process, as the command line runs it after the word `compare`. */
const inProcess = async (args: string[]) => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = await compareCommand(
    args,
    (line) => stdout.push(line),
    (line) => stderr.push(line),
  );
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
};

let dir: string;
let created: string;
const dirs: string[] = [];
const newDir = () => {
  const made = mkdtempSync(join(tmpdir(), 'mock-compare-cli-'));
  dirs.push(made);
  return made;
};

beforeAll(async () => {
  const instance = await startMockInstance();
  try {
    const recorder = await DirectRecorder.start(instance.url, newDir());
    await recorder.send('GET', '/api/now/table/incident?sysparm_limit=2');
    created = (await recorder.send('POST', '/api/now/table/incident', {
      short_description: 'cli',
    }))!.result!.sys_id!;
    await recorder.send('GET', `/api/now/table/incident/${created}`);
    dir = recorder.dir;
  } finally {
    await instance.close();
  }
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('compare on the command line', () => {
  it('prints MATCH for each exchange and a summary, and exits 0 when all match', () => {
    const result = run(['compare', dir]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual([
      'MATCH  GET /api/now/table/incident?sysparm_limit=2',
      'MATCH  POST /api/now/table/incident',
      `MATCH  GET /api/now/table/incident/${created}`,
      '3 exchanges: 3 match, 0 differ',
    ]);
    expect(result.status).toBe(0);
  }, 30_000);

  it('exits 1 and names the difference against a mock started with --data', async () => {
    const data = join(newDir(), 'instance.json');
    writeFileSync(
      data,
      JSON.stringify({
        extends: 'demo',
        tables: { incident: { fields: { u_team: { type: 'string' } } } },
      }),
    );
    const result = await inProcess([dir, '--data', data]);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'DIFF   GET /api/now/table/incident?sysparm_limit=2 : result[].u_team: recorded missing, mock string',
    );
    expect(lines[3]).toBe('3 exchanges: 0 match, 3 differ');
    expect(result.status).toBe(1);
  }, 30_000);

  it('exits 2 with a clear message for a missing folder, an empty one, or a broken file', async () => {
    const missing = await inProcess([join(tmpdir(), 'no-such-recording-folder')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(
      `mock instance compare: ${join(tmpdir(), 'no-such-recording-folder')}: no such folder`,
    );
    const broken = newDir();
    writeFileSync(join(broken, '0001-GET-api.json'), '{ not json');
    const unreadable = await inProcess([broken]);
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toContain(
      `mock instance compare: ${join(broken, '0001-GET-api.json')} is not JSON`,
    );
    rmSync(join(broken, '0001-GET-api.json'));
    const empty = await inProcess([broken]);
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain(`mock instance compare: no recordings in ${broken}`);
    expect(readdirSync(broken)).toEqual([]);
  }, 60_000);

  it('lists compare in the main help, and its own options in compare --help', async () => {
    const main = run(['--help']);
    expect(main.stdout).toMatch(/ngx-user-token-mock-instance compare <dir> \[options\]/);
    expect(main.stdout).toMatch(/compare <dir> {10}replay a recording of the dev proxy/);
    const own = await inProcess(['--help']);
    expect(own.status).toBe(0);
    expect(own.stdout).toMatch(/--data <file> {10}the mock's data/);
    expect(own.stdout).toMatch(/Exit code: 0 when all match, 1 when some differ, 2 when it cannot/);
    const wrong = await inProcess([]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("compare needs one folder, the recording's");
    const clash = await inProcess([dir, '--url', 'http://127.0.0.1:9', '--data', 'x.json']);
    expect(clash.status).toBe(2);
    expect(clash.stderr).toContain('--data cannot apply');
  }, 60_000);
});
