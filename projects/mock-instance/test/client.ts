// A minimal browser stand-in for tests: fetch with a cookie jar for the session cookie.
export interface Client {
  /** fetch relative to the instance, sending and storing cookies, never following redirects. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Logs in through the login form; resolves to the session token the page would get. */
  logIn(userName?: string, password?: string): Promise<string>;
  /** The session token, from the token page. */
  token(): Promise<string>;
  /** The `Cookie` header this client would send (for a WebSocket upgrade). */
  cookie(): string;
}

export function client(baseUrl: string): Client {
  const cookies = new Map<string, string>();
  const api: Client = {
    async fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      if (cookies.size > 0) {
        headers.set('Cookie', api.cookie());
      }
      const response = await fetch(new URL(path, baseUrl), {
        ...init,
        headers,
        redirect: 'manual',
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const [name, value] = pair.split('=');
        if (value === '' || /Expires=Thu, 01 Jan 1970/i.test(line)) {
          cookies.delete(name);
        } else {
          cookies.set(name, value);
        }
      }
      return response;
    },
    async logIn(userName = 'abel.tuter', password = 'demo') {
      const response = await api.fetch('/login.do', {
        method: 'POST',
        body: new URLSearchParams({ user_name: userName, user_password: password }),
      });
      if (response.status !== 302) {
        throw new Error(`login failed: ${response.status}`);
      }
      return api.token();
    },
    cookie() {
      return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    async token() {
      const response = await api.fetch('/user_token.do');
      if (response.status !== 200) {
        throw new Error(`no token: ${response.status}`);
      }
      return response.text();
    },
  };
  return api;
}
