/**
 * Who may talk to a dev tool that acts as the developer on an instance: the checks every request
 * meets first, before anything is forwarded or served. The dev proxy and the mock instance both
 * apply them; each package carries this code in its build.
 *
 * - **Host** (DNS rebinding): a page on `attacker.example` whose name the attacker re-points at
 *   127.0.0.1 reaches a loopback server with `Host: attacker.example:<port>` and, being same-origin
 *   to itself, reads the answers. Only loopback names and the names the developer adds pass; an IP
 *   address other than 127.0.0.1 and [::1] does not, nor does a request with no `Host`.
 * - **Origin and Fetch Metadata** (cross-site requests): any website can make the browser send a
 *   form POST, a `no-cors` fetch, an `<img>` GET or a WebSocket upgrade to localhost. A request
 *   whose `Origin` is present and is not a loopback origin (or one the developer adds) is refused;
 *   so is any request the browser marks `Sec-Fetch-Site: cross-site`, unless its `Origin` is one
 *   the developer added. Browsers without Fetch Metadata are judged by `Referer`.
 *
 * The same policy as Vite's `server.allowedHosts` and webpack-dev-server's host check, only
 * stricter: IP addresses are not allowed wholesale, since what sits behind the proxy is a real
 * session. Tools that send no `Origin` and no `Sec-Fetch-*` (curl, scripts) pass.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';

/** Who besides loopback may reach the tool. */
export interface GuardOptions {
  /**
   * Host names accepted besides `localhost`, `*.localhost`, `127.0.0.1` and `[::1]`: a name, or
   * `.example.com` for that name and every name under it (the convention of Vite and webpack).
   */
  readonly allowedHosts?: readonly string[];
  /** Origins accepted besides loopback ones, as `http(s)://host[:port]`. */
  readonly allowedOrigins?: readonly string[];
}

/**
 * {@link GuardOptions} from the command line: `--allowed-hosts` and `--allowed-origins`, each
 * repeatable and comma-separated.
 */
export function guardOptionsFromFlags(
  hosts: readonly string[] | undefined,
  origins: readonly string[] | undefined,
): GuardOptions {
  const list = (values: readonly string[] | undefined) =>
    (values ?? [])
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter(Boolean);
  return { allowedHosts: list(hosts), allowedOrigins: list(origins) };
}

/** Why a request was refused: which check, and a sentence for the developer. */
export interface GuardRefusal {
  readonly check: 'host' | 'origin';
  readonly message: string;
}

/** The checks, with their lists parsed once. Throws on a malformed list entry. */
export interface RequestGuard {
  /** The refusal of a request by its `Host`, or null when it passes. */
  host(header: string | undefined): GuardRefusal | null;
  /** The refusal of a request by `Origin`, `Sec-Fetch-Site` and `Referer`, or null. */
  caller(headers: IncomingHttpHeaders): GuardRefusal | null;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a host name (as `URL.hostname` gives it) is a loopback name. */
export function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.endsWith('.localhost');
}

/**
 * Whether an address to listen on is a loopback one (127.0.0.0/8, `::1`, `localhost`): a tool
 * listening on any other is reachable from the network, where the `Host` check stops nothing (a
 * client there sends `Host: localhost`).
 */
export function isLoopbackAddress(host: string): boolean {
  return /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1' || isLoopbackHostname(host);
}

/**
 * The host name of a `Host` header (`localhost:4200` → `localhost`, `[::1]:80` → `[::1]`),
 * lower-cased and without a trailing dot, or null when it is not a plain `host[:port]`.
 */
export function hostnameOf(header: string | undefined): string | null {
  if (header === undefined || !/^[A-Za-z0-9._~\-[\]:]+$/.test(header)) {
    return null; // no userinfo, path, backslash or space can slip into the parse below
  }
  let url: URL;
  try {
    url = new URL(`http://${header}`);
  } catch {
    return null;
  }
  return url.pathname === '/' ? url.hostname.replace(/\.$/, '') : null;
}

/** The origin of a URL, or null for one that is not http(s). */
function httpOrigin(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Builds the checks. Throws an `Error` naming a malformed entry of either list. */
export function requestGuard(options: GuardOptions = {}): RequestGuard {
  const exactHosts = new Set<string>();
  const hostSuffixes: string[] = [];
  for (const entry of options.allowedHosts ?? []) {
    const bare = entry.replace(/^\./, '').toLowerCase();
    const name = hostnameOf(bare);
    if (name === null || name !== bare.replace(/\.$/, '')) {
      throw new Error(
        `an allowed host must be a host name such as dev.example.com; got "${entry}"`,
      );
    }
    if (entry.startsWith('.')) {
      hostSuffixes.push(`.${name}`);
    }
    exactHosts.add(name);
  }
  const origins = new Set<string>();
  for (const entry of options.allowedOrigins ?? []) {
    const url = httpOrigin(entry);
    if (url === null || url.origin !== entry.replace(/\/$/, '').toLowerCase()) {
      throw new Error(
        `an allowed origin must be scheme://host[:port], such as https://dev.example.com; got "${entry}"`,
      );
    }
    origins.add(url.origin);
  }
  const hostAllowed = (hostname: string) =>
    isLoopbackHostname(hostname) ||
    exactHosts.has(hostname) ||
    hostSuffixes.some((suffix) => hostname.endsWith(suffix));
  const originAllowed = (value: string) => {
    const url = httpOrigin(value);
    return url !== null && (isLoopbackHostname(url.hostname) || origins.has(url.origin));
  };
  const refused = (what: string): GuardRefusal => ({
    check: 'origin',
    message:
      `refused a cross-site request (${what}): only pages on localhost may use the session ` +
      'this tool holds. Add an origin with --allowed-origins <origin>.',
  });

  return {
    host(header) {
      const hostname = hostnameOf(header);
      if (hostname !== null && hostAllowed(hostname)) {
        return null;
      }
      return {
        check: 'host',
        message:
          `refused a request for host ${JSON.stringify(header ?? '')}: only localhost, ` +
          '*.localhost, 127.0.0.1 and [::1] may reach this tool (a guard against DNS rebinding). ' +
          'Add a name with --allowed-hosts <name>.',
      };
    },
    caller(headers) {
      const origin = headers.origin;
      if (origin !== undefined && origins.has(origin.toLowerCase())) {
        return null; // named by the developer: cross-site by nature
      }
      if (origin !== undefined && !originAllowed(origin)) {
        return refused(`Origin ${JSON.stringify(origin)}`);
      }
      const site = headers['sec-fetch-site'];
      if (site === 'cross-site') {
        return refused('Sec-Fetch-Site: cross-site');
      }
      const referer = headers.referer;
      if (origin === undefined && site === undefined && referer !== undefined) {
        // A browser without Fetch Metadata: its Referer, when it sends one, names the page.
        const url = httpOrigin(referer);
        if (url === null || !originAllowed(url.origin)) {
          return refused('from a page that is not on localhost');
        }
      }
      return null;
    },
  };
}

/** Ends a refused WebSocket upgrade: a 403 with the reason as plain text, then the socket closes. */
export function refuseUpgrade(socket: Duplex, reason: string): void {
  socket.end(
    'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain;charset=UTF-8\r\n' +
      `Content-Length: ${Buffer.byteLength(reason)}\r\nConnection: close\r\n\r\n${reason}`,
  );
}
