// Record and compare, end to end over loopback: a mock instance plays the remote instance, the
// dev proxy records what an app sends through it, and the mock's `compare` replays the recording
// against a fresh mock.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { compareRecording, MockInstance, startMockInstance } from '../../mock-instance/src/index';
import type { RecordedExchange } from '../../recording-format/src/index';
import { DevProxy, startDevProxy } from './server';

const ADMIN = { mode: 'password', user: 'admin', password: 'demo' } as const;
/** Bytes that are no text: an upload recorded as base64, a download by its length. */
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x10, 0x02]);

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'dev-proxy-record-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const filesOf = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json'));
const read = (dir: string, file: string) =>
  JSON.parse(readFileSync(join(dir, file), 'utf8')) as RecordedExchange;
const listOf = (body: unknown) => (body as { result: { sys_id: string }[] }).result;

describe('recording through the dev proxy, then comparing with the mock', () => {
  let instance: MockInstance;
  let proxy: DevProxy;
  let dir: string;
  const lines: string[] = [];

  /** A request as a page on localhost sends it through the proxy: no cookie, no token. */
  const viaProxy = (path: string, init: RequestInit = {}) =>
    fetch(`${proxy.url}${path}`, { redirect: 'manual', ...init });
  const json = (method: string, body: unknown): RequestInit => ({
    method,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });

  beforeAll(async () => {
    instance = await startMockInstance();
    dir = join(newDir(), 'recording', 'nested'); // created by the proxy
    proxy = await startDevProxy({
      instance: instance.url,
      credentials: ADMIN,
      port: 0,
      record: dir,
      log: (line) => lines.push(line),
    });
    // Not forwarded, so not recorded: the token page, a login page, a refused Host.
    expect((await viaProxy('/user_token.do')).status).toBe(200);
    expect((await viaProxy('/login.do', { method: 'POST' })).status).toBe(403);
    const refused = await new Promise<number | undefined>((resolve, reject) =>
      get(
        {
          host: '127.0.0.1',
          port: proxy.port,
          path: '/api/now/table/incident',
          headers: { Host: 'evil.example' },
        },
        (res) => resolve(res.resume().statusCode),
      ).on('error', reject),
    );
    expect(refused).toBe(403);

    const list = await viaProxy(
      '/api/now/table/incident?sysparm_query=active%3Dtrue%5EORDERBYnumber&sysparm_limit=5',
    );
    expect(list.status).toBe(200);
    const [first] = listOf(await list.json());
    expect((await viaProxy(`/api/now/table/incident/${first.sys_id}`)).status).toBe(200);
    const created = await viaProxy(
      '/api/now/table/incident',
      json('POST', { short_description: 'recorded through the dev proxy', urgency: '2' }),
    );
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { result: { sys_id: string } }).result.sys_id;
    expect((await viaProxy(`/api/now/table/incident/${id}`)).status).toBe(200);
    const patched = await viaProxy(
      `/api/now/table/incident/${id}`,
      json('PATCH', { short_description: 'patched through the dev proxy' }),
    );
    expect(patched.status).toBe(200);
    const upload = await viaProxy(
      `/api/now/attachment/file?table_name=incident&table_sys_id=${id}&file_name=pixel.png`,
      { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: PNG },
    );
    expect(upload.status).toBe(201);
    const attachment = ((await upload.json()) as { result: { sys_id: string } }).result.sys_id;
    const download = await viaProxy(`/api/now/attachment/${attachment}/file`);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(PNG);
    expect((await viaProxy(`/api/now/table/incident/${id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    expect((await viaProxy(`/api/now/table/incident/${id}`)).status).toBe(404);
    expect((await viaProxy(`/api/now/table/incident/${'0'.repeat(32)}`)).status).toBe(404);
    // Basic credentials the instance refuses: a 401 even after the proxy logs in again.
    const refusedLogin = await viaProxy('/api/now/table/incident?sysparm_limit=1', {
      headers: {
        Authorization: `Basic ${Buffer.from('admin:wrong-secret').toString('base64')}`,
      },
    });
    expect(refusedLogin.status).toBe(401);
    await proxy.flushRecording();
  }, 30_000);

  afterAll(async () => {
    await proxy.close();
    await instance.close();
  });

  it('writes one file per forwarded request, in order, and nothing for what it answers itself', () => {
    expect(filesOf(dir)).toEqual([
      '0001-GET-api-now-table-incident.json',
      expect.stringMatching(/^0002-GET-api-now-table-incident-[0-9a-f]{32}\.json$/),
      expect.stringMatching(/^0003-POST-api-now-table-incident\.json$/),
      expect.stringMatching(/^0004-GET-api-now-table-incident-[0-9a-f]+\.json$/),
      expect.stringMatching(/^0005-PATCH-api-now-table-incident-[0-9a-f]+\.json$/),
      '0006-POST-api-now-attachment-file.json',
      expect.stringMatching(/^0007-GET-api-now-attachment-[0-9a-f]+-file\.json$/),
      expect.stringMatching(/^0008-DELETE-api-now-table-incident-[0-9a-f]+\.json$/),
      expect.stringMatching(/^0009-GET-/),
      expect.stringMatching(/^0010-GET-/),
      '0011-GET-api-now-table-incident.json',
    ]);
    const list = read(dir, filesOf(dir)[0]);
    expect(list).toMatchObject({
      format: 'ngx-user-token-recording/1',
      seq: 1,
      user: 'admin',
      attempts: 1,
      request: {
        method: 'GET',
        path: '/api/now/table/incident?sysparm_query=active%3Dtrue%5EORDERBYnumber&sysparm_limit=5',
        headers: { cookie: '[session]', 'x-usertoken': '[session]' },
        body: null,
      },
      response: { status: 200, body: { type: 'json', truncated: false } },
    });
    expect(listOf((list.response.body as { value: unknown }).value)).toHaveLength(5);
    // The instance's links name the placeholder host, never the instance's.
    expect(list.response.headers['link']).toMatch(
      /^<https:\/\/instance\.example\/api\/now\/table\/incident\?/,
    );
    const upload = read(dir, filesOf(dir)[5]);
    expect(upload.request.body).toEqual({
      type: 'base64',
      value: PNG.toString('base64'),
      bytes: PNG.length,
      truncated: false,
    });
    expect(read(dir, filesOf(dir)[6]).response.body).toEqual({
      type: 'binary',
      bytes: PNG.length,
      truncated: false,
    });
    // The refused Basic login: sent twice (the proxy logged in again between), the last answer kept.
    const refused = read(dir, filesOf(dir)[10]);
    expect(refused.attempts).toBe(2);
    expect(refused.response.status).toBe(401);
    expect(refused.request.headers['authorization']).toBe('Basic [scrubbed]');
    expect(readFileSync(join(dir, filesOf(dir)[10]), 'utf8')).not.toContain(
      Buffer.from('admin:wrong-secret').toString('base64'),
    );
  });

  it('matches a fresh mock with the same data, exchange by exchange', async () => {
    const seen: string[] = [];
    const report = await compareRecording(dir, { onResult: (r) => seen.push(r.line) });
    expect(report.exchanges.filter((e) => !e.match).map((e) => e.line)).toEqual([]);
    expect(report.summary).toBe('11 exchanges: 11 match, 0 differ');
    expect(seen).toHaveLength(11);
    expect(seen[0]).toBe(
      'MATCH  GET /api/now/table/incident?sysparm_query=active%3Dtrue%5EORDERBYnumber&sysparm_limit=5',
    );
  }, 30_000);

  it('finds and names a planted difference: a field the mock lacks, a changed type and status', async () => {
    const planted = newDir();
    cpSync(dir, planted, { recursive: true });
    const [listFile, singleFile, , , patchFile] = filesOf(planted);
    const edit = (file: string, change: (exchange: any) => void) => {
      const exchange = read(planted, file);
      change(exchange);
      writeFileSync(join(planted, file), JSON.stringify(exchange));
    };
    edit(listFile, (e) => {
      for (const row of e.response.body.value.result) {
        row.u_escalation = { link: 'https://instance.example/x', value: '1' };
      }
      delete e.response.headers['x-total-count'];
    });
    edit(singleFile, (e) => {
      e.response.body.value.result.urgency = 2;
    });
    edit(patchFile, (e) => {
      e.response.status = 202;
    });
    const report = await compareRecording(planted);
    expect(report.summary).toBe('11 exchanges: 8 match, 3 differ');
    const byFile = (file: string) => report.exchanges.find((e) => e.file.endsWith(file))!;
    expect(byFile(listFile).differences).toEqual([
      'header X-Total-Count extra',
      'result[].u_escalation: recorded object, mock missing',
    ]);
    expect(byFile(listFile).line).toMatch(
      /^DIFF {3}GET \/api\/now\/table\/incident\?\S+ : header X-Total-Count extra; result\[\]\.u_escalation: recorded object, mock missing$/,
    );
    expect(byFile(singleFile).differences).toEqual([
      'result.urgency: recorded number, mock string',
    ]);
    expect(byFile(patchFile).differences).toEqual(['HTTP status: recorded 202, mock 200']);
  }, 30_000);
});

describe('what a recording never holds', () => {
  const PASSWORD = 'Tr0ub4dor-horse-staple';

  it('scrubs the session cookie, the token, passwords, OAuth tokens, g_ck and the host', async () => {
    const instance = await startMockInstance({
      data: {
        extends: 'demo',
        users: [{ user_name: 'sec.tester', password: PASSWORD, roles: ['admin'] }],
      },
    });
    const dir = newDir();
    const proxy = await startDevProxy({
      instance: instance.url,
      credentials: { mode: 'password', user: 'sec.tester', password: PASSWORD },
      port: 0,
      record: dir,
    });
    try {
      const token = proxy.session.token!;
      const cookie = proxy.session.cookieFor(instance.url);
      const sessionId = /JSESSIONID=([^;]+)/.exec(cookie)![1];
      const via = (path: string, init: RequestInit = {}) =>
        fetch(`${proxy.url}${path}`, { redirect: 'manual', ...init });

      const home = await via('/', { headers: { Accept: 'text/html' } });
      expect(await home.text()).toContain(`window.g_ck = "${token}"`);
      const queried = await via(
        `/api/now/table/incident?sysparm_limit=1&sysparm_ck=${token}&password=${PASSWORD}`,
      );
      expect(queried.status).toBe(200);
      const written = await via('/api/now/table/incident', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          short_description: `pasted the token ${token} by mistake`,
          user_password: PASSWORD,
          nested: { api_key: 'K3y-0f-the-app', list: [{ refresh_token: 'r-e-f-r-e-s-h' }] },
        }),
      });
      expect(written.status).toBe(201);
      const grant = await via('/oauth_token.do', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'dev',
          username: 'sec.tester',
          password: PASSWORD,
        }),
      });
      const tokens = (await grant.json()) as { access_token: string; refresh_token: string };
      expect(tokens.access_token).toBeTruthy();
      const basic = await via('/api/now/table/incident?sysparm_limit=1', {
        headers: {
          Authorization: `Basic ${Buffer.from(`sec.tester:${PASSWORD}`).toString('base64')}`,
        },
      });
      expect(basic.status).toBe(200);
      expect(basic.headers.get('set-cookie')).toBeNull(); // the proxy never passes it on
      await proxy.flushRecording();

      const files = filesOf(dir);
      expect(files).toHaveLength(5);
      const all = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
      const secrets = {
        token,
        sessionId,
        PASSWORD,
        encodedPassword: encodeURIComponent(PASSWORD),
        basic: Buffer.from(`sec.tester:${PASSWORD}`).toString('base64'),
        access: tokens.access_token,
        refresh: tokens.refresh_token,
        apiKey: 'K3y-0f-the-app',
        nestedRefresh: 'r-e-f-r-e-s-h',
        host: new URL(instance.url).host,
      };
      for (const [name, secret] of Object.entries(secrets)) {
        expect({ [name]: all.includes(secret) }).toEqual({ [name]: false });
      }
      // ... and says where it scrubbed, so that the files still read as the exchanges.
      const [page, query, post, oauth, basicCall] = files.map((f) => read(dir, f));
      expect(page.response.body).toMatchObject({ type: 'text' });
      expect((page.response.body as { value: string }).value).toContain(
        'window.g_ck = "[scrubbed]"',
      );
      expect(query.request.path).toBe(
        '/api/now/table/incident?sysparm_limit=1&sysparm_ck=%5Bscrubbed%5D&password=%5Bscrubbed%5D',
      );
      expect(post.request.body).toMatchObject({
        type: 'json',
        value: {
          short_description: 'pasted the token [scrubbed] by mistake',
          user_password: '[scrubbed]',
          nested: { api_key: '[scrubbed]', list: [{ refresh_token: '[scrubbed]' }] },
        },
      });
      expect(oauth.request.body).toMatchObject({ type: 'text' });
      expect((oauth.request.body as { value: string }).value).toContain('password=%5Bscrubbed%5D');
      expect(oauth.response.body).toMatchObject({
        type: 'json',
        value: { access_token: '[scrubbed]', refresh_token: '[scrubbed]' },
      });
      expect(basicCall.request.headers['authorization']).toBe('Basic [scrubbed]');
      const setCookie = basicCall.response.headers['set-cookie'] as string[];
      expect(setCookie.length).toBeGreaterThan(0);
      for (const line of setCookie) {
        expect(line).toMatch(/^\w+=\[scrubbed\]; /);
      }
    } finally {
      await proxy.close();
      await instance.close();
    }
  }, 30_000);
});

describe('a recording of a bearer-token session', () => {
  it("marks the proxy's token as the session's, and replays with a session of the mock's", async () => {
    const instance = await startMockInstance();
    const dir = newDir();
    const grant = await fetch(`${instance.url}/oauth_token.do`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'dev',
        username: 'admin',
        password: 'demo',
      }),
    });
    const { access_token: token } = (await grant.json()) as { access_token: string };
    const proxy = await startDevProxy({
      instance: instance.url,
      credentials: { mode: 'bearer', token },
      port: 0,
      record: dir,
    });
    try {
      const list = await fetch(`${proxy.url}/api/now/table/incident?sysparm_limit=2`);
      expect(list.status).toBe(200);
    } finally {
      await proxy.close();
      await instance.close();
    }
    const [file] = filesOf(dir);
    expect(read(dir, file).request.headers).toEqual({
      accept: '*/*',
      authorization: '[session]',
    });
    expect(readFileSync(join(dir, file), 'utf8')).not.toContain(token);
    const report = await compareRecording(dir);
    expect(report.exchanges.map((e) => e.line)).toEqual([
      'MATCH  GET /api/now/table/incident?sysparm_limit=2',
    ]);
  }, 30_000);
});

describe('recording that cannot write', () => {
  it('says so once and goes on forwarding', async () => {
    const instance = await startMockInstance();
    const dir = join(newDir(), 'gone');
    const lines: string[] = [];
    const proxy = await startDevProxy({
      instance: instance.url,
      credentials: ADMIN,
      port: 0,
      record: dir,
      log: (line) => lines.push(line),
    });
    try {
      expect(existsSync(dir)).toBe(true);
      // The folder is replaced by a file: every write fails.
      rmSync(dir, { recursive: true });
      writeFileSync(dir, 'not a folder');
      for (let i = 0; i < 3; i++) {
        const answer = await fetch(`${proxy.url}/api/now/table/incident?sysparm_limit=1`);
        expect(answer.status).toBe(200);
      }
      await proxy.flushRecording();
      const warnings = lines.filter((l) => l.includes('cannot write the recording'));
      expect(warnings).toEqual([
        expect.stringMatching(
          /^WARNING: cannot write the recording to .*gone \(ENOTDIR\): the proxy goes on forwarding/,
        ),
      ]);
    } finally {
      await proxy.close();
      await instance.close();
    }
  }, 30_000);

  /** Why the proxy would not start recording into `record`. */
  const refusal = async (record: string): Promise<string> => {
    const instance = await startMockInstance();
    try {
      const failure = await startDevProxy({
        instance: instance.url,
        credentials: ADMIN,
        port: 0,
        record,
      }).catch((e: unknown) => e);
      return (failure as Error).message;
    } finally {
      await instance.close();
    }
  };

  it('refuses to start when the folder cannot be made, naming it', async () => {
    const parent = join(newDir(), 'file');
    writeFileSync(parent, 'not a folder');
    expect(await refusal(join(parent, 'recording'))).toMatch(
      /^--record .*file\/recording: cannot create the folder \(ENOTDIR\)$/,
    );
  });

  it('refuses a folder that holds a recording already (two would mix)', async () => {
    const dir = newDir();
    writeFileSync(join(dir, '0001-GET-api-now-table-incident.json'), '{}');
    expect(await refusal(dir)).toMatch(
      /^--record .* already holds a recording \(1 file\): give a new folder, or empty that one$/,
    );
  });
});

describe('the command line', () => {
  it('takes --record <dir> and says where it records', async () => {
    const instance = await startMockInstance();
    const dir = join(newDir(), 'from-cli');
    try {
      const out = await new Promise<string>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            join(__dirname, '../../../node_modules/tsx/dist/cli.mjs'),
            join(__dirname, 'main.ts'),
            ...['--instance', instance.url, '--port', '0', '--record', dir],
          ],
          {
            env: { PATH: process.env['PATH'] ?? '', SN_USER: 'admin', SN_PASSWORD: 'demo' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let text = '';
        child.stdout.on('data', (c: Buffer) => {
          text += c.toString();
          if (text.includes('recording the exchanges')) {
            child.kill('SIGTERM');
          }
        });
        child.stderr.on('data', (c: Buffer) => (text += c.toString()));
        child.on('exit', () => resolve(text));
      });
      expect(out).toContain(`recording the exchanges with the instance in ${dir}`);
      expect(existsSync(dir)).toBe(true);
    } finally {
      await instance.close();
    }
  }, 30_000);
});
