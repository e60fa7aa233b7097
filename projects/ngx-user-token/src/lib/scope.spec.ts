import { provideUserToken, withUserTokenOptions } from 'ngx-user-token';

import { setUp } from '../../test/harness';

// The page runs at https://instance.example.com/x_demo/index.html (jest.config.cjs).
const SCOPE_TABLE: readonly [url: string, getsToken: boolean][] = [
  // The page's own origin, however written.
  ['/api/now/table/incident', true],
  ['api/now/table/incident', true],
  ['../api/now/table/incident', true],
  ['/x_demo/../api/now/table/incident', true],
  ['?sysparm_limit=1', true],
  ['', true],
  ['https://instance.example.com/api/now/table/incident', true],
  ['HTTPS://INSTANCE.EXAMPLE.COM/api/now/table/incident', true],
  ['https://instance.example.com:443/api/now/table/incident', true],
  ['  /api/now/table/incident  ', true],
  ['\t/api/now/\ntable/incident', true],
  ['https://instance%2Eexample.com/api', true],
  ['https://instance.example.com/%2e%2e/api', true],
  ['https://Instance.Example.Com/api', true],
  ['hTTps://instance.example.com/api', true],
  ['https://%69nstance.example.com/api', true],
  ['//instance.example.com/api', true],
  ['https:evil.test/api', true], // same scheme without slashes: a relative path on the page's host
  ['https://instance.example.com\t/api', true],
  ['https://instance.example.com?@evil.test', true],
  ['https://instance.example.com:0443/api', true],
  ['https://instance.example.com:/api', true],
  ['/%2F%2Fevil.test/api', true], // encoded slashes stay in the path
  [' ', true],
  ['#fragment', true],
  ['.', true],
  // Other origins: foreign, look-alike, other port or scheme.
  ['https://evil.test/api/now/table/incident', false],
  ['//evil.test/api/now/table/incident', false],
  [' //evil.test/api', false],
  ['\t//evil.test/api', false],
  ['https://instance.example.com.evil.test/api', false],
  ['https://instance.example.com@evil.test/api', false],
  ['https://instance.example.com\n.evil.test/api', false],
  ['https://evil.test#@instance.example.com/api', false],
  ['https://evil.test\\@instance.example.com/api', false],
  ['https://instance.example.com./api', false],
  ['https://sub.instance.example.com/api', false],
  ['https://example.com/api', false],
  ['https://ínstance.example.com/api', false],
  ['http://instance.example.com/api', false],
  ['https://instance.example.com:8443/api', false],
  ['http://instance.example.com:443/api', false],
  ['https://instance.example.com:444/api', false],
  ['http://instance.example.com:80/api', false],
  ['HTTP://INSTANCE.EXAMPLE.COM/api', false],
  ['https://instance.exämple.com/api', false],
  ['https://xn--instance-9za.example.com/api', false],
  ['https://evil%2Etest/api', false],
  ['https://instance.example.com%2eevil.test/api', false],
  ['https://instance.example.com%40evil.test/', false],
  ['https://user@instance.example.com@evil.test/', false],
  ['https://evil.test?instance.example.com', false],
  ['///evil.test/api', false],
  ['http:evil.test/api', false],
  ['https://127.0.0.1/api', false],
  ['https://0x7f.0.0.1/api', false],
  ['https://[::1]:443/api', false],
  ['ftp://instance.example.com/api', false],
  ['chrome://settings', false],
  ['mailto:x@instance.example.com', false],
  ['wss://instance.example.com/api', false],
  ['ws://instance.example.com/api', false],
  // Backslashes count as slashes for http(s), as in the browser.
  ['/\\evil.test/api', false],
  ['\\\\evil.test/api', false],
  ['https:\\\\evil.test/api', false],
  // Credentials in the URL, even for the page's host.
  ['https://user:secret@instance.example.com/api', false],
  ['https://user@instance.example.com/api', false],
  // Schemes that are not HTTP.
  ['data:text/plain,hello', false],
  ['blob:https://instance.example.com/5b1c0c3e-1b5e-4c9e-9d1a-9a8b7c6d5e4f', false],
  ['javascript:alert(1)', false],
  ['file:///etc/passwd', false],
  ['about:blank', false],
  // Unparsable.
  ['https://', false],
  ['http://%zz/', false],
  ['https://[::1/api', false],
];

describe('which requests get the token', () => {
  it.each(SCOPE_TABLE)('%j → %s', (url, getsToken) => {
    const { http, httpTesting } = setUp({ token: 'token-1' });
    http.get(url).subscribe({ error: () => undefined });
    const [request] = httpTesting.match(() => true);
    expect(request.request.headers.get('X-UserToken')).toBe(getsToken ? 'token-1' : null);
  });

  it('has at least 60 cases, both ways', () => {
    expect(SCOPE_TABLE.length).toBeGreaterThanOrEqual(60);
    expect(SCOPE_TABLE.filter(([, t]) => t).length).toBeGreaterThan(5);
    expect(SCOPE_TABLE.filter(([, t]) => !t).length).toBeGreaterThan(20);
  });

  it('sends the token to an allowed origin and to nothing near it', () => {
    const { http, httpTesting } = setUp({
      token: 'token-1',
      allowedOrigins: ['https://API.example.com:8443/'],
    });
    const urls = [
      'https://api.example.com:8443/api',
      'https://api.example.com/api',
      'https://api.example.com:8443.evil.test/api',
      'http://api.example.com:8443/api',
    ];
    urls.forEach((url) => http.get(url).subscribe());
    const headers = urls.map((url) =>
      httpTesting.expectOne(url).request.headers.get('X-UserToken'),
    );
    expect(headers).toEqual(['token-1', null, null, null]);
  });

  it('resolves relative URLs against the document base URL, as the browser does', () => {
    const base = document.createElement('base');
    base.href = 'https://other.example.net/app/';
    document.head.appendChild(base);
    try {
      const { http, httpTesting } = setUp({ token: 'token-1' });
      http.get('api/now/table/incident').subscribe();
      const request = httpTesting.expectOne('api/now/table/incident');
      expect(request.request.headers.has('X-UserToken')).toBe(false);
    } finally {
      base.remove();
    }
  });

  it('rejects allowedOrigins that are not plain origins, naming the option', () => {
    for (const bad of [
      '*.example.com',
      'https://api.example.com/path',
      'ftp://api.example.com',
      'api.example.com',
    ]) {
      expect(() => provideUserToken(withUserTokenOptions({ allowedOrigins: [bad] }))).toThrow(
        /option "allowedOrigins"/,
      );
    }
  });
});
