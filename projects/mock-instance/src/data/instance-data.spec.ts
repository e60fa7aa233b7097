// A user's own data, as a data file declares it: their tables, records, users, roles and access
// rules, served as an instance serves them; and mistakes named where they are.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { client } from '../../test/client';
import { createMockInstanceApp, MockInstance, startMockInstance } from '../server';
import { demoData } from './demo-data';
import { InstanceDataError, InstanceDataInput, loadInstanceData } from './instance-data';

const DATA: InstanceDataInput = {
  tables: {
    x_acme_task: {
      label: 'Acme task',
      fields: {
        number: { type: 'string', readOnly: true },
        title: { type: 'string', label: 'Title' },
        owner: { type: 'reference', reference: 'sys_user' },
      },
    },
    x_acme_ticket: {
      extends: 'x_acme_task',
      label: 'Ticket',
      display: 'number',
      numberPrefix: 'TKT',
      fields: {
        state: { type: 'choice', choices: { '1': 'Open', '2': 'Closed' } },
        due: { type: 'glide_date_time' },
        notes: { type: 'journal' },
      },
    },
  },
  users: [
    { user_name: 'ann', password: 'pw-ann', roles: ['x_acme.agent'], name: 'Ann Agent' },
    { user_name: 'bob', password: 'pw-bob', name: 'Bob Owner' },
    { user_name: 'cat', name: 'Cat Cannot-Log-In' },
  ],
  records: {
    x_acme_ticket: [
      // A reference by user_name, resolved at load to Bob's sys_id.
      { title: 'Printer on fire', state: '1', owner: 'bob' },
      { title: 'Coffee machine empty', state: 2 },
    ],
  },
  acls: [
    { table: 'sys_user', operation: 'read' },
    // Agents read every ticket; anyone reads their own; a parent's rule covers its children.
    { table: 'x_acme_ticket', operation: 'read', roles: ['x_acme.agent'] },
    { table: 'x_acme_ticket', operation: 'read', condition: 'owner=javascript:gs.getUserID()' },
    { table: 'x_acme_task', operation: 'create', roles: ['x_acme.agent'] },
  ],
  loginHint: 'passwords pw-<name>',
};

let instance: MockInstance | undefined;
afterEach(async () => {
  await instance?.close();
  instance = undefined;
});

const titles = async (browser: ReturnType<typeof client>, token: string) =>
  (
    (await (
      await browser.fetch('/api/now/table/x_acme_ticket?sysparm_fields=title,number', {
        headers: { 'X-UserToken': token },
      })
    ).json()) as { result: { title: string; number: string }[] }
  ).result;

describe('a user’s own data', () => {
  it('serves their tables with inherited fields, numbers, users, roles and access rules', async () => {
    instance = await startMockInstance({ data: DATA });
    const { url } = instance;
    const ann = client(url);
    const annToken = await ann.logIn('ann', 'pw-ann');
    expect(await titles(ann, annToken)).toEqual([
      { title: 'Printer on fire', number: 'TKT0000001' },
      { title: 'Coffee machine empty', number: 'TKT0000002' },
    ]);
    const bob = client(url);
    const bobToken = await bob.logIn('bob', 'pw-bob');
    expect((await titles(bob, bobToken)).map((t) => t.title)).toEqual(['Printer on fire']);

    // Creating: the parent's rule grants agents; Bob has no role.
    const create = (browser: typeof ann, token: string) =>
      browser.fetch('/api/now/table/x_acme_ticket', {
        method: 'POST',
        headers: { 'X-UserToken': token, 'Content-Type': 'application/json' },
        body: '{"title":"New one","state":"1"}',
      });
    const created = await create(ann, annToken);
    expect(created.status).toBe(201);
    expect(((await created.json()) as { result: { number: string } }).result.number).toBe(
      'TKT0000003',
    );
    expect((await create(bob, bobToken)).status).toBe(403);
    // A user without a password cannot log in; a wrong password fails.
    await expect(client(url).logIn('cat', 'x')).rejects.toThrow(/login failed/);
    await expect(client(url).logIn('ann', 'pw-bob')).rejects.toThrow(/login failed/);
    // The login page lists who can log in, and the data's hint.
    const page = await (await fetch(`${url}/login.do`)).text();
    expect(page).toContain('<code>ann</code>');
    expect(page).not.toContain('<code>cat</code>');
    expect(page).toContain('passwords pw-&#60;name&#62;');
  });

  it('answers sys_db_object and sys_dictionary for the declared tables', async () => {
    instance = await startMockInstance({ data: DATA });
    const { url } = instance;
    const auth = { Authorization: `Basic ${Buffer.from('ann:pw-ann').toString('base64')}` };
    const get = async (path: string) =>
      (
        (await (await fetch(url + path, { headers: auth })).json()) as {
          result: Record<string, unknown>[];
        }
      ).result;
    const [ticket] = await get(
      '/api/now/table/sys_db_object?sysparm_query=name=x_acme_ticket&sysparm_fields=name,label,super_class&sysparm_exclude_reference_link=true&sysparm_display_value=true',
    );
    expect(ticket).toEqual({ name: 'x_acme_ticket', label: 'Ticket', super_class: 'x_acme_task' });
    const columns = await get(
      '/api/now/table/sys_dictionary?sysparm_query=name=x_acme_ticket^ORDERBYelement&sysparm_fields=element,internal_type,reference,column_label',
    );
    expect(columns).toContainEqual({
      element: 'owner',
      internal_type: 'reference',
      reference: 'sys_user',
      column_label: 'owner',
    });
    expect(columns).toContainEqual({
      element: 'due',
      internal_type: 'glide_date_time',
      reference: '',
      column_label: 'due',
    });
    expect(columns).toContainEqual(
      expect.objectContaining({ element: 'title', column_label: 'Title' }),
    );
  });
});

describe('data that extends the demo’s', () => {
  const DEMO_INCIDENTS = demoData().records['incident'];

  it('adds tables, fields, users and records to the demo’s, which keep their sys_ids', async () => {
    instance = await startMockInstance({
      data: {
        extends: 'demo',
        tables: {
          // A field added to a table the demo declares.
          incident: { fields: { u_site: { type: 'string', label: 'Site' } } },
          x_acme_ticket: {
            label: 'Ticket',
            fields: {
              title: { type: 'string' },
              owner: { type: 'reference', reference: 'sys_user' },
              incident: { type: 'reference', reference: 'incident' },
            },
          },
        },
        users: [{ user_name: 'dana', password: 'pw-dana', roles: ['itil'], name: 'Dana Desk' }],
        records: {
          // References by user_name, by a user's name, by an incident's number.
          incident: [{ short_description: 'Site down', caller_id: 'dana', u_site: 'Oslo' }],
          x_acme_ticket: [
            { title: 'Follow up', owner: 'Beth Anglin', incident: 'INC0010001' },
            { title: 'Their own', owner: 'dana', incident: 'INC0010300' },
            // The number the data's own incident gets.
            { title: 'Site', owner: 'dana', incident: 'INC0010301' },
          ],
        },
        acls: [{ table: 'x_acme_ticket', operation: 'read', roles: ['itil'] }],
      },
    });
    const dana = client(instance.url);
    const token = await dana.logIn('dana', 'pw-dana');
    const get = async (path: string) => {
      const response = await dana.fetch(path, { headers: { 'X-UserToken': token } });
      return {
        total: response.headers.get('X-Total-Count'),
        result: ((await response.json()) as { result: Record<string, string>[] }).result,
      };
    };
    const incidents = await get(
      '/api/now/table/incident?sysparm_fields=sys_id,number,caller_id,u_site&sysparm_exclude_reference_link=true&sysparm_query=ORDERBYnumber',
    );
    expect(incidents.total).toBe(String(DEMO_INCIDENTS.length + 1));
    expect(incidents.result[0]).toMatchObject({
      sys_id: DEMO_INCIDENTS[0]['sys_id'],
      number: DEMO_INCIDENTS[0]['number'],
    });
    // Yours come after the demo's, numbered after its last.
    const mine = incidents.result.at(-1)!;
    expect(mine['number']).toBe('INC0010301');
    const [danaUser] = (
      await get('/api/now/table/sys_user?sysparm_query=user_name=dana&sysparm_fields=sys_id')
    ).result;
    expect(mine).toMatchObject({ caller_id: danaUser['sys_id'], u_site: 'Oslo' });

    const tickets = await get(
      '/api/now/table/x_acme_ticket?sysparm_fields=title,owner,incident&sysparm_display_value=true&sysparm_exclude_reference_link=true',
    );
    expect(tickets.result).toEqual([
      { title: 'Follow up', owner: 'Beth Anglin', incident: 'INC0010001' },
      { title: 'Their own', owner: 'Dana Desk', incident: 'INC0010300' },
      { title: 'Site', owner: 'Dana Desk', incident: 'INC0010301' },
    ]);
    // The demo's users still log in with the demo's password.
    await expect(client(instance.url).logIn('abel.tuter', 'demo')).resolves.toEqual(
      expect.any(String),
    );
  });

  it.each<[string, InstanceDataInput, RegExp]>([
    [
      'a reference that names no user, by its place in your file',
      { extends: 'demo', records: { incident: [{ caller_id: 'bob' }] } },
      /records\.incident\[0\]\.caller_id: "bob" names no sys_user record \(by sys_id, user_name or name\)/,
    ],
    [
      'a sys_id no record has',
      { extends: 'demo', records: { incident: [{ assigned_to: 'f'.repeat(32) }] } },
      /records\.incident\[0\]\.assigned_to: "f{32}" names no sys_user record/,
    ],
    [
      'a display value that several records have',
      {
        extends: 'demo',
        users: [{ user_name: 'abel.two', name: 'Abel Tuter' }],
        records: { incident: [{ caller_id: 'Abel Tuter' }] },
      },
      /records\.incident\[0\]\.caller_id: "Abel Tuter" is the name of 2 sys_user records; give one's sys_id/,
    ],
    [
      'a manager by a name no user has',
      { extends: 'demo', users: [{ user_name: 'dana', manager: 'nobody' }] },
      /users\[0\]\.manager: "nobody" names no sys_user record/,
    ],
    [
      'a user the demo already has',
      { extends: 'demo', users: [{ user_name: 'abel.tuter' }] },
      /users\[0\]\.user_name: abel\.tuter is declared twice/,
    ],
    [
      'data to extend other than the demo’s',
      { extends: 'base' as 'demo' },
      /extends: the only data to extend is "demo"/,
    ],
  ])('names %s', async (_what, data, problem) => {
    const failure = await startMockInstance({ data }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InstanceDataError);
    expect((failure as Error).message).toMatch(problem);
  });
});

describe('mistakes in the data', () => {
  it.each<[string, unknown, RegExp]>([
    [
      'an unknown field type',
      { tables: { t: { fields: { a: { type: 'text' } } } } },
      /tables\.t\.fields\.a\.type: /,
    ],
    [
      'a reference without its table',
      { tables: { t: { fields: { a: { type: 'reference' } } } } },
      /tables\.t\.fields\.a: a reference field needs "reference"/,
    ],
    [
      'a reference to nowhere',
      { tables: { t: { fields: { a: { type: 'reference', reference: 'nowhere' } } } } },
      /tables\.t\.fields\.a\.reference: no table nowhere/,
    ],
    [
      'a parent that is not declared',
      { tables: { t: { extends: 'task', fields: {} } } },
      /tables\.t\.extends: no table task is declared/,
    ],
    [
      'tables extending each other',
      { tables: { a: { extends: 'b', fields: {} }, b: { extends: 'a', fields: {} } } },
      /extend each other in a circle/,
    ],
    [
      'a record field the table lacks',
      { tables: { t: { fields: { a: { type: 'string' } } } }, records: { t: [{ b: 'x' }] } },
      /records\.t\[0\]\.b: t has no field b/,
    ],
    [
      'records of an undeclared table',
      { records: { nowhere: [{}] } },
      /records\.nowhere: no table nowhere is declared/,
    ],
    [
      'records of the demo’s table without extending its data',
      { records: { incident: [{}] } },
      /records\.incident: no table incident is declared \(the demo's data has it: "extends": "demo" builds on that data\)/,
    ],
    [
      'a malformed sys_id',
      { users: [{ user_name: 'u', sys_id: 'xyz' }], records: {} },
      /sys_user has no field|sys_id/,
    ],
    [
      'a user declared twice',
      { users: [{ user_name: 'u' }, { user_name: 'u' }] },
      /users\[1\]\.user_name: u is declared twice/,
    ],
    [
      'an ACL on no table',
      { acls: [{ table: 'nowhere', operation: 'read' }] },
      /acls\[0\]\.table: no table nowhere/,
    ],
    [
      'an unknown ACL operation',
      { acls: [{ table: 'sys_user', operation: 'execute' }] },
      /acls\[0\]\.operation/,
    ],
    ['an unknown top-level key', { tablez: {} }, /\(top level\): .*tablez/],
    [
      'a built-in table declared again',
      { tables: { sys_user: { fields: {} } } },
      /tables\.sys_user: sys_user is built in/,
    ],
  ])('names %s, with its path', async (_what, data, problem) => {
    const failure = await startMockInstance({ data: data as InstanceDataInput }).catch(
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(InstanceDataError);
    expect((failure as Error).message).toMatch(problem);
  });
});

describe('data files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mock-data-'));

  it('reads JSON and CommonJS modules', async () => {
    writeFileSync(join(dir, 'instance.json'), JSON.stringify(DATA));
    writeFileSync(join(dir, 'instance.cjs'), `module.exports = ${JSON.stringify(DATA)};`);
    for (const file of ['instance.json', 'instance.cjs']) {
      const data = await loadInstanceData(join(dir, file));
      expect(Object.keys(data.tables)).toEqual(['x_acme_task', 'x_acme_ticket']);
      expect(data.users[0].roles).toEqual(['x_acme.agent']);
    }
  });

  it('takes a path wherever it takes data: startMockInstance reads the file', async () => {
    writeFileSync(
      join(dir, 'on-demo.json'),
      JSON.stringify({ extends: 'demo', users: [{ user_name: 'dana', password: 'pw' }] }),
    );
    instance = await startMockInstance({ data: join(dir, 'on-demo.json') });
    expect(instance.db.loginUsers()).toEqual(['abel.tuter', 'beth.anglin', 'admin', 'dana']);
    expect(() => createMockInstanceApp({ data: join(dir, 'on-demo.json') })).toThrow(
      /createMockInstanceApp takes data as an object; read the file .*on-demo\.json with loadInstanceData\(\) first/,
    );
    await expect(startMockInstance({ data: join(dir, 'missing.json') })).rejects.toThrow(
      /missing\.json is not valid instance data:\n {2}- cannot be read: /,
    );
  });

  it('names the file and the place of each mistake', async () => {
    writeFileSync(
      join(dir, 'broken.json'),
      JSON.stringify({
        tables: { t: { fields: { a: { type: 'reference', reference: 'x' } } } },
        users: [{}],
      }),
    );
    const failure = await loadInstanceData(join(dir, 'broken.json')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InstanceDataError);
    expect((failure as Error).message).toMatch(
      /broken\.json is not valid instance data:\n {2}- users\[0\]\.user_name: /,
    );
    writeFileSync(join(dir, 'not.json'), '{ nope');
    await expect(loadInstanceData(join(dir, 'not.json'))).rejects.toThrow(
      /not\.json is not valid instance data:\n {2}- cannot be read: /,
    );
  });
});
