/**
 * The proxy's own session on the instance, in one of three modes:
 * - `password`: a UI session logged in the way ServiceNow's own CLI logs in
 *   (`POST /angular.do?sysparm_type=view_form.login`), its token read from the 401 that
 *   `POST /angular.do?sysparm_type=get_user` answers without one (`X-UserToken-Response`);
 *   logged in again when the session ends;
 * - `cookie`: a browser session the user exported (a logged-in tab's `Cookie` header), for SSO and
 *   MFA users; its token found the same way; when it ends, the user must export a fresh one;
 * - `bearer`: an OAuth access token; an integration session, which needs no session token.
 * Cookies live in a `tough-cookie` jar, as in ServiceNow's CLI.
 */
import { CookieJar } from 'tough-cookie';

export type Credentials =
  | { readonly mode: 'password'; readonly user: string; readonly password: string }
  | { readonly mode: 'cookie'; readonly cookie: string }
  | { readonly mode: 'bearer'; readonly token: string };

/** Why the proxy could not get a session: said to the user, then the proxy exits non-zero. */
export class LoginError extends Error {
  constructor(
    readonly reason:
      | 'unreachable'
      | 'instance-not-found'
      | 'wrong-password'
      | 'mfa-required'
      | 'session-ended'
      | 'failed',
    message: string,
  ) {
    super(message);
  }
}

export class InstanceSession {
  private jar = new CookieJar();
  private currentToken: string | null = null;
  private relogin: Promise<void> | null = null;
  private currentUser: string | null = null;
  /** How many times the session was started (1 after the first login). */
  logins = 0;

  constructor(
    readonly instance: URL,
    private readonly credentials: Credentials,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  get mode(): Credentials['mode'] {
    return this.credentials.mode;
  }

  /** The session token sent as `X-UserToken` (null in bearer mode). */
  get token(): string | null {
    return this.currentToken;
  }

  /**
   * The user name behind the session, as the instance last said it (after each login), or null
   * when it would not say.
   */
  get user(): string | null {
    return this.currentUser;
  }

  /** `Cookie` for a request to `url` on the instance ('' when none). */
  cookieFor(url: string): string {
    return this.jar.getCookieStringSync(url);
  }

  /** `Authorization` for every request, in bearer mode. */
  get authorization(): string | null {
    return this.credentials.mode === 'bearer' ? `Bearer ${this.credentials.token}` : null;
  }

  /**
   * Keeps the cookies an answer of the instance sets, for the proxy's own requests only: what the
   * instance answers a browser's request never changes the session (a cross-site login, or a
   * Basic-authenticated call, would otherwise switch it to another user).
   */
  private storeCookies(setCookie: readonly string[], url: string): void {
    for (const line of setCookie) {
      try {
        this.jar.setCookieSync(line, url, { ignoreError: true });
      } catch {
        // a cookie the jar refuses is one the instance would not get back from a browser either
      }
    }
  }

  /** Adopts a token the instance named (a 401's `X-UserToken-Response`). */
  adopt(token: string): void {
    this.currentToken = token;
  }

  /**
   * Gets the session (and its token) for the first time, then asks who it is; throws a
   * {@link LoginError}.
   */
  async start(): Promise<void> {
    switch (this.credentials.mode) {
      case 'bearer':
        break;
      case 'cookie':
        this.storeCookies(cookiesOf(this.credentials.cookie), this.instance.href);
        await this.findToken();
        break;
      case 'password':
        await this.logIn(this.credentials.user, this.credentials.password);
    }
    this.logins++;
    this.currentUser = await this.whoIsIt();
  }

  /**
   * The user name of the session, from the Table API (`sys_user` where `sys_id` is
   * `javascript:gs.getUserID()`, which every logged-in user may read on a base instance); null
   * when the instance does not say.
   */
  private async whoIsIt(): Promise<string | null> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.currentToken) {
      headers['X-UserToken'] = this.currentToken;
    }
    if (this.authorization) {
      headers['Authorization'] = this.authorization;
    }
    try {
      const response = await this.request(
        '/api/now/table/sys_user?sysparm_query=sys_id%3Djavascript%3Ags.getUserID()' +
          '&sysparm_fields=user_name&sysparm_limit=1',
        { headers },
      );
      const body = (await response.json()) as { result?: { user_name?: unknown }[] };
      const name = response.ok ? body.result?.[0]?.user_name : undefined;
      return typeof name === 'string' && name !== '' ? name : null;
    } catch {
      return null;
    }
  }

  /**
   * The session ended: logs in again (password mode), once for all requests that noticed together.
   * In cookie and bearer mode there is nothing the proxy can do: throws a {@link LoginError} that
   * tells the user what to do.
   */
  renew(): Promise<void> {
    if (this.credentials.mode !== 'password') {
      return Promise.reject(
        new LoginError(
          'session-ended',
          this.credentials.mode === 'cookie'
            ? 'the exported browser session has ended: log in to the instance in a browser tab, ' +
                'export a fresh session (SN_COOKIE) and restart the proxy'
            : 'the OAuth token was refused: get a fresh one (SN_OAUTH_TOKEN) and restart the proxy',
        ),
      );
    }
    this.relogin ??= this.start().finally(() => {
      this.relogin = null;
    });
    return this.relogin;
  }

  /** Asks the instance for the session's token (the CLI's way: a 401 that names it). */
  async findToken(): Promise<void> {
    const response = await this.request('/angular.do?sysparm_type=get_user', { method: 'POST' });
    if (response.status === 401) {
      if (response.headers.get('x-sessionloggedin') === 'false') {
        throw new LoginError(
          'session-ended',
          'the instance says this session is not logged in: log in to the instance in a ' +
            'browser tab and export its Cookie header again (SN_COOKIE)',
        );
      }
      // Empty where the instance does not check tokens (its CLI says so of the legacy model).
      this.currentToken = response.headers.get('x-usertoken-response') ?? '';
    } else if (response.status >= 300 && response.status < 400) {
      throw new LoginError(
        'session-ended',
        'the instance sent the session to a login page: export a fresh session (SN_COOKIE)',
      );
    } else {
      this.currentToken = '';
    }
  }

  private async logIn(user: string, password: string): Promise<void> {
    this.jar = new CookieJar();
    const response = await this.request('/angular.do?sysparm_type=view_form.login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        sysparm_type: 'login',
        'ni.nolog.user_password': 'true',
        user_name: user,
        user_password: password,
      }).toString(),
    });
    if (response.status === 404) {
      throw new LoginError(
        'instance-not-found',
        `no instance answers at ${this.instance.origin} (404): check --instance`,
      );
    }
    if (!response.ok) {
      throw new LoginError(
        'failed',
        `the login failed with HTTP ${response.status} ${response.statusText}`,
      );
    }
    let answer: { status?: unknown; message?: unknown };
    try {
      answer = (await response.json()) as typeof answer;
    } catch {
      throw new LoginError(
        'failed',
        'the instance did not answer the login as an instance does (no JSON): check --instance',
      );
    }
    if (answer.status === 'mfa_code_required') {
      throw new LoginError(
        'mfa-required',
        `${user} must pass multi-factor authentication: log in in a browser tab and export the ` +
          'session instead (SN_COOKIE)',
      );
    }
    if (answer.status === 'error') {
      throw new LoginError(
        'wrong-password',
        `the instance refused the user name or password of ${user}` +
          (typeof answer.message === 'string' ? ` ("${answer.message}")` : ''),
      );
    }
    await this.findToken();
  }

  /** A request to the instance with the session's cookies, storing what it sets. */
  private async request(path: string, init: RequestInit): Promise<Response> {
    const url = new URL(path, this.instance).href;
    const headers = new Headers(init.headers);
    const cookie = this.cookieFor(url);
    if (cookie) {
      headers.set('Cookie', cookie);
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, { ...init, headers, redirect: 'manual' });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
      throw new LoginError('unreachable', `cannot reach ${this.instance.origin} (${code})`);
    }
    this.storeCookies(response.headers.getSetCookie(), url);
    return response;
  }
}

/** `a=1; b=2` (a browser's Cookie header) as Set-Cookie lines for the jar. */
function cookiesOf(header: string): string[] {
  return header
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.includes('='))
    .map((pair) => `${pair}; Path=/`);
}
