import { seededSysId } from './seed';
import { MockInstance, startMockInstance } from './server';

const BASIC = `Basic ${Buffer.from('abel.tuter:demo').toString('base64')}`;
const ABEL = seededSysId('sys_user:abel.tuter');
let instance: MockInstance;

beforeAll(async () => {
  instance = await startMockInstance({ dev: true, bodyLimit: '10kb' });
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
    expect(Object.keys(l)).toEqual(['first', 'next', 'last']);
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

describe('Table API: writing', () => {
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
