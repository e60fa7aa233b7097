// A ServiceNow client nobody here wrote, as shipped on the npm registry (`servicenow-rest-api`,
// axios underneath), driven against the mock instance with its own request code. It insists on
// https, so the mock gets a TLS front with a certificate made for the test.
import { Agent, createServer, request, Server } from 'node:https';
import { AddressInfo } from 'node:net';

import { generate } from 'selfsigned';

import { seededSysId } from './data/seed';
import { createMockInstanceApp, MockInstanceState } from './server';

type Callback = (value: unknown) => void;
interface ServiceNowClient {
  setNetworkOptions(options: Record<string, unknown>): void;
  getSampleData(table: string, callback: Callback): void;
  getTableData(fields: string[], filters: string[], table: string, callback: Callback): void;
  createNewTask(data: Record<string, unknown>, table: string, callback: Callback): void;
  getSysId(table: string, number: string, callback: Callback): void;
  UpdateTask(table: string, number: string, data: Record<string, unknown>, cb: Callback): void;
  DeleteTask(table: string, number: string, callback: Callback): void;
  getAttachmentMetaData(sysId: string, callback: Callback): void;
  getAllAttachmentsMetaData(tableSysId: string, callback: Callback): void;
  getAttachment(sysId: string, callback: Callback): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ServiceNow = require('servicenow-rest-api') as new (
  instance: string,
  user: string,
  password: string,
) => ServiceNowClient;

let server: Server;
let state: MockInstanceState;
let instance: string;
let ca: string;

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  ca = pems.cert;
  const mock = createMockInstanceApp({});
  state = mock.state;
  server = createServer({ key: pems.private, cert: pems.cert }, mock.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  instance = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);
beforeEach(() => state.db.reset());

let trusted = false;

/**
 * The client logged in as `user`, trusting the test's certificate through its own option for
 * that. The option replaces the module's axios for every client, and a second call fails (the
 * instance has no `create`): it is set once.
 */
function clientAs(user: string): ServiceNowClient {
  const client = new ServiceNow(instance, user, 'demo');
  if (!trusted) {
    client.setNetworkOptions({ httpsAgent: new Agent({ ca }) });
    trusted = true;
  }
  return client;
}

/** Calls a callback-style method; the client hands errors to the callback too. */
function call<T>(run: (callback: Callback) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    run((value) => (value instanceof Error ? reject(value) : resolve(value as T))),
  );
}

const quiet = () => jest.spyOn(console, 'log').mockImplementation(() => undefined);
afterEach(() => jest.restoreAllMocks());

describe('servicenow-rest-api against the mock instance', () => {
  it('reads through /api/now/v2/table with display values, fields and encoded-query filters', async () => {
    quiet(); // it logs every URL it calls
    const client = clientAs('admin');
    const sample = await call<Record<string, unknown>[]>((cb) =>
      client.getSampleData('incident', cb),
    );
    expect(sample).toHaveLength(1);

    const expected = state.db
      .rows('incident')
      .filter((r) => r['active'] === 'true' && r['opened_at'] >= '2026-02-01 00:00:00')
      .map((r) => r['number'])
      .sort();
    const active = state.db.rows('incident').filter((r) => r['active'] === 'true').length;
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(active); // the date condition did filter
    const rows = await call<
      { number: string; state: string; caller_id: { display_value: string } }[]
    >((cb) =>
      client.getTableData(
        ['number', 'state', 'caller_id'],
        [
          'active=true',
          "opened_at>=javascript:gs.dateGenerate('2026-02-01','00:00:00')",
          'ORDERBYnumber',
        ],
        'incident',
        cb,
      ),
    );
    expect(rows.map((r) => r.number)).toEqual(expected);
    expect(rows.every((r) => ['New', 'In Progress', 'On Hold'].includes(r.state))).toBe(true);
    expect(typeof rows[0].caller_id.display_value).toBe('string');
  });

  it('creates, updates and deletes with display values, as the client sends them', async () => {
    quiet();
    const client = clientAs('beth.anglin');
    const created = await call<{
      number: string;
      state: string;
      caller_id: { display_value: string };
    }>((cb) =>
      client.createNewTask(
        { short_description: 'Printer on fire', caller_id: 'Abel Tuter', state: 'In Progress' },
        'incident',
        cb,
      ),
    );
    expect(created.state).toBe('In Progress');
    expect(created.caller_id.display_value).toBe('Abel Tuter');
    const stored = state.db.rows('incident').find((r) => r['number'] === created.number)!;
    expect(stored['state']).toBe('2');
    expect(stored['caller_id']).toBe(seededSysId('sys_user:abel.tuter'));

    const sysId = await call<string>((cb) => client.getSysId('incident', created.number, cb));
    expect(sysId).toBe(stored['sys_id']);
    const updated = await call<{ state: string }>((cb) =>
      client.UpdateTask('incident', created.number, { state: 'Resolved' }, cb),
    );
    expect(updated.state).toBe('Resolved');
    expect(state.db.get('incident', sysId)!['state']).toBe('6');

    // itil may not delete: the client hands over the instance's 403.
    const refused = await new Promise<{ response: { status: number; data: unknown } }>((resolve) =>
      client.DeleteTask('incident', created.number, resolve as Callback),
    );
    expect(refused.response.status).toBe(403);
    expect(refused.response.data).toEqual({
      error: {
        message: 'Operation Failed',
        detail: 'ACL Exception Delete Failed due to security constraints',
      },
      status: 'failure',
    });
    const deleted = await call<{ status: number }>((cb) =>
      clientAs('admin').DeleteTask('incident', created.number, cb),
    );
    expect(deleted.status).toBe(204);
    expect(state.db.get('incident', sysId)).toBeNull();
  });

  it('reads attachment metadata and files', async () => {
    quiet();
    const incident = seededSysId('incident:0');
    // Uploading is not part of this client: the test puts a file in over the same TLS front.
    const uploaded = JSON.parse(
      await httpsRequest(
        `/api/now/attachment/file?table_name=incident&table_sys_id=${incident}&file_name=a.txt`,
        'POST',
        'attached',
      ),
    ) as { result: { sys_id: string } };
    const id = uploaded.result.sys_id;
    const client = clientAs('abel.tuter'); // he is the incident's caller
    const meta = await call<{ file_name: string; size_bytes: string }>((cb) =>
      client.getAttachmentMetaData(id, cb),
    );
    expect(meta).toMatchObject({ file_name: 'a.txt', size_bytes: '8' });
    const all = await call<{ sys_id: string }[]>((cb) =>
      client.getAllAttachmentsMetaData(incident, cb),
    );
    expect(all.map((a) => a.sys_id)).toEqual([id]);
    const file = await call<{ data: string }>((cb) => client.getAttachment(id, cb));
    expect(file.data).toBe('attached');
  });
});

/** A request as admin over the test's TLS front, trusting its certificate. */
function httpsRequest(path: string, method: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://${instance}${path}`,
      {
        method,
        ca,
        headers: {
          Authorization: `Basic ${Buffer.from('admin:demo').toString('base64')}`,
          'Content-Type': 'text/plain',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
