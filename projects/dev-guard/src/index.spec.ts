import { hostnameOf, isLoopbackAddress, requestGuard } from './index';

describe('the Host check', () => {
  const guard = requestGuard({ allowedHosts: ['dev.example.com', '.corp.example'] });

  it.each([
    'localhost',
    'localhost:4200',
    'LOCALHOST:4200',
    'localhost.:4200',
    'app.localhost:4300',
    '127.0.0.1',
    '127.0.0.1:4300',
    '[::1]:4300',
    '[0:0:0:0:0:0:0:1]:4300',
    'dev.example.com:8080',
    'corp.example',
    'a.b.corp.example:1',
  ])('lets %s in', (host) => {
    expect(guard.host(host)).toBeNull();
  });

  it.each<[string, string | undefined]>([
    ['a DNS-rebinding name', 'attacker.example:4300'],
    ['a look-alike', 'localhost.attacker.example'],
    ['a suffix that is not a subdomain', 'evilcorp.example'],
    ['a name only its subdomain is allowed for', 'dev.example.com.attacker.example'],
    ['another loopback-looking IP', '127.0.0.2:4300'],
    ['a private address', '192.168.1.10:4300'],
    ['any address', '0.0.0.0:4300'],
    ['userinfo', 'localhost@attacker.example'],
    ['a path', 'localhost/attacker'],
    ['a backslash', 'localhost\\attacker.example'],
    ['a space', 'localhost attacker.example'],
    ['two hosts', 'localhost,attacker.example'],
    ['an empty Host', ''],
    ['no Host at all', undefined],
  ])('refuses %s (%s), naming the flag', (_what, host) => {
    const refusal = guard.host(host);
    expect(refusal?.check).toBe('host');
    expect(refusal?.message).toMatch(/--allowed-hosts/);
  });

  it('reads a Host header as a browser sends it', () => {
    expect(hostnameOf('Dev.Example.COM:443')).toBe('dev.example.com');
    expect(hostnameOf('[::1]:80')).toBe('[::1]');
    expect(hostnameOf('127.1:80')).toBe('127.0.0.1');
    expect(hostnameOf('a@b')).toBeNull();
  });

  it.each(['dev.example.com:8080', 'https://dev.example.com', 'a b', '', '.'])(
    'throws on the allowed host "%s", naming it',
    (entry) => {
      expect(() => requestGuard({ allowedHosts: [entry] })).toThrow(entry);
    },
  );
});

describe('the cross-site check', () => {
  const guard = requestGuard({ allowedOrigins: ['https://portal.example.com'] });

  it.each<[string, Record<string, string>]>([
    ['a tool that sends no Origin and no Fetch Metadata', {}],
    ['a page on localhost', { origin: 'http://localhost:4200', 'sec-fetch-site': 'same-origin' }],
    [
      'ng serve on another loopback port',
      { origin: 'http://127.0.0.1:4200', 'sec-fetch-site': 'same-site' },
    ],
    ['IPv6 loopback', { origin: 'http://[::1]:4200' }],
    ['a typed URL', { 'sec-fetch-site': 'none' }],
    ['a loopback Referer without Fetch Metadata', { referer: 'http://localhost:4200/app' }],
    [
      'an origin the developer named, cross-site by nature',
      { origin: 'https://portal.example.com', 'sec-fetch-site': 'cross-site' },
    ],
  ])('lets in %s', (_what, headers) => {
    expect(guard.caller(headers)).toBeNull();
  });

  it.each<[string, Record<string, string>]>([
    ['a foreign Origin', { origin: 'http://evil.example' }],
    ['a foreign Origin on a loopback port', { origin: 'http://evil.example:4200' }],
    ['a look-alike Origin', { origin: 'http://localhost.evil.example' }],
    ['the opaque origin', { origin: 'null' }],
    ['a non-http Origin', { origin: 'chrome-extension://abc' }],
    ['a malformed Origin', { origin: 'not a url' }],
    ['another port of a named origin', { origin: 'https://portal.example.com:8443' }],
    ['a no-cors request marked cross-site', { 'sec-fetch-site': 'cross-site' }],
    [
      'a loopback Origin the browser marks cross-site (localhost against 127.0.0.1)',
      { origin: 'http://localhost:4200', 'sec-fetch-site': 'cross-site' },
    ],
    [
      'a foreign Referer from a browser without Fetch Metadata',
      { referer: 'http://evil.example/x' },
    ],
  ])('refuses %s', (_what, headers) => {
    const refusal = guard.caller(headers);
    expect(refusal?.check).toBe('origin');
    expect(refusal?.message).toMatch(/refused a cross-site request .*--allowed-origins/);
  });

  it('ignores Referer when the browser sent Fetch Metadata', () => {
    expect(
      guard.caller({ referer: 'https://portal.example.com/x', 'sec-fetch-site': 'same-origin' }),
    ).toBeNull();
  });

  it.each(['portal.example.com', 'https://portal.example.com/app', 'ftp://x.example', '*'])(
    'throws on the allowed origin "%s", naming it',
    (entry) => {
      expect(() => requestGuard({ allowedOrigins: [entry] })).toThrow(entry);
    },
  );
});

describe('listening addresses', () => {
  it.each(['127.0.0.1', '127.0.0.2', '::1', 'localhost', 'app.localhost'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackAddress(host)).toBe(true);
    },
  );

  it.each(['0.0.0.0', '::', '192.168.1.10', '127.0.0.1.example.com', '1127.0.0.1', 'example.com'])(
    '%s is not: a tool listening there needs --allow-remote',
    (host) => {
      expect(isLoopbackAddress(host)).toBe(false);
    },
  );
});
