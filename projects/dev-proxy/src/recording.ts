/**
 * What the dev proxy's recording (`--record <dir>`) keeps of an exchange with the instance, and how
 * it is made safe to share before anything is written: one JSON file per request the proxy
 * forwarded, read back by the mock instance's `compare` (which replays it against the mock and
 * compares the answers' shapes).
 *
 * Scrubbed, whatever the body's type: cookies (`Cookie`, the values of `Set-Cookie`), session
 * tokens (`X-UserToken`, `X-UserToken-Request`, `X-UserToken-Response`, `g_ck` in a page),
 * `Authorization` (its scheme kept), every field or query parameter whose name says password,
 * token, secret, API key or `sysparm_ck`, every value the proxy knows to be a secret of its session
 * (its token, cookie values, password, bearer token) wherever it appears, and the instance's host
 * name, replaced by {@link INSTANCE_PLACEHOLDER}. What the proxy's session supplied (its cookie, its
 * token, its bearer token) is written as {@link SESSION_VALUE}, so that a replay can put a session
 * of its own there; anything else removed is {@link SCRUBBED}.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Transform } from 'node:stream';
import { constants as zlib, createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

import {
  BODY_CAP,
  INSTANCE_PLACEHOLDER,
  RecordedBody,
  SCRUBBED,
  SESSION_VALUE,
} from '../../recording-format/src/index';

/**
 * Request headers kept: what an instance reads to answer (content negotiation, the session and its
 * token, the challenge switch, conditional and ranged requests). The rest (`User-Agent`, `Origin`,
 * `Referer`, `Sec-Fetch-*`, encodings, hop-by-hop headers) says nothing a replay needs, and a
 * header the proxy does not know could carry a secret it cannot recognise.
 */
export const RECORDED_REQUEST_HEADERS: readonly string[] = [
  'accept',
  'content-type',
  'cookie',
  'authorization',
  'x-usertoken',
  'x-no-response-challenge',
  'x-wantsessionnotificationmessages',
  'x-transaction-source',
  'x-http-method-override',
  'x-requested-with',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'range',
];

/** Response headers whose whole value is a secret. */
const SECRET_HEADERS = new Set([
  'cookie',
  'x-usertoken',
  'x-usertoken-request',
  'x-usertoken-response',
  'proxy-authorization',
]);

/** A header name that says its value is a secret (`X-CSRF-Token`, `X-API-Key`). */
const SECRET_HEADER_NAME = /(^|-)(token|secret|password|api-?key|session-?id)$/i;

/**
 * A field or parameter name that says its value is a secret: `password`, `user_password`,
 * `sysparm_ck`, `g_ck`, `access_token`, `refresh_token`, `client_secret`, `api_key`, ...
 */
const SECRET_NAME =
  /passw(or)?d|passwd|secret|token|api[-_]?key|credential|assertion|^(sysparm_|g_)?ck$|^authorization$|^cookie$|session_?id$/i;

/** Whether a field or parameter with this name holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * Scrubs text wherever it stands (a header's value, a body, a path): the secrets the proxy knows,
 * `g_ck` and `sysparm_ck` in a page, and the instance's host.
 */
export class Scrubber {
  private readonly hosts: readonly [RegExp, string][];
  private readonly known = new Set<string>();
  private knownPattern: RegExp | null = null;

  constructor(instance: URL) {
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const hosts: [RegExp, string][] = [
      [new RegExp(escape(instance.origin), 'gi'), `https://${INSTANCE_PLACEHOLDER}`],
      [new RegExp(escape(instance.host), 'gi'), INSTANCE_PLACEHOLDER],
      [new RegExp(escape(instance.hostname), 'gi'), INSTANCE_PLACEHOLDER],
    ];
    // An instance's name (`dev12345` of dev12345.service-now.com) stands alone in some answers.
    const name = /^([a-z0-9-]+)\.(service-now\.com|servicenowservices\.com)$/i.exec(
      instance.hostname,
    );
    if (name) {
      hosts.push([new RegExp(`\\b${escape(name[1])}\\b`, 'gi'), 'instance']);
    }
    this.hosts = hosts;
  }

  /**
   * Adds values that are secrets wherever they appear (a token, a cookie's value, a password).
   * Values shorter than 6 characters are left to the name rules: replacing `demo` everywhere would
   * garble the data without hiding anything.
   */
  addSecrets(values: Iterable<string>): void {
    let added = false;
    for (const value of values) {
      if (value.length >= 6 && !this.known.has(value)) {
        this.known.add(value);
        added = true;
      }
    }
    if (added) {
      const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // Longest first, so a secret that contains another is replaced whole.
      const sorted = [...this.known].sort((a, b) => b.length - a.length);
      this.knownPattern = new RegExp(sorted.map(escape).join('|'), 'g');
    }
  }

  /** Text with the known secrets, `g_ck`/`sysparm_ck` values and the instance's host replaced. */
  text(text: string): string {
    let out = this.knownPattern ? text.replace(this.knownPattern, SCRUBBED) : text;
    out = out
      // `window.g_ck = "…"`, `var g_ck = '…'`, `g_ck: "…"`
      .replace(/(\bg_ck\b["']?\s*[=:]\s*)(["'])(?:(?!\2)[^\\]|\\.)*\2/g, `$1$2${SCRUBBED}$2`)
      // `<input name="sysparm_ck" value="…">`, either attribute first
      .replace(/(name=["']sysparm_ck["'][^>]*?value=)(["'])[^"']*\2/gi, `$1$2${SCRUBBED}$2`)
      .replace(/(value=)(["'])[^"']*\2([^>]*?name=["']sysparm_ck["'])/gi, `$1$2${SCRUBBED}$2$3`);
    for (const [pattern, placeholder] of this.hosts) {
      out = out.replace(pattern, placeholder);
    }
    return out;
  }

  /** A JSON value with every field named as a secret, and every string, scrubbed. */
  json(value: unknown): unknown {
    if (typeof value === 'string') {
      return this.text(value);
    }
    if (Array.isArray(value)) {
      return value.map((v) => this.json(v));
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, v]) => [
          this.text(key),
          isSecretName(key) ? allStrings(v) : this.json(v),
        ]),
      );
    }
    return value;
  }

  /**
   * A query string or form body (`a=1&password=x`): parameters named as secrets get
   * {@link SCRUBBED}; the others keep their encoding, their text scrubbed.
   */
  form(query: string): string {
    return query
      .split('&')
      .map((pair) => {
        const at = pair.indexOf('=');
        const name = at === -1 ? pair : pair.slice(0, at);
        let decoded = name;
        try {
          decoded = decodeURIComponent(name.replace(/\+/g, ' '));
        } catch {
          // a malformed escape: judged as it is written
        }
        return at !== -1 && isSecretName(decoded)
          ? `${name}=${encodeURIComponent(SCRUBBED)}`
          : this.text(pair);
      })
      .join('&');
  }

  /** A request target (`/api/now/table/x?sysparm_ck=…`): its query scrubbed as a form. */
  path(target: string): string {
    const at = target.indexOf('?');
    return at === -1
      ? this.text(target)
      : `${this.text(target.slice(0, at))}?${this.form(target.slice(at + 1))}`;
  }
}

/** Every string inside a value named as a secret, replaced (numbers and booleans say nothing). */
function allStrings(value: unknown): unknown {
  if (typeof value === 'string') {
    return SCRUBBED;
  }
  if (Array.isArray(value)) {
    return value.map(allStrings);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, allStrings(v)]));
  }
  return value;
}

/** One header's value as a single string (Node gives some as arrays). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The request headers a recording keeps, scrubbed: `Cookie` and `X-UserToken` (always the
 * proxy's session's) become {@link SESSION_VALUE}, and so does `Authorization` when
 * `sessionAuthorization` (the proxy's bearer token); any other `Authorization` keeps its scheme.
 */
export function recordedRequestHeaders(
  headers: IncomingHttpHeaders,
  scrubber: Scrubber,
  sessionAuthorization: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RECORDED_REQUEST_HEADERS) {
    const value = single(headers[name]);
    if (value === undefined) {
      continue;
    }
    if (name === 'cookie' || name === 'x-usertoken') {
      out[name] = SESSION_VALUE;
    } else if (name === 'authorization') {
      out[name] = sessionAuthorization
        ? SESSION_VALUE
        : `${/^\S+/.exec(value.trim())?.[0] ?? ''} ${SCRUBBED}`.trim();
    } else {
      out[name] = scrubber.text(value);
    }
  }
  return out;
}

/** The instance's answer headers, scrubbed: `Set-Cookie` keeps each cookie's name and attributes. */
export function recordedResponseHeaders(
  headers: IncomingHttpHeaders,
  scrubber: Scrubber,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) {
      continue;
    }
    if (name === 'set-cookie') {
      const lines = Array.isArray(value) ? value : [value];
      out[name] = lines.map((line) =>
        scrubber.text(line.replace(/^([^=;]*)=[^;]*/, `$1=${SCRUBBED}`)),
      );
    } else if (SECRET_HEADERS.has(name) || SECRET_HEADER_NAME.test(name)) {
      out[name] = SCRUBBED;
    } else if (name === 'authorization' || name === 'www-authenticate') {
      out[name] = scrubber.text(single(value)!);
    } else {
      out[name] = Array.isArray(value) ? value.map((v) => scrubber.text(v)) : scrubber.text(value);
    }
  }
  return out;
}

/** A body as it came: its first bytes (up to the cap), its whole length, and its headers. */
export interface CapturedBody {
  /** At most {@link BODY_CAP} bytes (more are cut). */
  readonly head: Buffer;
  /** The body's whole length in bytes. */
  readonly bytes: number;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** False when the body broke off before its end (it is then recorded as `truncated`). */
  readonly complete?: boolean;
}

/**
 * A body for the recording, scrubbed: JSON (by its content type) parsed, form bodies scrubbed by
 * parameter name, text as text, other bytes as base64 (`binary: 'base64'`, for a request: a replay
 * sends them) or by their length only (`'length'`, for an answer). Null for an empty body.
 */
export async function recordedBody(
  body: CapturedBody,
  scrubber: Scrubber,
  binary: 'base64' | 'length',
): Promise<RecordedBody | null> {
  if (body.bytes === 0) {
    return null;
  }
  let head = body.head.subarray(0, BODY_CAP);
  let truncated = body.bytes > head.length || body.complete === false;
  const encoding = (body.contentEncoding ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    const decoded = await decode(head, encoding);
    if (decoded === null) {
      return binary === 'base64'
        ? { type: 'base64', value: head.toString('base64'), bytes: body.bytes, truncated }
        : { type: 'binary', bytes: body.bytes, truncated };
    }
    truncated ||= decoded.cut || decoded.bytes.length > BODY_CAP;
    head = decoded.bytes.subarray(0, BODY_CAP);
  }
  const type = (body.contentType ?? '').toLowerCase();
  if (/[/+]json\b/.test(type) && !truncated) {
    try {
      const value: unknown = JSON.parse(head.toString('utf8'));
      return { type: 'json', value: scrubber.json(value), bytes: body.bytes, truncated: false };
    } catch {
      // not JSON after all: kept as text below
    }
  }
  const text = textOf(head, type, truncated);
  if (text !== null) {
    const value = type.startsWith('application/x-www-form-urlencoded')
      ? scrubber.form(text)
      : scrubber.text(text);
    return { type: 'text', value, bytes: body.bytes, truncated };
  }
  return binary === 'base64'
    ? { type: 'base64', value: head.toString('base64'), bytes: body.bytes, truncated }
    : { type: 'binary', bytes: body.bytes, truncated };
}

/** Bytes as text, when they are: UTF-8 without control characters other than white space. */
function textOf(bytes: Buffer, type: string, truncated: boolean): string | null {
  let text: string;
  try {
    // A cut body may end inside a character: those last bytes are dropped.
    text = new TextDecoder('utf-8', { fatal: true }).decode(
      truncated ? trimPartialCharacter(bytes) : bytes,
    );
  } catch {
    return null;
  }
  const declaredText =
    /^text\/|[/+](json|xml)\b|javascript|x-www-form-urlencoded|multipart\/form-data/.test(type);
  return declaredText || !/(?![\t\n\v\f\r])\p{Cc}/u.test(text) ? text : null;
}

/** Bytes without a UTF-8 character cut at their end. */
function trimPartialCharacter(bytes: Buffer): Buffer {
  let end = bytes.length;
  let back = 0;
  while (end - back > 0 && back < 4 && (bytes[end - back - 1] & 0xc0) === 0x80) {
    back++;
  }
  const lead = bytes[end - back - 1];
  if (lead !== undefined && lead >= 0xc0) {
    const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (back + 1 < length) {
      end -= back + 1;
    }
  }
  return bytes.subarray(0, end);
}

/**
 * A compressed body's first bytes undone, stopping once past {@link BODY_CAP} (a small body
 * cannot expand without bound), or null for an encoding it does not know or cannot read. A body
 * cut by the cap ends mid-stream: what decodes up to there is kept.
 */
function decode(bytes: Buffer, encoding: string): Promise<{ bytes: Buffer; cut: boolean } | null> {
  let stream: Transform;
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      stream = createGunzip({ finishFlush: zlib.Z_SYNC_FLUSH });
      break;
    case 'deflate':
      stream = createInflate({ finishFlush: zlib.Z_SYNC_FLUSH });
      break;
    case 'br':
      stream = createBrotliDecompress({ finishFlush: zlib.BROTLI_OPERATION_FLUSH });
      break;
    default:
      return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (cut: boolean) => {
      if (!done) {
        done = true;
        resolve(size === 0 && cut ? null : { bytes: Buffer.concat(chunks), cut });
      }
    };
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > BODY_CAP) {
        finish(true);
        stream.destroy();
      }
    });
    stream.on('end', () => finish(false));
    stream.on('error', () => finish(true));
    stream.end(bytes);
  });
}
