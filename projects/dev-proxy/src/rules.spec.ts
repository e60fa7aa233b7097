import {
  browserHeaders,
  changesSession,
  forwardedHeaders,
  mayReplay,
  refusalOf,
  requestPath,
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
  /** What the proxy does with a request target, as the server decides it. */
  const fate = (method: string, target: string) => {
    const path = requestPath(target);
    if (path.kind === 'ambiguous') {
      return 'refused';
    }
    const query = new URL(target, 'http://127.0.0.1').searchParams;
    return changesSession(method, path.path, query) ? 'session page' : 'forwarded';
  };

  it.each<[string, string]>([
    ['POST', '/login.do'],
    ['GET', '/login.do?sysparm_goto=%2F'],
    ['GET', '/logout.do'],
    ['GET', '/LOGOUT.DO'],
    ['POST', '/angular.do?sysparm_type=view_form.login'],
    ['GET', '/login_with_sso.do?glide_sso_id=abc'],
    ['GET', '/login_locate_sso.do'],
    ['POST', '/navpage.do'],
    ['POST', '/consumer.do'],
  ])('%s %s logs in or out: not forwarded', (method, target) => {
    expect(fate(method, target)).toBe('session page');
  });

  it.each<[string, string, string]>([
    ['a trailing slash', 'GET', '/logout.do/'],
    ['a trailing slash on a login', 'POST', '/login.do/'],
    ['trailing slashes', 'GET', '/logout.do///'],
    ['a path parameter', 'POST', '/login.do;jsessionid=x'],
    ['a path parameter and a slash', 'GET', '/logout.do;x=1/'],
    ['a path parameter on a dot segment', 'GET', '/x/..;/logout.do'],
    ['a percent-encoded letter', 'POST', '/%6Cogin.do'],
    ['a percent-encoded dot', 'GET', '/logout%2Edo'],
    ['lower-case escapes', 'GET', '/%6c%6f%67%6f%75%74.do'],
    ['an encoded semicolon', 'POST', '/login.do%3Bx'],
    ['repeated slashes', 'GET', '//logout.do'],
    ['repeated slashes inside', 'GET', '/a//..//logout.do'],
    ['a backslash', 'GET', '/\\logout.do'],
    ['a backslash as a separator', 'GET', '/x\\..\\logout.do'],
    ['a dot segment', 'GET', '/./logout.do'],
    ['a parent segment', 'POST', '/api/../login.do'],
    ['encoded dot segments', 'POST', '/api/%2e%2E/login.do'],
    ['a parent segment above the root', 'GET', '/../logout.do'],
    ['mixed case', 'GET', '/LogOut.Do'],
    ['mixed case and a slash', 'POST', '/Login.DO/'],
    ['path info after the page', 'GET', '/logout.do/anything'],
    ['a dotless ı that upper-cases to I', 'POST', '/log%C4%B1n.do'],
    ['a long s (ſ) that upper-cases to S', 'GET', '/login_locate_%C5%BFso.do'],
    ['a fullwidth letter', 'GET', '/%EF%BD%8Cogout.do'],
    ['an accented letter', 'GET', '/logo%C3%BCt.do'],
    ['a POST to navpage with a slash', 'POST', '/NAVPAGE.do/'],
    ['the CLI login with a slash', 'POST', '/angular.do/?sysparm_type=view_form.login'],
    ['the CLI login in capitals', 'POST', '/angular.do?sysparm_type=VIEW_FORM.LOGIN'],
    [
      'the CLI login as the second sysparm_type',
      'POST',
      '/angular.do?sysparm_type=get_user&sysparm_type=view_form.login',
    ],
  ])('%s (%s %s) is still the session page', (_form, method, target) => {
    expect(fate(method, target)).toBe('session page');
  });

  it.each<[string, string]>([
    ['a malformed escape', '/%6Xogin.do'],
    ['a truncated escape', '/login.do%2'],
    ['a lone percent sign', '/login%.do'],
    ['an encoded slash', '/x%2F..%2Flogout.do'],
    ['an encoded slash in lower case', '/api%2fnow/table/incident'],
    ['an encoded backslash', '/x%5C..%5Clogout.do'],
    ['an encoded NUL', '/logout.do%00'],
    ['an encoded line feed', '/logout.do%0A'],
    ['a double-encoded letter', '/%256Cogin.do'],
    ['escapes that are not UTF-8', '/log%FFout.do'],
    ['a fullwidth slash', '/x%EF%BC%8F..%EF%BC%8Flogout.do'],
    ['a two-dot leader', '/logout.do/%E2%80%A5'],
    ['a fragment', '/logout.do#x'],
    ['a raw space', '/logout.do x'],
    ['a raw non-ASCII character', '/logout.do\u00e9'],
    ['not a path', 'logout.do'],
  ])('%s (%s) cannot be read unambiguously: refused', (_form, target) => {
    expect(fate('GET', target)).toBe('refused');
  });

  it('names why it refuses', () => {
    expect(requestPath('/%2Flogout.do')).toEqual({
      kind: 'ambiguous',
      reason: 'an encoded slash (%2F)',
    });
    expect(requestPath('/%zzlogin.do')).toEqual({
      kind: 'ambiguous',
      reason: 'a malformed percent-escape (%zz)',
    });
  });

  it.each<[string, string]>([
    ['POST', '/angular.do?sysparm_type=get_user'],
    ['GET', '/navpage.do'],
    ['GET', '/navpage.do/'],
    ['GET', '/api/now/table/incident?sysparm_query=short_description%3D%2Flogout.do'],
    ['GET', '/api/now/table/incident/0123456789abcdef0123456789abcdef'],
    ['GET', '/x_demo_login.do'],
    ['GET', '/login.do.bak'],
    ['GET', '/logout.do/../incident_list.do'],
    ['GET', '/api/now/table/sys_user?sysparm_query=name%3D%C3%A9'],
    ['GET', '/uxasset/externals/x_demo/caf%C3%A9.jsdbx'],
  ])('%s %s is forwarded', (method, target) => {
    expect(fate(method, target)).toBe('forwarded');
  });

  it('reads the path as the instance does: decoded, without parameters, folded', () => {
    expect(requestPath('/API//now/./table/%69ncident;x=1/?sysparm_limit=1')).toEqual({
      kind: 'path',
      path: '/api/now/table/incident',
    });
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
