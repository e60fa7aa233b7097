// jsdom, plus what jsdom lacks and a browser has: fetch that keeps the instance's session cookie.
// The page's URL can be moved to the mock instance's origin once its port is known.
const { TestEnvironment } = require('jest-environment-jsdom');

class BrowserLikeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const cookies = new Map();
    const nodeFetch = globalThis.fetch;
    const g = this.global;
    for (const name of [
      'Headers',
      'Request',
      'Response',
      'ReadableStream',
      'AbortController',
      'AbortSignal',
      'TextDecoder',
      'TextEncoder',
      'DOMException',
      // Not a browser's, but the mock instance runs in this process too, and Express's router
      // breaks long synchronous chains of handlers with them.
      'setImmediate',
      'clearImmediate',
    ]) {
      g[name] = globalThis[name];
    }
    g.fetch = async (input, init = {}) => {
      const url = new URL(
        input instanceof globalThis.Request ? input.url : String(input),
        g.document.baseURI,
      );
      const headers = new globalThis.Headers(init.headers);
      const jar = cookies.get(url.origin);
      if (jar && jar.size > 0 && init.credentials !== 'omit') {
        headers.set('Cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      }
      const response = await nodeFetch(url, { ...init, headers });
      for (const line of response.headers.getSetCookie()) {
        const [name, value] = line.split(';')[0].split('=');
        if (!cookies.has(url.origin)) cookies.set(url.origin, new Map());
        cookies.get(url.origin).set(name, value);
      }
      return response;
    };
    g.__setPageUrl = (url) => this.dom.reconfigure({ url });
  }
}

module.exports = BrowserLikeEnvironment;
