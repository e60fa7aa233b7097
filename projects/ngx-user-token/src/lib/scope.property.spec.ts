import * as fc from 'fast-check';

import { setUp } from '../../test/harness';

const PAGE_BASE = 'https://instance.example.com/x_demo/index.html';
const ALLOWED = ['https://instance.example.com', 'https://api.example.com:8443'];

/**
 * Where a request to `url` really goes, by the URL standard the browser follows: the oracle the
 * interceptor must agree with.
 */
function destination(url: string): string | null {
  try {
    const parsed = new URL(url, PAGE_BASE);
    const http = parsed.protocol === 'https:' || parsed.protocol === 'http:';
    return http && !parsed.username && !parsed.password ? parsed.origin : null;
  } catch {
    return null;
  }
}

const hostileUrl = fc
  .tuple(
    fc.constantFrom('', ' ', '\t', '\n', '//', '/', '\\\\', '/\\', '///'),
    fc.constantFrom(
      '',
      'https:',
      'http:',
      'HTTPS:',
      'ws:',
      'data:',
      'javascript:',
      'blob:https:',
      'file:',
    ),
    fc.constantFrom('', '//', '\\\\', '/', '///'),
    fc.constantFrom('', 'user@', 'user:pw@', 'instance.example.com@', '%40'),
    fc.constantFrom(
      'instance.example.com',
      'INSTANCE.example.com',
      'instance.example.com.',
      'instance.example.com.evil.test',
      'evil.test',
      'api.example.com',
      'ínstance.example.com',
      'instance%2Eexample.com',
      '127.0.0.1',
      '[::1]',
      '',
    ),
    fc.constantFrom('', ':443', ':8443', ':80', ':0', ':99999', ':'),
    fc.constantFrom(
      '',
      '/api/now/table/incident',
      '/../api',
      '?q=1',
      '#x',
      '/a\\b',
      '@evil.test/x',
    ),
    fc.string({ maxLength: 4 }),
  )
  .map((parts) => parts.join(''));

describe('which requests get the token (property)', () => {
  it('sends the header if and only if the parsed origin is the page’s or an allowed one', () => {
    const { http, httpTesting } = setUp({ token: 'token-1', allowedOrigins: [ALLOWED[1]] });
    fc.assert(
      fc.property(hostileUrl, (url) => {
        http.get(url).subscribe({ error: () => undefined });
        const [request] = httpTesting.match(() => true);
        const sent = request.request.headers.get('X-UserToken') === 'token-1';
        request.flush({});
        const origin = destination(url);
        return sent === (origin !== null && ALLOWED.includes(origin));
      }),
      { numRuns: 3000, seed: 20260131 },
    );
  });

  it('agrees with the URL standard on arbitrary strings too', () => {
    const { http, httpTesting } = setUp({ token: 'token-1' });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.webPath()), (url) => {
        http.get(url).subscribe({ error: () => undefined });
        const [request] = httpTesting.match(() => true);
        const sent = request.request.headers.has('X-UserToken');
        request.flush({});
        return sent === (destination(url) === ALLOWED[0]);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
