// A user's own data, as a data file declares it: their tables, records, users, roles and access
// rules, served as an instance serves them; and mistakes named where they are.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { client } from '../../test/client';
import { MockInstance, startMockInstance } from '../server';
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
      { title: 'Printer on fire', state: '1', owner: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' },
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
    const withOwner: InstanceDataInput = {
      ...DATA,
      users: DATA.users!.map((u) => (u.user_name === 'bob' ? { ...u, sys_id: 'b'.repeat(32) } : u)),
    };
    instance = await startMockInstance({ data: withOwner });
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
