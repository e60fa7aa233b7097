// Comparing a recording with the mock, from recordings written straight from a mock in the dev
// proxy's format (the dev proxy's own specs record through the proxy and compare end to end).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DirectRecorder } from '../../test/recording';
import { startMockInstance } from '../server';
import { compareRecording } from './compare';
import { RECORDING_FORMAT } from '../../../recording-format/src/index';
import { CompareError } from './recording';

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'mock-compare-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const recorderOn = (url: string) => DirectRecorder.start(url, newDir());

describe('compareRecording', () => {
  it("replays writes in order, the records the recording created mapped to the mock's", async () => {
    const instance = await startMockInstance();
    let recorder: DirectRecorder;
    let created: string;
    try {
      recorder = await recorderOn(instance.url);
      await recorder.send(
        'GET',
        '/api/now/table/incident?sysparm_limit=3&sysparm_query=active=true',
      );
      created = (await recorder.send('POST', '/api/now/table/incident', {
        short_description: 'x',
      }))!.result!.sys_id!;
      await recorder.send('GET', `/api/now/table/incident/${created}`);
      await recorder.send('PATCH', `/api/now/table/incident/${created}`, { urgency: '1' });
      await recorder.send('DELETE', `/api/now/table/incident/${created}`);
      await recorder.send('GET', `/api/now/table/incident/${created}`);
    } finally {
      await instance.close();
    }
    const report = await compareRecording(recorder.dir);
    expect(report.exchanges.map((e) => e.line)).toEqual([
      'MATCH  GET /api/now/table/incident?sysparm_limit=3&sysparm_query=active=true',
      'MATCH  POST /api/now/table/incident',
      `MATCH  GET /api/now/table/incident/${created}`,
      `MATCH  PATCH /api/now/table/incident/${created}`,
      `MATCH  DELETE /api/now/table/incident/${created}`,
      `MATCH  GET /api/now/table/incident/${created}`,
    ]);
    expect(report).toMatchObject({
      matched: 6,
      differed: 0,
      summary: '6 exchanges: 6 match, 0 differ',
    });

    // A POST the mock refuses creates nothing to map to: said so.
    recorder.edit(2, (e) => {
      e.request.path = '/api/now/table/no_such_table';
    });
    const refused = await compareRecording(recorder.dir);
    expect(refused.exchanges[1].differences[0]).toMatch(/^HTTP status: recorded 201, mock 4\d\d$/);
    expect(refused.exchanges[2].differences.slice(0, 2)).toEqual([
      'HTTP status: recorded 200, mock 404',
      `sys_id ${created} was created by an earlier POST of the recording, which the mock did not carry out`,
    ]);

    // Without the POST, the mock has never heard of that record: said so.
    rmSync(join(recorder.dir, readdirSync(recorder.dir)[1]));
    const without = await compareRecording(recorder.dir);
    expect(without.exchanges[1].differences.slice(0, 2)).toEqual([
      'HTTP status: recorded 200, mock 404',
      `sys_id ${created} is not in the mock's data, and no earlier POST of the recording created it`,
    ]);
    expect(without.exchanges[1].match).toBe(false);
    expect(without.summary).toBe('5 exchanges: 2 match, 3 differ');
  }, 30_000);

  it('finds a field the mock lacks, from a recording of an instance that has it', async () => {
    const instance = await startMockInstance({
      data: {
        extends: 'demo',
        tables: { incident: { fields: { u_team: { type: 'string' } } } },
      },
    });
    let recorder: DirectRecorder;
    try {
      recorder = await recorderOn(instance.url);
      await recorder.send('GET', '/api/now/table/incident?sysparm_limit=2');
    } finally {
      await instance.close();
    }
    const report = await compareRecording(recorder.dir);
    expect(report.exchanges[0].differences).toEqual([
      'result[].u_team: recorded string, mock missing',
    ]);
    // With the field in the mock's data too, they match.
    const same = await compareRecording(recorder.dir, {
      instance: {
        data: { extends: 'demo', tables: { incident: { fields: { u_team: { type: 'string' } } } } },
      },
    });
    expect(same.summary).toBe('1 exchange: 1 match, 0 differ');
  }, 30_000);

  it('compares the headers a client decides on: session state by value, others by presence', async () => {
    const instance = await startMockInstance();
    try {
      const recorder = await recorderOn(instance.url);
      await recorder.send('GET', '/api/now/table/incident?sysparm_limit=1');
      recorder.edit(1, (e) => {
        e.response.headers['x-sessionloggedin'] = 'false';
        delete e.response.headers['link'];
        e.response.headers['www-authenticate'] = 'BASIC realm="Service-now"';
        e.response.headers['content-type'] = 'application/xml';
      });
      // Against the running mock this time, with its own data and the user's password.
      const report = await compareRecording(recorder.dir, { url: instance.url, password: 'demo' });
      expect(report.exchanges[0].differences).toEqual([
        'content type: recorded application/xml, mock application/json',
        'header X-SessionLoggedIn: recorded "false", mock "true"',
        'header Link extra',
        'header WWW-Authenticate missing',
      ]);
    } finally {
      await instance.close();
    }
  }, 30_000);

  it('does not replay a request whose body the recording cut, and notes an answer it cut', async () => {
    const instance = await startMockInstance();
    try {
      const recorder = await recorderOn(instance.url);
      await recorder.send('POST', '/api/now/table/incident', { short_description: 'big' });
      await recorder.send('GET', '/api/now/table/incident?sysparm_limit=1');
      recorder.edit(1, (e) => {
        e.request.body = { type: 'text', value: '{"short_', bytes: 70_000, truncated: true };
      });
      recorder.edit(2, (e) => {
        e.response.body = { type: 'text', value: '{"result":[{', bytes: 70_000, truncated: true };
      });
      const before = instance.db.rows('incident').length;
      const report = await compareRecording(recorder.dir, { url: instance.url });
      expect(instance.db.rows('incident').length).toBe(before);
      expect(report.exchanges.map((e) => e.line)).toEqual([
        'DIFF   POST /api/now/table/incident : not replayed: the recording cut its request body ' +
          '(over 64 KB), so the mock would get another request',
        'MATCH  GET /api/now/table/incident?sysparm_limit=1 (body not compared: the recording cut it)',
      ]);
    } finally {
      await instance.close();
    }
  }, 30_000);

  describe('refuses what it cannot compare, naming the folder or the file', () => {
    const failure = (dir: string, options = {}) =>
      compareRecording(dir, options).then(
        () => {
          throw new Error('expected a CompareError');
        },
        (error: unknown) => {
          expect(error).toBeInstanceOf(CompareError);
          return (error as Error).message;
        },
      );

    it('a folder that does not exist, or holds no recordings', async () => {
      const missing = join(newDir(), 'nowhere');
      expect(await failure(missing)).toBe(`${missing}: no such folder`);
      const empty = newDir();
      writeFileSync(join(empty, 'notes.txt'), 'not a recording');
      expect(await failure(empty)).toMatch(
        new RegExp(`^no recordings in ${empty}: record some with the dev proxy .*--record`),
      );
      const file = join(empty, 'notes.txt');
      expect(await failure(file)).toMatch(/is not a folder/);
    });

    it('a file that is not JSON, not a recording, or not a whole one', async () => {
      const dir = newDir();
      writeFileSync(join(dir, '0001-GET.json'), '{"format":');
      expect(await failure(dir)).toMatch(
        new RegExp(`^${join(dir, '0001-GET.json')} is not JSON: `),
      );
      writeFileSync(join(dir, '0001-GET.json'), '{"format":"har"}');
      expect(await failure(dir)).toBe(
        `${join(dir, '0001-GET.json')} is not a recorded exchange: its format is "har", ` +
          `expected "${RECORDING_FORMAT}"`,
      );
      writeFileSync(
        join(dir, '0001-GET.json'),
        JSON.stringify({
          format: RECORDING_FORMAT,
          seq: 1,
          user: null,
          attempts: 1,
          request: { method: 'GET', path: 'api/now/table/incident', headers: {}, body: null },
          response: { status: 200, headers: {}, body: { type: 'xml', value: '' } },
        }),
      );
      const message = await failure(dir);
      expect(message).toContain(`${join(dir, '0001-GET.json')} is not a recorded exchange:\n`);
      expect(message).toContain('  - request.path: a path starting with /');
      expect(message).toContain('  - response.body.type:');
    });

    it('a user the mock will not log in', async () => {
      const instance = await startMockInstance();
      try {
        const recorder = await recorderOn(instance.url);
        await recorder.send('GET', '/api/now/table/incident?sysparm_limit=1');
        expect(await failure(recorder.dir, { user: 'nobody' })).toMatch(
          /^the mock refused the login of "nobody"/,
        );
      } finally {
        await instance.close();
      }
    });
  });
});
