import { provideUserToken } from 'ngx-user-token';

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

  it('has at least 25 cases, both ways', () => {
    expect(SCOPE_TABLE.length).toBeGreaterThanOrEqual(25);
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
    const headers = urls.map(
      (url) => httpTesting.expectOne(url).request.headers.get('X-UserToken'),
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
    for (const bad of ['*.example.com', 'https://api.example.com/path', 'ftp://api.example.com', 'api.example.com']) {
      expect(() => provideUserToken({ allowedOrigins: [bad] })).toThrow(/option "allowedOrigins"/);
    }
  });
});
