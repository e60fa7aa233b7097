/**
 * The dev proxy's decisions, as pure functions: which headers a forwarded request carries, how
 * the instance's answer is rewritten for the browser on localhost, and what a refused request
 * calls for (adopt a token, log in again, or nothing). The same rules the library follows in the
 * browser: a write is sent again only when the instance proves it did not run it.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Methods that change nothing on the server: safe to send again after any refusal. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The header of the session token; the proxy sets its own, whatever the page sent. */
export const TOKEN_HEADER = 'x-usertoken';

/** Where a request leaves for, and what the proxy's session adds to it. */
export interface Credentials {
  /** The instance's origin, `https://dev12345.service-now.com`. */
  readonly instance: URL;
  /** `Cookie` header of the proxy's session for this URL ('' for none). */
  readonly cookie: string;
  /** The session token to send as `X-UserToken`, or null (bearer mode: none needed). */
  readonly token: string | null;
  /** `Authorization` to send, or null. */
  readonly authorization: string | null;
}

/**
 * The headers of a request forwarded to the instance: the browser's cookies for the instance are
 * replaced by the proxy's session, `X-UserToken` by the proxy's token, and `Origin`/`Referer` point
 * at the instance (`Host` is set by the proxy's `changeOrigin`). Everything else passes.
 */
export function forwardedHeaders(
  incoming: IncomingHttpHeaders,
  credentials: Credentials,
): Record<string, string | null> {
  const set: Record<string, string | null> = {
    cookie: credentials.cookie || null,
    [TOKEN_HEADER]: credentials.token,
  };
  if (credentials.authorization !== null) {
    set['authorization'] = credentials.authorization;
  }
  if (incoming.origin !== undefined) {
    set['origin'] = credentials.instance.origin;
  }
  if (typeof incoming.referer === 'string') {
    set['referer'] = onInstance(incoming.referer, credentials.instance);
  }
  return set;
}

/** A URL moved onto the instance's origin, keeping its path and query. */
function onInstance(url: string, instance: URL): string {
  try {
    const parsed = new URL(url);
    return new URL(parsed.pathname + parsed.search, instance).href;
  } catch {
    return instance.origin + '/';
  }
}

/**
 * A redirect's `Location` as the browser on localhost should follow it: a URL on the instance
 * becomes a path (the browser stays on whatever localhost origin it is on); other URLs (an
 * identity provider) are left alone. The path never starts with `//` or `/\`, which a browser
 * would read as another host.
 */
export function rewriteLocation(location: string, instance: URL): string {
  try {
    const url = new URL(location, instance);
    if (url.origin !== instance.origin) {
      return location;
    }
    return (url.pathname + url.search + url.hash).replace(/^[/\\]+/, '/');
  } catch {
    return location;
  }
}

/**
 * Paths where a browser would log the session in or out, or hand it an identity provider's
 * assertion: not forwarded, since the session is the proxy's. Sources: ServiceNow's CLI (the
 * `/angular.do` login), the docs of multi-provider SSO (`/login_with_sso.do`, `/navpage.do` as the
 * SAML assertion consumer), public tools that script instance logins (`/login_locate_sso.do`,
 * `/auth_redirect.do`). The logout endpoints are the UI's own (`/logout.do`,
 * `/logout_success.do`).
 */
const SESSION_PAGES = new Set([
  '/login.do',
  '/logout.do',
  '/logout_success.do',
  '/login_with_sso.do',
  '/login_locate_sso.do',
  '/auth_redirect.do',
  '/consumer.do',
]);

/**
 * A request target's path as a server may read it, for matching the session's pages, or why the
 * proxy cannot tell how a server reads it.
 */
export type RequestPath =
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'ambiguous'; readonly reason: string };

/**
 * Reads the path of a request target (`req.url`, as the browser sent it) the way the instance, or
 * anything in front of it, may: percent-escapes decoded once, `\` as `/`, each segment's `;`
 * parameters dropped (Tomcat reads `/login.do;jsessionid=x` as `/login.do`), empty and `.`
 * segments dropped, `..` resolved, case folded. What one server reads one way and another server
 * another way is `ambiguous`, never guessed: a malformed escape, an encoded `/`, `\`, `%` (decoded
 * twice by some) or control character, escapes that are not UTF-8, a fragment, a raw character
 * that HTTP requires escaped, a fullwidth `／` or `．`. Matching a folded path refuses more than an instance would, never
 * less; the request itself is forwarded as it came.
 */
export function requestPath(target: string): RequestPath {
  const ambiguous = (reason: string): RequestPath => ({ kind: 'ambiguous', reason });
  const query = target.indexOf('?');
  const raw = query === -1 ? target : target.slice(0, query);
  if (!raw.startsWith('/')) {
    return ambiguous('no leading slash');
  }
  if (raw.includes('#')) {
    return ambiguous('a fragment (#), which a browser never sends');
  }
  // `req.url` holds the request line's bytes, one character each.
  if (/[^\x21-\x7e]/.test(raw)) {
    return ambiguous('a space, control or non-ASCII character that must be percent-encoded');
  }
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '%') {
      bytes.push(raw.charCodeAt(i));
      continue;
    }
    const escape = raw.slice(i, i + 3);
    if (!/^%[0-9A-Fa-f]{2}$/.test(escape)) {
      return ambiguous(`a malformed percent-escape (${escape})`);
    }
    const byte = parseInt(escape.slice(1), 16);
    if (byte === 0x2f || byte === 0x5c) {
      return ambiguous(`an encoded ${byte === 0x2f ? 'slash' : 'backslash'} (${escape})`);
    }
    if (byte === 0x25) {
      return ambiguous('an encoded percent sign (%25), which some servers decode twice');
    }
    if (byte < 0x20 || byte === 0x7f) {
      return ambiguous(`an encoded NUL or control character (${escape})`);
    }
    bytes.push(byte);
    i += 2;
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return ambiguous('percent-escapes that are not UTF-8');
  }
  // Among the non-ASCII characters: fullwidth `／`, the two-dot leader `‥` and their kind are `/`
  // or `..` to a server that applies compatibility normalisation, and letters to one that does not.
  if (/[/\\;.%?#]/.test(decoded.replace(/[\x20-\x7e]/g, '').normalize('NFKC'))) {
    return ambiguous('a character that compatibility normalisation turns into / \\ ; . % ? or #');
  }
  const segments: string[] = [];
  for (const part of decoded.replace(/\\/g, '/').split('/')) {
    const segment = part.split(';')[0];
    if (segment === '..') {
      segments.pop();
    } else if (segment !== '' && segment !== '.') {
      segments.push(segment);
    }
  }
  return { kind: 'path', path: fold(segments) };
}

/**
 * Case folded past `toLowerCase`: compatibility forms (fullwidth letters), the letters whose case
 * mapping lands on ASCII (`ı`, `ſ`, the Kelvin sign, `ß` → `ss`) and accents, so that no server's
 * own case-insensitive match finds a session page in a path this check let through.
 */
function fold(segments: readonly string[]): string {
  return `/${segments.join('/')}`
    .normalize('NFKC')
    .toUpperCase()
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '');
}

/**
 * Whether a browser request would log in, log out or switch the session (see above). `path` is a
 * {@link requestPath}; a session page followed by more path (`/logout.do/x`) counts as that page,
 * since a server may read the rest as path info.
 */
export function changesSession(method: string, path: string, query: URLSearchParams): boolean {
  const is = (page: string) => path === page || path.startsWith(`${page}/`);
  return (
    [...SESSION_PAGES].some(is) ||
    (is('/navpage.do') && method.toUpperCase() === 'POST') ||
    (is('/angular.do') &&
      query.getAll('sysparm_type').some((type) => type.toLowerCase() === 'view_form.login'))
  );
}

/** What a refused answer from the instance calls for. */
export type Refusal =
  /** The token rotated: the 401 names the new one. */
  | { readonly kind: 'new-token'; readonly token: string }
  /** The session is gone (401 saying so, or a login page where the API answers). */
  | { readonly kind: 'session-ended' }
  /** The token is stale but the 401 names none: ask the instance for it. */
  | { readonly kind: 'token-unknown' }
  | null;

/**
 * Reads an instance's answer to a forwarded request. `sentToken` is what the request carried.
 * Only REST-like paths (`/api/`, `.do` processors asked for JSON) can be refused this way; pages
 * the browser navigates to pass as they are.
 */
export function refusalOf(
  status: number,
  headers: IncomingHttpHeaders,
  path: string,
  sentToken: string | null,
): Refusal {
  const api = path.startsWith('/api/') || path.startsWith('/angular.do');
  if (!api) {
    return null;
  }
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  if (status === 401) {
    const alive = header('x-sessionloggedin') ?? header('x-is-logged-in');
    if (alive === 'false') {
      return { kind: 'session-ended' };
    }
    const named = header('x-usertoken-response');
    if (named && named !== sentToken) {
      return { kind: 'new-token', token: named };
    }
    return { kind: 'token-unknown' };
  }
  // Single sign-on: a REST call answered with a redirect (to a login page: a REST API has no other
  // reason to redirect), or with the login page itself.
  const redirectedToLogin = status >= 300 && status < 400;
  const htmlInsteadOfJson =
    status === 200 &&
    (header('content-type') ?? '').includes('text/html') &&
    path.startsWith('/api/');
  return redirectedToLogin || htmlInsteadOfJson ? { kind: 'session-ended' } : null;
}

/**
 * Whether a refused request may be sent again once the refusal is dealt with: always for GET,
 * HEAD and OPTIONS; for a write only when the instance proves it did not run it — the CSRF 401
 * (`X-UserToken-Response`, or its "User Not Authenticated" body) or a login page in place of the
 * API.
 */
export function mayReplay(
  method: string,
  status: number,
  headers: IncomingHttpHeaders,
  body: string,
): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) {
    return true;
  }
  if (status !== 401) {
    return true; // a redirect or a login page: the API never ran the request
  }
  return headers['x-usertoken-response'] !== undefined || body.includes('User Not Authenticated');
}

/**
 * Headers of an answer to the browser, rewritten for localhost. Dropped: `Set-Cookie` (the
 * session is the proxy's: the browser's cookies are replaced on the way out anyway, and the
 * instance's session cookies have no business in the browser), CORS headers (the proxy answers
 * no other origin), and the Basic challenge (the proxy answers for the session: the browser's
 * login dialog would be of no use).
 */
export function browserHeaders(headers: IncomingHttpHeaders, instance: URL): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (
      value === undefined ||
      name === 'set-cookie' ||
      name === 'www-authenticate' ||
      name.startsWith('access-control-')
    ) {
      continue;
    }
    out[name] =
      name === 'location' && typeof value === 'string' ? rewriteLocation(value, instance) : value;
  }
  return out;
}
