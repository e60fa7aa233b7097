import {
  browserHeaders,
  forwardedHeaders,
  mayReplay,
  refusalOf,
  rewriteLocation,
  rewriteSetCookie,
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

  it('keep cookies on localhost: no Domain, no Secure, no SameSite=None', () => {
    expect(
      rewriteSetCookie(
        'JSESSIONID=ABC; Path=/; Domain=dev12345.service-now.com; Secure; HttpOnly; SameSite=None',
      ),
    ).toBe('JSESSIONID=ABC; Path=/; HttpOnly; SameSite=Lax');
    expect(rewriteSetCookie('')).toBeNull();
  });

  it('drop the Basic challenge and rewrite the rest', () => {
    expect(
      browserHeaders(
        {
          'www-authenticate': 'BASIC realm="Service-now"',
          location: 'https://dev12345.service-now.com/x.do',
          'set-cookie': ['a=1; Domain=dev12345.service-now.com; Secure'],
          'content-type': 'application/json',
        },
        instance,
      ),
    ).toEqual({
      location: '/x.do',
      'set-cookie': ['a=1'],
      'content-type': 'application/json',
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
