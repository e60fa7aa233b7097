import { createHash } from 'node:crypto';

import { client } from '../../test/client';
import { seededSysId } from '../data/seed';
import { MockInstance, startMockInstance } from '../server';

/** Basic credentials of a seeded user. */
const basic = (user: string) => `Basic ${Buffer.from(`${user}:demo`).toString('base64')}`;
// The mechanics below are the admin's view: every row (access control has its own tests).
const BASIC = basic('admin');
const ABEL = seededSysId('sys_user:abel.tuter');
let instance: MockInstance;
/** What the mock logged (each dropped condition). */
const logged: string[] = [];

beforeAll(async () => {
  instance = await startMockInstance({
    dev: true,
    bodyLimit: '10kb',
    log: (line) => logged.push(line),
  });
});
afterAll(() => instance.close());
beforeEach(() => instance.db.reset());

function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', BASIC);
  return fetch(instance.url + path, { ...init, headers });
}
async function body(response: Response): Promise<any> {
  return JSON.parse(await response.text());
}
function links(response: Response): Record<string, URL> {
  const out: Record<string, URL> = {};
  for (const part of (response.headers.get('link') ?? '').split(',')) {
    const m = /^<([^>]+)>;rel="(\w+)"$/.exec(part);
    if (m) {
      out[m[2]] = new URL(m[1]);
    }
  }
  return out;
}

describe('Table API: reading', () => {
  it('pages with X-Total-Count and Link first/prev/next/last', async () => {
    const query =
      '/api/now/table/incident?sysparm_query=active=true^ORDERBYnumber&sysparm_fields=number';
    const first = await api(`${query}&sysparm_limit=20`);
    const total = Number(first.headers.get('x-total-count'));
    expect(total).toBe(instance.db.rows('incident').filter((r) => r['active'] === 'true').length);
    const l = links(first);
    // The first page links a `prev` one page back, before the first row, as recorded instances
    // do (`sysparm_offset=-1` with a limit of 1); this expected no `prev` before the recordings.
    expect(Object.keys(l)).toEqual(['first', 'prev', 'next', 'last']);
    expect(l['prev'].searchParams.get('sysparm_offset')).toBe('-20');
    expect(l['next'].searchParams.get('sysparm_offset')).toBe('20');
    expect(l['next'].searchParams.get('sysparm_query')).toBe('active=true^ORDERBYnumber');
    expect(Number(l['last'].searchParams.get('sysparm_offset'))).toBe(
      Math.floor((total - 1) / 20) * 20,
    );

    const second = await api(l['next'].pathname + l['next'].search);
    expect(Object.keys(links(second))).toEqual(['first', 'prev', 'next', 'last']);
    const rows = [...(await body(first)).result, ...(await body(second)).result];
    expect(new Set(rows.map((r: any) => r.number)).size).toBe(40);
    expect(rows.map((r: any) => r.number)).toEqual([...rows.map((r: any) => r.number)].sort());
  });

  it('drops the headers on request', async () => {
    const response = await api(
      '/api/now/table/incident?sysparm_limit=5&sysparm_no_count=true&sysparm_suppress_pagination_header=true',
    );
    expect(response.headers.has('x-total-count')).toBe(false);
    expect(response.headers.has('link')).toBe(false);
    expect((await body(response)).result).toHaveLength(5);
  });

  it('defaults to 10000 rows and honours sysparm_offset', async () => {
    const all = await body(await api('/api/now/table/incident?sysparm_fields=number'));
    expect(all.result).toHaveLength(300);
    const tail = await body(
      await api('/api/now/table/incident?sysparm_fields=number&sysparm_offset=295'),
    );
    expect(tail.result).toEqual(all.result.slice(295));
  });

  it('answers an empty list with 200 and []', async () => {
    const response = await api('/api/now/table/incident?sysparm_query=number=NOPE');
    expect(response.status).toBe(200);
    expect(await body(response)).toEqual({ result: [] });
    expect(response.headers.get('x-total-count')).toBe('0');
  });

  it('shapes values for each sysparm_display_value, as strings', async () => {
    const id = seededSysId('incident:0');
    const path = `/api/now/table/incident/${id}?sysparm_fields=state,caller_id,active,assigned_to,opened_at`;
    const plain = (await body(await api(path))).result;
    expect(plain.state).toBe('1');
    expect(plain.active).toBe('true');
    expect(plain.assigned_to).toBe('');
    expect(plain.opened_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(plain.caller_id).toEqual({
      link: `${instance.url}/api/now/table/sys_user/${ABEL}`,
      value: ABEL,
    });

    const display = (await body(await api(`${path}&sysparm_display_value=true`))).result;
    expect(display.state).toBe('New');
    expect(display.caller_id).toEqual({
      display_value: 'Abel Tuter',
      link: `${instance.url}/api/now/table/sys_user/${ABEL}`,
    });

    const all = (await body(await api(`${path}&sysparm_display_value=all`))).result;
    expect(all.state).toEqual({ display_value: 'New', value: '1' });
    expect(all.caller_id).toEqual({
      display_value: 'Abel Tuter',
      value: ABEL,
      link: `${instance.url}/api/now/table/sys_user/${ABEL}`,
    });

    const noLink = (
      await body(await api(`${path}&sysparm_display_value=all&sysparm_exclude_reference_link=true`))
    ).result;
    expect(noLink.caller_id).toEqual({ display_value: 'Abel Tuter', value: ABEL });
  });

  it('limits fields with sysparm_fields and ignores unknown ones', async () => {
    const { result } = await body(
      await api('/api/now/table/sys_user?sysparm_fields=user_name,colour&sysparm_limit=2'),
    );
    expect(result).toEqual([{ user_name: 'abel.tuter' }, { user_name: 'beth.anglin' }]);
  });

  it('filters on dot-walked fields', async () => {
    const { result } = await body(
      await api(
        '/api/now/table/incident?sysparm_query=caller_id.user_name=abel.tuter&sysparm_fields=caller_id&sysparm_exclude_reference_link=true',
      ),
    );
    expect(result.length).toBeGreaterThan(10);
    expect(result.every((r: any) => r.caller_id === ABEL)).toBe(true);
  });

  it('answers 404 in the instance shape for a missing record', async () => {
    const response = await api('/api/now/table/incident/0123456789abcdef0123456789abcdef');
    expect(response.status).toBe(404);
    expect(await body(response)).toEqual({
      error: {
        message: 'No Record found',
        detail: "Record doesn't exist or ACL restricts the record retrieval",
      },
      status: 'failure',
    });
  });

  it('answers XML when asked', async () => {
    const response = await api(`/api/now/table/sys_user/${ABEL}?sysparm_fields=user_name,name`, {
      headers: { Accept: 'application/xml' },
    });
    expect(await response.text()).toBe(
      '<response><result><user_name>abel.tuter</user_name><name>Abel Tuter</name></result></response>',
    );
  });
});

describe('Table API: invalid conditions', () => {
  const count = async (query: string) =>
    Number(
      (
        await api(
          `/api/now/table/incident?sysparm_limit=1&sysparm_query=${encodeURIComponent(query)}`,
        )
      ).headers.get('x-total-count'),
    );
  afterEach(() => {
    instance.config.invalidQueryReturnsNoRows = false;
    logged.length = 0;
  });

  it('drops an unknown field or operator, as an instance does, and logs it every time', async () => {
    const active = await count('active=true');
    expect(await count('active=true^colour=red')).toBe(active);
    expect(await count('active=true^stateFOO1')).toBe(active);
    expect(await count('active=true^colour=red')).toBe(active);
    expect(logged).toEqual([
      'ignored the condition "colour=red" on incident: no field colour (an instance drops it silently)',
      'ignored the condition "stateFOO1" on incident: no operator an instance knows after state (an instance drops it silently)',
      'ignored the condition "colour=red" on incident: no field colour (an instance drops it silently)',
    ]);
  });

  it('returns no rows for such a query with invalidQueryReturnsNoRows, switchable at run time', async () => {
    const on = await fetch(`${instance.url}/mock/config`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"invalidQueryReturnsNoRows":true}',
    });
    expect(on.status).toBe(200);
    expect(await count('active=true^colour=red')).toBe(0);
    expect(await count('active=true')).toBeGreaterThan(0);
    expect(logged[0]).toMatch(/no field colour .*invalidQueryReturnsNoRows is on: no rows/);
  });

  it('answers an operator it does not evaluate with a 400 that names it', async () => {
    const response = await api(
      `/api/now/table/incident?sysparm_query=${encodeURIComponent('stateVALCHANGES')}`,
    );
    expect(response.status).toBe(400);
    expect((await body(response)).error.message).toMatch(
      /Unsupported encoded query term stateVALCHANGES: .*a record being updated/,
    );
  });

  it('joins and counts related records across tables, through the ACLs', async () => {
    // Users who opened at least one active incident, and those who opened none.
    const users = async (query: string) =>
      Number(
        (
          await api(
            `/api/now/table/sys_user?sysparm_limit=1&sysparm_query=${encodeURIComponent(query)}`,
          )
        ).headers.get('x-total-count'),
      );
    const all = await users('');
    const opened = await users('RLQUERYincident.opened_by,>=1,active=true^ENDRLQUERY');
    const none = await users('RLQUERYincident.opened_by,=0,active=true^ENDRLQUERY');
    expect(opened).toBeGreaterThan(0);
    expect(opened + none).toBe(all);
    expect(await users('JOINsys_user.sys_id=incident.opened_by!active=true')).toBe(opened);
  });
});

describe('Batch API', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const batch = (path: string, rest_requests: unknown[], headers: Record<string, string> = {}) =>
    fetch(instance.url + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ batch_request_id: '7', rest_requests }),
    });

  it('runs each request as if sent alone, in order, as PySNC sends them', async () => {
    const response = await batch(
      '/api/now/v1/batch',
      [
        {
          id: 'create',
          method: 'POST',
          url: '/api/now/table/incident',
          headers: [{ name: 'Content-Type', value: 'application/json' }],
          body: b64('{"short_description":"from a batch"}'),
        },
        {
          id: 'read',
          method: 'GET',
          url: '/api/now/table/incident?sysparm_query=short_description%3Dfrom%20a%20batch&sysparm_fields=short_description',
          headers: [],
          exclude_response_headers: true,
        },
      ],
      { Authorization: BASIC },
    );
    expect(response.status).toBe(200);
    const answer = await body(response);
    expect(answer.batch_request_id).toBe('7');
    expect(answer.unserviced_requests).toEqual([]);
    const [created, read] = answer.serviced_requests;
    expect(created).toMatchObject({ id: 'create', status_code: 201 });
    expect(created.headers).toContainEqual({
      name: 'location',
      value: expect.stringMatching(/\/api\/now\/table\/incident\/[0-9a-f]{32}$/),
    });
    expect(read.headers).toBeUndefined();
    expect(JSON.parse(Buffer.from(read.body, 'base64').toString())).toEqual({
      result: [{ short_description: 'from a batch' }],
    });
  });

  it('applies the CSRF check and the ACLs to each request', async () => {
    const abel = client(instance.url);
    const token = await abel.logIn();
    const items = [
      { id: 'list', method: 'GET', url: '/api/now/table/incident?sysparm_limit=1', headers: [] },
      // abel may not delete incidents.
      {
        id: 'delete',
        method: 'DELETE',
        url: `/api/now/table/incident/${instance.db.rows('incident')[0]['sys_id']}`,
        headers: [],
      },
      // Its own header wins: a stale token is refused.
      {
        id: 'stale',
        method: 'GET',
        url: '/api/now/table/incident?sysparm_limit=1',
        headers: [{ name: 'X-UserToken', value: 'stale' }],
      },
    ];
    const response = await abel.fetch('/api/now/batch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-UserToken': token },
      body: JSON.stringify({ batch_request_id: '1', rest_requests: items }),
    });
    expect(response.status).toBe(200);
    const statuses = (await body(response)).serviced_requests.map(
      (r: { id: string; status_code: number }) => [r.id, r.status_code],
    );
    expect(statuses).toEqual([
      ['list', 200],
      ['delete', 403],
      ['stale', 401],
    ]);
    // And the batch itself needs the token, as any REST call.
    const without = await abel.fetch('/api/now/batch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ rest_requests: items }),
    });
    expect(without.status).toBe(401);
  });

  it('leaves unserviced what passes the output limit, and refuses a malformed batch', async () => {
    const big = await batch(
      '/api/now/batch',
      [{ id: 'all', method: 'GET', url: '/api/now/table/incident?sysparm_limit=300', headers: [] }],
      { Authorization: BASIC, 'X-BATCHREQUEST-MAX-OUTPUT-SIZE': '1000' },
    );
    expect((await body(big)).unserviced_requests).toEqual(['all']);
    const nested = await batch(
      '/api/now/batch',
      [{ id: 'n', method: 'POST', url: '/api/now/batch', headers: [] }],
      { Authorization: BASIC },
    );
    expect((await body(nested)).serviced_requests[0]).toMatchObject({ status_code: 400 });
    for (const bad of [{}, { rest_requests: [] }, { rest_requests: [{ method: 'GET' }] }]) {
      const response = await fetch(instance.url + '/api/now/batch', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: BASIC },
        body: JSON.stringify(bad),
      });
      expect(response.status).toBe(400);
      expect((await body(response)).error.message).toBe('Invalid batch request');
    }
  });
});

describe('Table API: writing', () => {
  // PySNC's `test_insert_custom_guid`, which runs against a real instance: the id comes back as
  // given (this expected it lower-cased before), and a GET by it in any case finds the record.
  it('keeps a sys_id given on insert as given, finds it in any case; refuses a malformed or taken one', async () => {
    const id = 'AAAABBBBCCCCDDDDEEEEFFFF00001111';
    const post = (sysId: unknown) =>
      api('/api/now/table/incident', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sys_id: sysId, short_description: 'addressed in advance' }),
      });
    const created = await post(id);
    expect(created.status).toBe(201);
    expect((await body(created)).result.sys_id).toBe(id);
    expect(created.headers.get('location')).toMatch(new RegExp(`/incident/${id}$`));
    for (const asked of [id, id.toLowerCase()]) {
      const found = await api(`/api/now/table/incident/${asked}?sysparm_fields=sys_id`);
      expect([asked, found.status, (await body(found)).result]).toEqual([
        asked,
        200,
        { sys_id: id },
      ]);
    }
    const taken = await post(id.toLowerCase());
    expect(taken.status).toBe(403);
    expect((await body(taken)).error.detail).toMatch(/a record with this sys_id exists/);
    expect((await api(`/api/now/table/incident/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/now/table/incident/${id.toLowerCase()}`)).status).toBe(404);
    for (const bad of ['abc', 'zz'.repeat(16), 42]) {
      const response = await post(bad);
      expect(response.status).toBe(400);
      expect((await body(response)).error.message).toBe('Invalid sys_id');
    }
  });

  it('creates, updates and deletes an incident', async () => {
    const created = await api('/api/now/table/incident', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        short_description: 'Coffee machine offline',
        caller_id: ABEL,
        urgency: 2,
        number: 'HACK',
        colour: 'red',
      }),
    });
    expect(created.status).toBe(201);
    const record = (await body(created)).result;
    expect(record.number).toBe('INC0010301');
    expect(record.urgency).toBe('2');
    expect(record.state).toBe('1');
    expect(record.active).toBe('true');
    expect(created.headers.get('location')).toBe(
      `${instance.url}/api/now/table/incident/${record.sys_id}`,
    );

    const patched = await api(`/api/now/table/incident/${record.sys_id}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json' },
      body: '{"state":"7"}',
    });
    expect((await body(patched)).result).toMatchObject({
      state: '7',
      incident_state: '7',
      active: 'false',
      sys_mod_count: '1',
    });

    const put = await api(`/api/now/table/incident/${record.sys_id}`, {
      method: 'PUT',
      body: '{"short_description":"Fixed"}',
    });
    expect((await body(put)).result.short_description).toBe('Fixed');

    const deleted = await api(`/api/now/table/incident/${record.sys_id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect((await api(`/api/now/table/incident/${record.sys_id}`)).status).toBe(404);
  });
});

describe('Table API: javascript: values in a write', () => {
  const post = (values: Record<string, string>, user = 'abel.tuter') =>
    fetch(`${instance.url}/api/now/table/incident`, {
      method: 'POST',
      headers: { Authorization: basic(user), 'Content-Type': 'application/json' },
      body: JSON.stringify(values),
    });

  it('evaluates the helpers the mock knows, for the caller', async () => {
    const created = await post({
      short_description: 'Mine',
      caller_id: 'javascript:gs.getUserID()',
      description: 'javascript:gs.getUserName()',
    });
    expect(created.status).toBe(201);
    const { result } = await body(created);
    expect(result.caller_id.value).toBe(ABEL);
    expect(result.description).toBe('abel.tuter');
    // A PATCH too, with a date helper; the instance's clock is the mock's.
    const patched = await api(`/api/now/table/incident/${result.sys_id}`, {
      method: 'PATCH',
      body: JSON.stringify({ resolved_at: 'javascript:gs.beginningOfToday()' }),
    });
    expect(patched.status).toBe(200);
    expect((await body(patched)).result.resolved_at).toMatch(/^\d{4}-\d{2}-\d{2} 00:00:00$/);
  });

  it('refuses any other script with a 400 and a log line, storing nothing', async () => {
    logged.length = 0;
    const before = instance.db.rows('incident').length;
    const refused = await post({
      short_description: 'Not mine',
      caller_id: 'javascript:new GlideRecord("sys_user").getUniqueValue()',
    });
    expect(refused.status).toBe(400);
    expect((await body(refused)).error.message).toBe(
      'Unsupported javascript: expression in field caller_id: javascript:new GlideRecord("sys_user").getUniqueValue()',
    );
    expect(instance.db.rows('incident')).toHaveLength(before);
    expect(logged).toEqual([
      expect.stringMatching(/^refused a write of incident\.caller_id: "javascript:new GlideRecord/),
    ]);
    // A helper the mock knows, but whose value is no sys_id, in a reference field.
    const named = await post({ caller_id: 'javascript:gs.getUserName()' });
    expect(named.status).toBe(400);
    expect((await body(named)).error.message).toBe(
      'Invalid reference in field caller_id: javascript:gs.getUserName() gives abel.tuter, no sys_user record',
    );
    expect(instance.db.rows('incident')).toHaveLength(before);
    const [first] = instance.db.rows('incident');
    const original = first['short_description'];
    const patched = await api(`/api/now/table/incident/${first['sys_id']}`, {
      method: 'PATCH',
      body: JSON.stringify({ short_description: 'javascript:gs.daysAgo("x")' }),
    });
    expect(patched.status).toBe(400);
    expect(instance.db.get('incident', first['sys_id'])!['short_description']).toBe(original);
  });
});

describe('Table API: bad input', () => {
  it.each<[string, string, RequestInit, number, string]>([
    ['unknown table', '/api/now/table/cmdb_nothing', {}, 400, 'Invalid table cmdb_nothing'],
    [
      'non-numeric limit',
      '/api/now/table/incident?sysparm_limit=ten',
      {},
      400,
      'Invalid value for sysparm_limit: ten',
    ],
    [
      'negative offset',
      '/api/now/table/incident?sysparm_offset=-1',
      {},
      400,
      'Invalid value for sysparm_offset: -1',
    ],
    [
      'bad display value',
      '/api/now/table/incident?sysparm_display_value=maybe',
      {},
      400,
      'Invalid value for sysparm_display_value: maybe',
    ],
    [
      'unknown resource',
      '/api/now/nothing/here',
      {},
      400,
      'Requested URI does not represent any resource',
    ],
    [
      'invalid JSON',
      '/api/now/table/incident',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"short_description":',
      },
      400,
      'Exception while reading request',
    ],
    [
      'a JSON array body',
      '/api/now/table/incident',
      { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '[1,2]' },
      400,
      'Exception while reading request',
    ],
    [
      'an empty body',
      '/api/now/table/incident',
      { method: 'POST' },
      400,
      'Exception while reading request',
    ],
    [
      'an oversized body',
      '/api/now/table/incident',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ description: 'x'.repeat(20_000) }),
      },
      413,
      'Request body too large',
    ],
    [
      'an unacceptable Accept',
      '/api/now/table/incident',
      { headers: { Accept: 'image/png' } },
      406,
      'Not Acceptable',
    ],
  ])('answers %s in the instance error shape', async (_, path, init, status, message) => {
    const response = await api(path, init);
    expect(response.status).toBe(status);
    const parsed = await body(response);
    expect(parsed.status).toBe('failure');
    expect(parsed.error.message).toBe(message);
    expect(Object.keys(parsed.error).sort()).toEqual(['detail', 'message']);
    const after = await api('/api/now/table/incident?sysparm_limit=1');
    expect(after.status).toBe(200);
  });

  it('answers a malformed query with 200, ignoring what it cannot read', async () => {
    const response = await api(
      '/api/now/table/incident?sysparm_query=%5E%5E%3D%3DORDERBY&sysparm_limit=3',
    );
    expect(response.status).toBe(200);
    expect((await body(response)).result).toHaveLength(3);
  });
});

/** A request as `user` (Basic), relative to the instance. */
function as(user: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', basic(user));
  if (init.body !== undefined && !headers.has('Content-Type')) {
    headers.set('Content-Type', 'application/json');
  }
  return fetch(instance.url + path, { ...init, headers });
}
const BETH = seededSysId('sys_user:beth.anglin');
const ADMIN = seededSysId('sys_user:admin');
const numbers = async (response: Response) =>
  ((await body(response)).result as { number: string }[]).map((r) => r.number);

describe('Table API: what real clients use', () => {
  it('serves /api/now/v1/table and /api/now/v2/table as the same resource', async () => {
    const path = 'table/incident?sysparm_fields=number&sysparm_limit=5&sysparm_query=ORDERBYnumber';
    const plain = await numbers(await api(`/api/now/${path}`));
    for (const version of ['v1', 'v2']) {
      const response = await api(`/api/now/${version}/${path}`);
      expect(await numbers(response)).toEqual(plain);
      expect(links(response)['next'].pathname).toBe(`/api/now/${version}/table/incident`);
    }
    const one = await api(`/api/now/v2/table/sys_user/${ABEL}?sysparm_fields=user_name`);
    expect((await body(one)).result).toEqual({ user_name: 'abel.tuter' });
  });

  it('links references and pages under the API version asked for, as recorded instances do', async () => {
    const query = 'sysparm_fields=caller_id&sysparm_limit=1&sysparm_query=ORDERBYnumber';
    for (const version of ['', '/v1', '/v2']) {
      const response = await api(`/api/now${version}/table/incident?${query}`);
      const [row] = (await body(response)).result;
      expect(row.caller_id.link).toBe(
        `${instance.url}/api/now${version}/table/sys_user/${row.caller_id.value}`,
      );
      // The first page's `prev` is one page back: offset -1 for a limit of 1, as recorded.
      const prev = links(response)['prev'];
      expect([prev.pathname, prev.searchParams.get('sysparm_offset')]).toEqual([
        `/api/now${version}/table/incident`,
        '-1',
      ]);
    }
    const created = await api('/api/now/v2/table/incident', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"short_description":"versioned"}',
    });
    const { sys_id: id } = (await body(created)).result;
    expect(created.headers.get('location')).toBe(`${instance.url}/api/now/v2/table/incident/${id}`);
  });

  it('evaluates the date helpers query builders write, and refuses other scripts with a 400', async () => {
    const opened = instance.db
      .rows('incident')
      .filter(
        (r) => r['opened_at'] >= '2026-02-01 00:00:00' && r['opened_at'] <= '2026-02-02 23:59:59',
      )
      .map((r) => r['number']);
    expect(opened.length).toBeGreaterThan(0);
    const query = encodeURIComponent(
      "opened_at>=javascript:gs.dateGenerate('2026-02-01','00:00:00')^opened_at<=javascript:gs.dateGenerate('2026-02-02','end')^ORDERBYnumber",
    );
    const response = await api(
      `/api/now/table/incident?sysparm_fields=number&sysparm_query=${query}`,
    );
    expect(await numbers(response)).toEqual(opened.sort());

    const unsupported = await api(
      `/api/now/table/incident?sysparm_query=${encodeURIComponent('opened_at>=javascript:gs.monthsAgo(1)')}`,
    );
    expect(unsupported.status).toBe(400);
    expect((await body(unsupported)).error).toEqual({
      message: 'Unsupported javascript: expression in the query: javascript:gs.monthsAgo(1)',
      detail:
        'This mock instance evaluates only the gs.* date and user helpers listed in its README',
    });
  });

  it('returns dot-walked fields under their path, two levels deep, with display values', async () => {
    const id = seededSysId('incident:0'); // Abel calls it
    const fields = 'number,caller_id.name,caller_id.email,caller_id.manager,caller_id.manager.name';
    const plain = await body(await api(`/api/now/table/incident/${id}?sysparm_fields=${fields}`));
    expect(plain.result).toEqual({
      number: 'INC0010001',
      'caller_id.name': 'Abel Tuter',
      'caller_id.email': 'abel.tuter@example.com',
      'caller_id.manager': {
        link: `${instance.url}/api/now/table/sys_user/${ADMIN}`,
        value: ADMIN,
      },
      'caller_id.manager.name': 'System Administrator',
    });
    const shown = await body(
      await api(
        `/api/now/table/incident/${id}?sysparm_fields=caller_id.manager&sysparm_display_value=true&sysparm_exclude_reference_link=true`,
      ),
    );
    expect(shown.result).toEqual({ 'caller_id.manager': 'System Administrator' });
  });

  it('takes display values as input with sysparm_input_display_value=true', async () => {
    const created = await api(
      '/api/now/table/incident?sysparm_input_display_value=true&sysparm_fields=state,caller_id,category,urgency&sysparm_exclude_reference_link=true',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          short_description: 'x',
          state: 'In Progress',
          caller_id: 'Beth Anglin',
          category: 'Hardware',
          urgency: '3', // a value, not a label: kept
        }),
      },
    );
    expect(created.status).toBe(201);
    expect((await body(created)).result).toEqual({
      state: '2',
      caller_id: BETH,
      category: 'hardware',
      urgency: '3',
    });
    const unknown = await api(
      '/api/now/table/incident?sysparm_input_display_value=true&sysparm_fields=caller_id,state&sysparm_exclude_reference_link=true',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ caller_id: 'Nobody Known', state: 'Sleeping' }),
      },
    );
    expect((await body(unknown)).result).toEqual({ caller_id: '', state: 'Sleeping' });
    // Without the flag a label is stored as given, as an instance does.
    const raw = await api('/api/now/table/incident?sysparm_fields=state', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'Resolved' }),
    });
    expect((await body(raw)).result).toEqual({ state: 'Resolved' });
  });

  it('filters on field=value parameters, AND-ed with sysparm_query', async () => {
    const one = await body(
      await api('/api/now/table/sys_user?user_name=admin&sysparm_fields=name'),
    );
    expect(one.result).toEqual([{ name: 'System Administrator' }]);
    const both = await api(
      `/api/now/table/incident?caller_id=${ABEL}&sysparm_query=active=true^NQstate=7&sysparm_fields=caller_id,active,state&sysparm_exclude_reference_link=true`,
    );
    const rows = (await body(both)).result as {
      caller_id: string;
      active: string;
      state: string;
    }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(
      rows.every((r) => r.caller_id === ABEL && (r.active === 'true' || r.state === '7')),
    ).toBe(true);
    // Parameters that name no field are not filters.
    const all = await api('/api/now/table/sys_user?stamp=1&sysparm_fields=name');
    expect(all.headers.get('x-total-count')).toBe('30');
  });
});

// The fields of a recorded instance's records (data/out-of-box.ts and data/tables.ts name the
// recordings): what a client that reads them meets here too.
describe('Table API: the out-of-box fields of the built-in tables', () => {
  /** Every field of an incident a developer instance created (Swimlane's `create_incident.md`). */
  const RECORDED_INCIDENT = `active activity_due additional_assignee_list approval approval_history
    approval_set assigned_to assignment_group business_duration business_impact business_service
    business_stc calendar_duration calendar_stc caller_id category cause caused_by child_incidents
    close_code close_notes closed_at closed_by cmdb_ci comments comments_and_work_notes company
    contact_type contract correlation_display correlation_id delivery_plan delivery_task description
    due_date escalation expected_start follow_up group_list hold_reason impact incident_state
    knowledge location made_sla notify number opened_at opened_by order origin_id origin_table parent
    parent_incident priority problem_id reassignment_count reopen_count reopened_by reopened_time
    resolved_at resolved_by rfc route_reason service_offering severity short_description sla_due
    state subcategory sys_class_name sys_created_by sys_created_on sys_domain sys_domain_path sys_id
    sys_mod_count sys_tags sys_updated_by sys_updated_on task_effective_number time_worked
    universal_request upon_approval upon_reject urgency user_input watch_list work_end work_notes
    work_notes_list work_start`.split(/\s+/);
  /** An incident's own fields: those a recorded request (`sc_request`, a task too) lacks. */
  const INCIDENT_ONLY = `business_impact business_stc caller_id category cause caused_by
    child_incidents close_code hold_reason incident_state notify origin_id origin_table
    parent_incident problem_id reopen_count reopened_by reopened_time resolved_at resolved_by rfc
    severity subcategory`.split(/\s+/);
  /** Every field of a new user on a vendor instance (demisto/content's ServiceNow_IAM README). */
  const RECORDED_USER = `calendar_integration country user_password last_login_time source
    sys_updated_on building web_service_access_only notification enable_multifactor_authn
    sys_updated_by sys_created_on sys_domain state vip sys_created_by zip home_phone time_format
    last_login default_perspective active sys_domain_path cost_center phone name employee_number
    password_needs_reset gender city failed_attempts user_name roles title sys_class_name sys_id
    internal_integration_user ldap_server mobile_phone street company department first_name email
    introduction preferred_language manager locked_out sys_mod_count last_name photo avatar
    middle_name sys_tags time_zone schedule date_format location`.split(/\s+/);
  const sorted = (names: readonly string[]) => [...names].sort();

  it('answers an incident with the 92 fields of a recorded one', async () => {
    const [row] = (await body(await api('/api/now/table/incident?sysparm_limit=1'))).result;
    expect(RECORDED_INCIDENT).toHaveLength(92);
    expect(sorted(Object.keys(row))).toEqual(sorted(RECORDED_INCIDENT));
  });

  it('gives a new incident the values a recorded instance gave one created with a description only', async () => {
    const created = await api('/api/now/v2/table/incident', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"short_description":"defaults"}',
    });
    const record = (await body(created)).result;
    expect(record).toMatchObject({
      active: 'true',
      approval: 'not requested',
      category: 'inquiry',
      child_incidents: '0',
      escalation: '0',
      impact: '3',
      incident_state: '1',
      knowledge: 'false',
      made_sla: 'true',
      notify: '1',
      priority: '5',
      reassignment_count: '0',
      reopen_count: '0',
      severity: '3',
      state: '1',
      sys_class_name: 'incident',
      sys_domain: {
        link: `${instance.url}/api/now/v2/table/sys_user_group/global`,
        value: 'global',
      },
      sys_domain_path: '/',
      sys_mod_count: '0',
      sys_tags: '',
      task_effective_number: record.number,
      upon_approval: 'proceed',
      upon_reject: 'cancel',
      urgency: '3',
      caller_id: '',
      cmdb_ci: '',
    });
    // Labels as a recorded instance shows them with sysparm_display_value=true.
    const shown = (
      await body(await api(`/api/now/table/incident/${record.sys_id}?sysparm_display_value=true`))
    ).result;
    expect(shown).toMatchObject({
      approval: 'Not Yet Requested',
      escalation: 'Normal',
      notify: 'Do Not Notify',
      severity: '3 - Low',
      upon_approval: 'Proceed to Next Task',
      upon_reject: 'Cancel all future Tasks',
      category: 'Inquiry / Help',
      sys_class_name: 'Incident',
    });
  });

  it('answers a task with the fields an incident shares with a recorded request: 69', async () => {
    const created = await api('/api/now/table/task', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"short_description":"a plain task"}',
    });
    expect(created.status).toBe(201);
    const record = (await body(created)).result;
    const task = RECORDED_INCIDENT.filter((name) => !INCIDENT_ONLY.includes(name));
    expect(task).toHaveLength(69);
    expect(sorted(Object.keys(record))).toEqual(sorted(task));
    expect(record).toMatchObject({ number: 'TASK0000001', sys_class_name: 'task' });
  });

  it('answers a user with the 58 fields of a recorded one', async () => {
    const user = (await body(await api(`/api/now/table/sys_user/${ABEL}`))).result;
    expect(RECORDED_USER).toHaveLength(58);
    expect(sorted(Object.keys(user))).toEqual(sorted(RECORDED_USER));
    expect(user).toMatchObject({
      user_name: 'abel.tuter',
      sys_class_name: 'sys_user',
      calendar_integration: '1',
      notification: '2',
      locked_out: 'false',
      sys_domain_path: '/',
      user_password: '',
    });
  });
});

describe('Table API: access control by role', () => {
  const KB =
    '/api/now/table/incident?sysparm_query=active=true^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()^ORDERBYnumber&sysparm_fields=number';

  it('shows a user without a role only the incidents he calls in or opened', async () => {
    const mine = instance.db
      .rows('incident')
      .filter((r) => r['caller_id'] === ABEL || r['opened_by'] === ABEL);
    const response = await as('abel.tuter', '/api/now/table/incident?sysparm_fields=number');
    expect(response.headers.get('x-total-count')).toBe(String(mine.length));
    expect((await numbers(response)).sort()).toEqual(mine.map((r) => r['number']).sort());
    const other = instance.db.rows('incident').find((r) => r['caller_id'] === BETH)!;
    const hidden = await as('abel.tuter', `/api/now/table/incident/${other['sys_id']}`);
    expect(hidden.status).toBe(404);
    expect((await body(hidden)).error.detail).toBe(
      "Record doesn't exist or ACL restricts the record retrieval",
    );
  });

  it("leaves the demo user's KB list as it was", async () => {
    const asAbel = await numbers(await as('abel.tuter', KB));
    const expected = instance.db
      .rows('incident')
      .filter((r) => r['active'] === 'true' && (r['caller_id'] === ABEL || r['opened_by'] === ABEL))
      .map((r) => r['number'])
      .sort();
    expect(asAbel).toEqual(expected);
    expect(asAbel).toHaveLength(33);
  });

  it('lets itil read every incident and update one, never delete it', async () => {
    const all = await as('beth.anglin', '/api/now/table/incident?sysparm_limit=1');
    expect(all.headers.get('x-total-count')).toBe('300');
    const id = seededSysId('incident:1');
    const update = await as('beth.anglin', `/api/now/table/incident/${id}`, {
      method: 'PATCH',
      body: JSON.stringify({ state: '2' }),
    });
    expect(update.status).toBe(200);
    const remove = await as('beth.anglin', `/api/now/table/incident/${id}`, { method: 'DELETE' });
    expect(remove.status).toBe(403);
    expect(await body(remove)).toEqual({
      error: {
        message: 'Operation Failed',
        detail: 'ACL Exception Delete Failed due to security constraints',
      },
      status: 'failure',
    });
    expect(instance.db.get('incident', id)).not.toBeNull();
  });

  it('lets only admin write users or delete incidents', async () => {
    const create = await as('abel.tuter', '/api/now/table/sys_user', {
      method: 'POST',
      body: JSON.stringify({ user_name: 'mallory' }),
    });
    expect(create.status).toBe(403);
    expect((await body(create)).error.detail).toBe(
      'ACL Exception Insert Failed due to security constraints',
    );
    const rename = await as('beth.anglin', `/api/now/table/sys_user/${ABEL}`, {
      method: 'PUT',
      body: JSON.stringify({ name: 'x' }),
    });
    expect((await body(rename)).error.detail).toBe(
      'ACL Exception Update Failed due to security constraints',
    );
    expect(
      (await as('abel.tuter', `/api/now/table/sys_user/${BETH}`, { method: 'DELETE' })).status,
    ).toBe(403);
    expect(instance.db.get('sys_user', BETH)).not.toBeNull();
    const id = seededSysId('incident:0');
    expect((await as('admin', `/api/now/table/incident/${id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
  });

  it('lets a caller update his own incident, and opens a new one in his name', async () => {
    const own = seededSysId('incident:0');
    const update = await as('abel.tuter', `/api/now/table/incident/${own}`, {
      method: 'PATCH',
      body: JSON.stringify({ short_description: 'still broken' }),
    });
    expect(update.status).toBe(200);
    const created = await as(
      'abel.tuter',
      '/api/now/table/incident?sysparm_fields=opened_by,number',
      {
        method: 'POST',
        body: JSON.stringify({ short_description: 'new' }),
      },
    );
    expect(created.status).toBe(201);
    const row = (await body(created)).result;
    expect(row.opened_by.value).toBe(ABEL);
    const read = await as('abel.tuter', `/api/now/table/incident?number=${row.number}`);
    expect((await body(read)).result).toHaveLength(1);
  });
});

describe('Aggregate API', () => {
  it('counts, with a query and field filters, over the rows the caller may read', async () => {
    const count = async (user: string, query: string) =>
      (await body(await as(user, `/api/now/stats/incident?sysparm_count=true${query}`))).result;
    const active = instance.db.rows('incident').filter((r) => r['active'] === 'true').length;
    expect(await count('admin', '&sysparm_query=active=true')).toEqual({
      stats: { count: String(active) },
    });
    expect(await count('admin', '&active=true')).toEqual({ stats: { count: String(active) } });
    expect(await count('abel.tuter', '&sysparm_query=active=true')).toEqual({
      stats: { count: '33' },
    });
  });

  it('groups by fields, with display values on request', async () => {
    const grouped = await body(
      await as('admin', '/api/now/v1/stats/incident?sysparm_count=true&sysparm_group_by=state'),
    );
    const byState = Object.fromEntries(
      (grouped.result as { stats: { count: string }; groupby_fields: { value: string }[] }[]).map(
        (g) => [g.groupby_fields[0].value, Number(g.stats.count)],
      ),
    );
    expect(byState).toEqual({ '1': 50, '2': 50, '3': 50, '6': 50, '7': 50, '8': 50 });
    const shown = await body(
      await as(
        'admin',
        '/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_display_value=true&state=1',
      ),
    );
    expect(shown.result).toEqual([
      { stats: { count: '50' }, groupby_fields: [{ field: 'state', value: 'New' }] },
    ]);
  });

  it('refuses what it does not compute, and unknown tables or fields', async () => {
    for (const path of [
      '/api/now/stats/incident?sysparm_avg_fields=priority',
      '/api/now/stats/incident?sysparm_group_by=colour',
      '/api/now/stats/nope?sysparm_count=true',
    ]) {
      const response = await as('admin', path);
      expect(response.status).toBe(400);
      expect((await body(response)).status).toBe('failure');
    }
  });
});

describe('Attachment API', () => {
  it('uploads, lists, describes, downloads and deletes, within the record’s access', async () => {
    const own = seededSysId('incident:0');
    const upload = await as(
      'abel.tuter',
      `/api/now/attachment/file?table_name=incident&table_sys_id=${own}&file_name=log.txt`,
      { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' },
    );
    expect(upload.status).toBe(201);
    const meta = (await body(upload)).result;
    expect(meta).toMatchObject({
      file_name: 'log.txt',
      table_name: 'incident',
      table_sys_id: own,
      content_type: 'text/plain',
      size_bytes: '5',
      download_link: `${instance.url}/api/now/attachment/${meta.sys_id}/file`,
    });
    // The instance's Location for an upload is the download link.
    expect(upload.headers.get('location')).toBe(meta.download_link);
    const list = await as('abel.tuter', `/api/now/attachment?table_sys_id=${own}`);
    expect(list.headers.get('x-total-count')).toBe('1');
    const listed = await body(list);
    expect(listed.result.map((a: { sys_id: string }) => a.sys_id)).toEqual([meta.sys_id]);
    const file = await as('abel.tuter', `/api/now/attachment/${meta.sys_id}/file`);
    expect(await file.text()).toBe('hello');
    // Someone who may not read the incident does not see its attachment.
    const other = seededSysId('incident:9'); // Beth calls it
    expect(instance.db.get('incident', other)!['caller_id']).toBe(BETH);
    const foreign = await as(
      'abel.tuter',
      `/api/now/attachment/file?table_name=incident&table_sys_id=${other}&file_name=x.txt`,
      { method: 'POST', body: 'x' },
    );
    expect(foreign.status).toBe(404);
    expect(
      (await as('abel.tuter', `/api/now/attachment/${meta.sys_id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect((await as('abel.tuter', `/api/now/attachment/${meta.sys_id}`)).status).toBe(404);
  });
});

// An attachment as recorded instances describe and serve it (http/attachment-api.ts names the
// recordings), and the upload's Location as ServiceNow's PySNC expects it.
describe('Attachment API, as recorded instances answer it', () => {
  /** The fields of a recorded upload's answer, in the order the instance sent them. */
  const RECORDED_ORDER = `size_bytes file_name sys_mod_count average_image_color image_width
    sys_updated_on sys_tags table_name sys_id image_height sys_updated_by download_link
    content_type sys_created_on size_compressed compressed state table_sys_id chunk_size_bytes hash
    sys_created_by`.split(/\s+/);
  const own = seededSysId('incident:0');
  const upload = (version: string, fileName: string, content: string) =>
    api(
      `/api/now${version}/attachment/file?table_name=incident&table_sys_id=${own}&file_name=${encodeURIComponent(fileName)}`,
      { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: content },
    );

  it('answers an upload to /api/now/v1 with a v1 Location and a pending record of 21 fields', async () => {
    const content = 'this is a sample attachment\nwith\nmulti\nlines';
    const response = await upload('/v1', 'test.txt', content);
    expect(response.status).toBe(201);
    const record = (await body(response)).result;
    // PySNC's test_add_delete_get: the Location keeps the version of the upload.
    expect(response.headers.get('location')).toBe(
      `${instance.url}/api/now/v1/attachment/${record.sys_id}/file`,
    );
    expect(Object.keys(record)).toEqual(RECORDED_ORDER);
    expect(record).toMatchObject({
      state: 'pending',
      sys_mod_count: '0',
      sys_updated_by: 'admin',
      sys_created_by: 'admin',
      size_bytes: String(Buffer.byteLength(content)),
      compressed: 'true',
      chunk_size_bytes: '700000',
      hash: createHash('sha256').update(content).digest('hex'),
      image_width: '',
      image_height: '',
      average_image_color: '',
      sys_tags: '',
      download_link: `${instance.url}/api/now/v1/attachment/${record.sys_id}/file`,
    });
    expect(record.size_compressed).toMatch(/^[1-9]\d*$/);
    // The instance then finishes it as the system.
    const later = (await body(await api(`/api/now/attachment/${record.sys_id}`))).result;
    expect(later).toMatchObject({
      state: 'available',
      sys_mod_count: '1',
      sys_updated_by: 'system',
    });
  });

  it('serves the bytes with Content-Disposition and the record as x-attachment-metadata, uncached', async () => {
    const name = 'résumé "final".txt';
    const { sys_id: id } = (await body(await upload('', name, 'hello'))).result;
    const record = (await body(await api(`/api/now/attachment/${id}`))).result;
    const file = await api(`/api/now/attachment/${id}/file`);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('hello');
    expect(file.headers.get('content-type')).toBe('text/plain;charset=UTF-8');
    expect(file.headers.get('content-disposition')).toBe(
      `attachment;filename="r_sum_ _final_.txt";filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.txt`,
    );
    const { download_link: _link, ...stored } = record;
    expect(JSON.parse(file.headers.get('x-attachment-metadata')!)).toEqual(stored);
    expect(file.headers.get('x-attachment-metadata')).toMatch(
      /^\{ {2}"size_bytes" : "5", {2}"file_name" : /,
    );
    expect(file.headers.get('cache-control')).toBeNull();
    expect(file.headers.get('x-transaction-id')).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('pages that do not exist', () => {
  it('answers an instance-like 404 page, not the web framework’s', async () => {
    const response = await fetch(`${instance.url}/no_such_page.do`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await response.text();
    expect(text).toContain('Page not found');
    expect(text).not.toContain('Cannot GET');
  });
});

describe('dot-walked fields, through the referenced table’s access rules', () => {
  // Anyone reads tickets; a person only if it is p1 (or as a lead); e-mails are what the tests look for.
  let own: MockInstance;
  beforeAll(async () => {
    own = await startMockInstance({
      data: {
        tables: {
          x_person: { fields: { email: { type: 'string' } } },
          x_ticket: {
            fields: {
              title: { type: 'string' },
              person: { type: 'reference', reference: 'x_person' },
            },
          },
        },
        users: [
          { user_name: 'ann', password: 'demo' },
          { user_name: 'lea', password: 'demo', roles: ['lead'] },
        ],
        records: {
          x_person: [{ email: 'p1@example.com' }, { email: 'p2@example.com' }],
          x_ticket: [
            { title: 't1', person: seededSysId('x_person:0') },
            { title: 't2', person: seededSysId('x_person:1') },
          ],
        },
        acls: [
          { table: 'x_ticket', operation: 'read' },
          { table: 'x_person', operation: 'read', condition: 'email=p1@example.com' },
          { table: 'x_person', operation: 'read', roles: ['lead'] },
        ],
      },
    });
  });
  afterAll(() => own.close());

  async function get(user: string, path: string) {
    const response = await fetch(own.url + path, { headers: { Authorization: basic(user) } });
    expect(response.status).toBe(200);
    return {
      total: response.headers.get('x-total-count'),
      result: (await body(response)).result,
    };
  }

  it('returns an unreadable referenced record’s field empty in sysparm_fields', async () => {
    const path =
      '/api/now/table/x_ticket?sysparm_fields=title,person.email&sysparm_query=ORDERBYtitle';
    expect((await get('ann', path)).result).toEqual([
      { title: 't1', 'person.email': 'p1@example.com' },
      { title: 't2', 'person.email': '' },
    ]);
    expect((await get('lea', path)).result).toEqual([
      { title: 't1', 'person.email': 'p1@example.com' },
      { title: 't2', 'person.email': 'p2@example.com' },
    ]);
    const one = await get(
      'ann',
      `/api/now/table/x_ticket/${seededSysId('x_ticket:1')}?sysparm_fields=person.email&sysparm_display_value=all`,
    );
    expect(one.result).toEqual({ 'person.email': { display_value: '', value: '' } });
  });

  it('matches a condition on it as on an empty value, in sysparm_query and in field=value', async () => {
    const titles = async (user: string, query: string) =>
      (await get(user, `/api/now/table/x_ticket?sysparm_fields=title&${query}`)).result.map(
        (r: { title: string }) => r.title,
      );
    expect(await titles('ann', 'sysparm_query=person.email=p2@example.com')).toEqual([]);
    expect(await titles('ann', 'person.email=p2@example.com')).toEqual([]);
    expect(await titles('ann', 'sysparm_query=person.emailENDSWITHexample.com')).toEqual(['t1']);
    expect(await titles('ann', 'sysparm_query=person.emailISEMPTY')).toEqual(['t2']);
    expect(await titles('lea', 'sysparm_query=person.email=p2@example.com')).toEqual(['t2']);
    const { total } = await get(
      'ann',
      '/api/now/table/x_ticket?sysparm_query=person.emailSTARTSWITHp2&sysparm_limit=1',
    );
    expect(total).toBe('0');
  });

  it('groups by it as the caller reads it in the Aggregate API', async () => {
    const groups = async (user: string) =>
      (
        await get(user, '/api/now/stats/x_ticket?sysparm_count=true&sysparm_group_by=person.email')
      ).result.map((g: { groupby_fields: { value: string }[] }) => g.groupby_fields[0].value);
    expect(await groups('ann')).toEqual(['p1@example.com', '']);
    expect(await groups('lea')).toEqual(['p1@example.com', 'p2@example.com']);
  });
});
