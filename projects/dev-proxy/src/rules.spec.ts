import {
  browserHeaders,
  changesSession,
  forwardedHeaders,
  mayReplay,
  refusalOf,
  rewriteLocation,
} from './rules';

const instance = new URL('https://dev12345.service-now.com');
const session = { instance, cookie: 'JSESSIONID=PROXY; glide_user_route=x', token: 'proxy-token' };

describe('forwarded requests', () => {
  it("replace the browser's cookies and token with the proxy's session", () => {
    const set = forwardedHeaders(
      {
        cookie: 'JSESSIONID=BROWSER',
        'x-usertoken': 'token_intentionally_left_blank',
        origin: 'http://localhost:4200',
        referer: 'http://localhost:4200/incidents?page=2',
        accept: 'application/json',
      },
      { ...session, authorization: null },
    );
    expect(set).toEqual({
      cookie: 'JSESSIONID=PROXY; glide_user_route=x',
      'x-usertoken': 'proxy-token',
      origin: 'https://dev12345.service-now.com',
      referer: 'https://dev12345.service-now.com/incidents?page=2',
    });
  });

  it('carry a bearer token and no session token in bearer mode', () => {
    const set = forwardedHeaders(
      { cookie: 'a=b', 'x-usertoken': 'x' },
      { instance, cookie: '', token: null, authorization: 'Bearer abc' },
    );
    expect(set).toEqual({ cookie: null, 'x-usertoken': null, authorization: 'Bearer abc' });
  });
});

describe('answers for the browser on localhost', () => {
  it.each([
    ['https://dev12345.service-now.com/login.do?sysparm_goto=%2F', '/login.do?sysparm_goto=%2F'],
    ['/navpage.do', '/navpage.do'],
    ['https://idp.example.com/sso?x=1', 'https://idp.example.com/sso?x=1'],
  ])('redirect %s → %s', (location, expected) => {
    expect(rewriteLocation(location, instance)).toBe(expected);
  });

  it.each([
    ['https://dev12345.service-now.com//evil.example/x', '/evil.example/x'],
    ['https://dev12345.service-now.com/%2F/evil.example/x', '/%2F/evil.example/x'],
    ['//dev12345.service-now.com//evil.example', '/evil.example'],
    ['https://dev12345.service-now.com/\\evil.example/x', '/evil.example/x'],
  ])('never a path another host could be read from: %s → %s', (location, expected) => {
    const rewritten = rewriteLocation(location, instance);
    expect(rewritten).toBe(expected);
    // What a browser on localhost makes of it: still localhost.
    expect(new URL(rewritten, 'http://localhost:4200/').host).toBe('localhost:4200');
  });

  it("drop the instance's cookies, its CORS headers and the Basic challenge; rewrite the rest", () => {
    expect(
      browserHeaders(
        {
          'www-authenticate': 'BASIC realm="Service-now"',
          location: 'https://dev12345.service-now.com/x.do',
          'set-cookie': ['JSESSIONID=ABC; Domain=dev12345.service-now.com; Secure'],
          'access-control-allow-origin': 'http://evil.example',
          'access-control-allow-credentials': 'true',
          'access-control-expose-headers': 'X-UserToken-Response',
          'content-type': 'application/json',
        },
        instance,
      ),
    ).toEqual({
      location: '/x.do',
      'content-type': 'application/json',
    });
  });
});

describe('the session is the proxy’s', () => {
  const q = (query = '') => new URLSearchParams(query);
  it.each<[string, string, string]>([
    ['POST', '/login.do', ''],
    ['GET', '/login.do', 'sysparm_goto=%2F'],
    ['GET', '/logout.do', ''],
    ['GET', '/LOGOUT.DO', ''],
    ['POST', '/angular.do', 'sysparm_type=view_form.login'],
    ['GET', '/login_with_sso.do', 'glide_sso_id=abc'],
    ['GET', '/login_locate_sso.do', ''],
    ['POST', '/navpage.do', ''],
    ['POST', '/consumer.do', ''],
  ])('%s %s?%s logs in or out: not forwarded', (method, path, query) => {
    expect(changesSession(method, path, q(query))).toBe(true);
  });

  it.each<[string, string, string]>([
    ['POST', '/angular.do', 'sysparm_type=get_user'],
    ['GET', '/navpage.do', ''],
    ['GET', '/api/now/table/incident', ''],
    ['GET', '/x_demo_login.do', ''],
  ])('%s %s?%s is forwarded', (method, path, query) => {
    expect(changesSession(method, path, q(query))).toBe(false);
  });
});

describe('refusals', () => {
  const api = '/api/now/table/incident';
  it.each<[string, number, Record<string, string>, string, string | null]>([
    ['a rotated token', 401, { 'x-usertoken-response': 'new' }, api, 'new-token'],
    [
      'a stale token the 401 does not name',
      401,
      { 'x-sessionloggedin': 'true' },
      api,
      'token-unknown',
    ],
    ['an ended session', 401, { 'x-sessionloggedin': 'false' }, api, 'session-ended'],
    ['an older instance saying the same', 401, { 'x-is-logged-in': 'false' }, api, 'session-ended'],
    ['an SSO redirect', 302, { location: 'https://idp.example.com/sso' }, api, 'session-ended'],
    ['an SSO login page', 200, { 'content-type': 'text/html;charset=UTF-8' }, api, 'session-ended'],
    ['a JSON answer', 200, { 'content-type': 'application/json' }, api, null],
    ['a page the browser navigates to', 302, { location: '/login.do' }, '/nav_to.do', null],
  ])('%s', (_name, status, headers, path, kind) => {
    expect(refusalOf(status, headers, path, 'old')?.kind ?? null).toBe(kind);
  });

  it('does not take the token it sent for a new one', () => {
    expect(refusalOf(401, { 'x-usertoken-response': 'old' }, api, 'old')).toEqual({
      kind: 'token-unknown',
    });
  });

  it('replays a write only when the instance proves it did not run it', () => {
    expect(mayReplay('GET', 401, {}, '')).toBe(true);
    expect(mayReplay('POST', 401, { 'x-usertoken-response': 't' }, '')).toBe(true);
    expect(mayReplay('PATCH', 401, {}, '{"error":{"message":"User Not Authenticated"}}')).toBe(
      true,
    );
    expect(mayReplay('DELETE', 401, {}, '{"error":{"message":"Session timed out"}}')).toBe(false);
    expect(mayReplay('POST', 302, {}, '')).toBe(true); // a login redirect: the API never ran it
  });
});
