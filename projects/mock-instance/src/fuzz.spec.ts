// 10,000 malformed requests, from a seeded generator: the mock instance must never crash, never
// answer 5xx for a client's mistake, enforce its body limit, and still serve a valid request.
import * as fc from 'fast-check';

import { MockInstance, startMockInstance } from './server';

const REQUESTS = 10_000;
const CONCURRENCY = 16;
const BODY_LIMIT_BYTES = 16 * 1024;

interface Fuzzed {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

function arbitraryRequest(session: { cookie: string; token: string }): fc.Arbitrary<Fuzzed> {
  const junk = fc.string({ maxLength: 24, unit: 'binary' }).map(encodeURIComponent);
  const rawJunk = fc.constantFrom(
    '%',
    '%zz',
    '%E0%A4%A',
    '..',
    '%2e%2e',
    '%00',
    '//',
    '\\',
    '~',
    ';x=1',
    '*',
  );
  const segment = fc.oneof(
    junk,
    rawJunk,
    fc.constantFrom('incident', 'sys_user', 'Incident', 'sys_db_object', ''),
  );
  const sysId = fc.oneof(fc.stringMatching(/^[0-9a-f]{0,40}$/), junk);
  const path = fc.oneof(
    fc
      .tuple(segment, fc.option(sysId))
      .map(([t, id]) => `/api/now/table/${t}${id === null ? '' : `/${id}`}`),
    fc
      .tuple(fc.constantFrom('v1', 'v2', 'v3', ''), segment, fc.option(sysId))
      .map(([v, t, id]) => `/api/now/${v}${v ? '/' : ''}table/${t}${id === null ? '' : `/${id}`}`),
    fc.tuple(segment, fc.option(junk)).map(([t, g]) => `/api/now/stats/${t}${g ? `/${g}` : ''}`),
    fc
      .tuple(fc.option(sysId), fc.constantFrom('', '/file', '/x'))
      .map(([id, tail]) => `/api/now/attachment${id === null ? '' : `/${id}`}${tail}`),
    fc.tuple(segment, segment).map(([a, b]) => `/api/${a}/${b}`),
    fc.tuple(junk, junk).map(([scope, name]) => `/uxasset/externals/${scope}/${name}.jsdbx`),
    fc.constantFrom(
      '/api',
      '/api/',
      '/login.do',
      '/logout.do',
      '/user_token.do',
      '/',
      '/index.html',
      '/mock/state',
      '/mock/install',
      '/mock/config',
      '/angular.do?sysparm_type=view_form.login',
      '/angular.do?sysparm_type=get_user',
      '/angular.do',
      '/oauth_token.do',
      '/api/now/attachment/file',
      '/x_unknown_page.do',
    ),
    fc.tuple(fc.constantFrom('/mock/', '/', '/api/now/'), junk).map(([a, b]) => a + b),
  );
  const queryValue = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.stringMatching(
      /^[a-z_.]{0,12}(=|!=|LIKE|IN|ISEMPTY|<=|>|BETWEEN|STARTSWITH|NOT IN)[\w@,^ ]{0,12}(\^(OR|NQ)?[a-z_]{0,8}=?[\w]{0,6}){0,4}$/,
    ),
    fc.constantFrom('-1', '1e9', '999999999999', 'NaN', 'true', 'all', '', '0x10', '1.5'),
    fc.constantFrom(
      'opened_at>javascript:gs.daysAgoStart(1)',
      "opened_at>javascript:gs.dateGenerate('2026-01-01','end')",
      'opened_at>javascript:gs.daysAgo(99999999999999999)',
      'opened_atBETWEENjavascript:gs.daysAgo(1)@javascript:gs.nope()',
      'opened_atONToday@javascript:gs.beginningOfToday()@javascript:gs.endOfToday()',
      'caller_id.manager.name=System Administrator',
      'javascript:',
      'x=javascript:gs.getUserID(',
    ),
  );
  const param = fc.tuple(
    fc.constantFrom(
      'sysparm_query',
      'sysparm_limit',
      'sysparm_offset',
      'sysparm_fields',
      'sysparm_display_value',
      'sysparm_exclude_reference_link',
      'sysparm_no_count',
      'sysparm_input_display_value',
      'sysparm_group_by',
      'sysparm_count',
      'sysparm_avg_fields',
      'table_name',
      'table_sys_id',
      'file_name',
      'user_name',
      'state',
      'x',
    ),
    queryValue,
  );
  const query = fc
    .array(param, { maxLength: 6 })
    .map((ps) => (ps.length ? `?${new URLSearchParams(ps)}` : ''));
  const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
  const headers = fc.record(
    {
      accept: fc.oneof(
        headerValue,
        fc.constantFrom(
          'application/json',
          'application/xml',
          'text/html',
          '*/*',
          'image/png',
          ';;;',
          'application/json;q=0',
        ),
      ),
      'content-type': fc.oneof(
        headerValue,
        fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
        ),
      ),
      'x-usertoken': fc.oneof(headerValue, fc.constant(session.token)),
      authorization: fc.oneof(
        headerValue,
        fc.constantFrom(
          `Basic ${btoa('abel.tuter:demo')}`,
          'Basic',
          'Basic !!!',
          `Basic ${btoa('nobody:x')}`,
          'Bearer abc',
        ),
      ),
      cookie: fc.oneof(headerValue, fc.constant(session.cookie), fc.constant('JSESSIONID=%zz; a')),
    },
    { requiredKeys: [] },
  );
  const body = fc.option(
    fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc.constantFrom(
        '{"short_description":',
        '[]',
        'null',
        '{"state":{"$gt":1}}',
        'x'.repeat(BODY_LIMIT_BYTES + 10),
      ),
    ),
    { nil: undefined },
  );
  return fc
    .record({
      method: fc.constantFrom(
        'GET',
        'POST',
        'PUT',
        'PATCH',
        'DELETE',
        'HEAD',
        'OPTIONS',
        'PROPFIND',
      ),
      path: fc.tuple(path, query).map(([p, q]) => p + q),
      headers,
      body,
    })
    .map((r) => ({ ...r, body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body }));
}

let instance: MockInstance;

beforeAll(async () => {
  instance = await startMockInstance({ dev: true, bodyLimit: `${BODY_LIMIT_BYTES}b` });
});
afterAll(() => instance.close());

it('survives 10,000 malformed requests: no crash, no 5xx, body limit enforced, still serving', async () => {
  const login = await fetch(`${instance.url}/login.do`, {
    method: 'POST',
    body: new URLSearchParams({ user_name: 'abel.tuter', user_password: 'demo' }),
    redirect: 'manual',
  });
  const cookie = login.headers.getSetCookie()[0].split(';')[0];
  const token = await (
    await fetch(`${instance.url}/user_token.do`, { headers: { cookie } })
  ).text();
  const requests = fc.sample(arbitraryRequest({ cookie, token }), { numRuns: REQUESTS, seed: 42 });

  const statuses = new Map<number, number>();
  const serverErrors: string[] = [];
  let oversizedAccepted = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const r = requests[next++];
      const response = await fetch(instance.url + r.path, {
        method: r.method,
        headers: r.headers,
        body: r.body,
        redirect: 'manual',
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500) {
        serverErrors.push(`${r.method} ${r.path} → ${response.status}`);
      }
      if (r.body && r.body.length > BODY_LIMIT_BYTES && response.status < 400) {
        oversizedAccepted++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  expect(serverErrors).toEqual([]);
  expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
  expect(oversizedAccepted).toBe(0);
  expect(statuses.get(413)).toBeGreaterThan(0);
  expect(statuses.get(401)).toBeGreaterThan(0);
  expect(statuses.get(200)).toBeGreaterThan(0);

  const after = await fetch(`${instance.url}/api/now/table/incident?sysparm_limit=1`, {
    headers: { Authorization: `Basic ${btoa('abel.tuter:demo')}` },
  });
  expect(after.status).toBe(200);
  expect((await after.json()).result).toHaveLength(1);
}, 120_000);
