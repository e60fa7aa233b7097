/**
 * Compares a recording of a real instance (the dev proxy's `--record <dir>`) with the mock: each
 * recorded request is sent again, in order, to a mock (one started for the purpose, with the
 * user's data, or one already running), with a session of the mock's own where the recording had
 * the proxy's, and the mock's answer is compared with the recorded one:
 *
 * - the status, and the content type (its media type: `application/json`, without parameters);
 * - the headers a client decides on: by value `X-SessionLoggedIn` and `X-Is-Logged-In` (the
 *   session's state: "true" or "false" on both sides); by presence only, since their values
 *   naturally differ, `X-Total-Count`, `Link` (paging), `Content-Disposition` (downloads),
 *   `Location` (redirects, created records), `X-UserToken-Response` and
 *   `X-UserToken-AllowResubmit` (the CSRF 401), `WWW-Authenticate` (the browser's login dialog),
 *   `Cache-Control` and `Retry-After`. The rest (`Date`, `X-Transaction-ID`, `Server-Timing`,
 *   `Set-Cookie`, ...) varies by run or never reaches the app through the proxy;
 * - the body's shape (see `shape.ts`): the kinds of value at each path, never the values.
 *
 * Writes are replayed too. A record the recording created does not exist in the mock under the
 * recorded sys_id: the sys_id a POST's answer names (`result.sys_id`) is mapped to the one the
 * mock's answer names, and used in place of it in every later request. A request naming a sys_id
 * the mock does not know and no earlier POST created is a difference (the mock's 404), said so.
 *
 * A secret the recording scrubbed (a password in a body, a Basic `Authorization` the app sent) is
 * replayed as the placeholder the recording holds, so a request that needed it is refused by the
 * mock, and differs.
 */
import { Buffer } from 'node:buffer';

import { DEMO_PASSWORD } from '../data/seed';
import { MockInstance, MockInstanceOptions, startMockInstance } from '../server';
import {
  INSTANCE_PLACEHOLDER,
  RecordedBody,
  SESSION_VALUE,
} from '../../../recording-format/src/index';
import { CompareError, readRecording, RecordingEntry } from './recording';
import { shapeDifferences, shapeOf } from './shape';

/** How to compare a recording. */
export interface CompareOptions {
  /**
   * A mock already running (`http://127.0.0.1:4200`) to replay against, with its own data. Without
   * it a mock is started with `instance` and closed at the end.
   */
  readonly url?: string;
  /** The options of the mock started for the comparison (`data`, ...). Default: the demo's data. */
  readonly instance?: MockInstanceOptions;
  /** The user whose session stands for the proxy's. Default: the recording's user. */
  readonly user?: string;
  /**
   * That user's password. Default: the password the started mock's data gives the user; with
   * `url`, the demo's password.
   */
  readonly password?: string;
  /** Called with each exchange's result as soon as it is known (the command line prints it). */
  readonly onResult?: (result: ExchangeComparison) => void;
}

/** How one recorded exchange compares with the mock's answer to it. */
export interface ExchangeComparison {
  /** The recorded file. */
  readonly file: string;
  readonly seq: number;
  readonly method: string;
  /** The recorded path and query (scrubbed, as in the file). */
  readonly path: string;
  readonly match: boolean;
  /** What differs, each named: `HTTP status: recorded 200, mock 404`, `result[].x: recorded string, mock missing`. */
  readonly differences: readonly string[];
  /** What was not compared, and why (a body the recording cut). */
  readonly notes: readonly string[];
  /** `MATCH  GET /api/...` or `DIFF   GET /api/... : <differences>`. */
  readonly line: string;
}

/** The result of comparing a recording with the mock. */
export interface CompareReport {
  /** Each exchange, in the recording's order. */
  readonly exchanges: readonly ExchangeComparison[];
  readonly matched: number;
  readonly differed: number;
  /** `12 exchanges: 11 match, 1 differ`. */
  readonly summary: string;
}

/** Headers compared by value: the session's state, which a client decides on. */
const VALUE_HEADERS = ['X-SessionLoggedIn', 'X-Is-Logged-In'];
/** Headers compared by presence: their values differ by run, their presence does not. */
const PRESENCE_HEADERS = [
  'X-Total-Count',
  'Link',
  'Content-Disposition',
  'Location',
  'X-UserToken-Response',
  'X-UserToken-AllowResubmit',
  'WWW-Authenticate',
  'Cache-Control',
  'Retry-After',
];
/** Differences listed on one line at most; the report keeps them all. */
const MAX_LISTED = 12;

/** The mock's session standing in for the proxy's. */
interface MockSession {
  readonly cookie: string;
  readonly token: string;
  readonly basic: string;
}

/**
 * Replays the recording in `dir` against the mock and compares each answer (see above). Rejects
 * with a {@link CompareError} when it cannot: no such folder, no recordings, a file that is not a
 * recorded exchange (named), or a login the mock refuses.
 */
export async function compareRecording(
  dir: string,
  options: CompareOptions = {},
): Promise<CompareReport> {
  const entries = await readRecording(dir);
  let started: MockInstance | null = null;
  if (options.url === undefined) {
    started = await startMockInstance({ port: 0, ...options.instance });
  }
  try {
    const base = new URL(options.url ?? started!.url);
    const user =
      options.user ?? entries.find((e) => e.exchange.user !== null)?.exchange.user ?? 'abel.tuter';
    const password = options.password ?? started?.db.credentialsOf(user)?.password ?? DEMO_PASSWORD;
    let session: Promise<MockSession> | null = null;
    const replay = new Replay(base, () => (session ??= logIn(base, user, password)));
    const exchanges: ExchangeComparison[] = [];
    for (const entry of entries) {
      const result = await replay.compare(entry);
      exchanges.push(result);
      options.onResult?.(result);
    }
    const matched = exchanges.filter((e) => e.match).length;
    const differed = exchanges.length - matched;
    return {
      exchanges,
      matched,
      differed,
      summary: `${exchanges.length} exchange${exchanges.length === 1 ? '' : 's'}: ${matched} match, ${differed} differ`,
    };
  } finally {
    await started?.close();
  }
}

/**
 * Logs `user` in to the mock as a browser does (the login form, then the token page), for the
 * replayed requests' cookie and `X-UserToken`.
 */
async function logIn(base: URL, user: string, password: string): Promise<MockSession> {
  let login: Response;
  try {
    login = await fetch(new URL('/login.do', base), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user_name: user, user_password: password }).toString(),
      redirect: 'manual',
    });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
    throw new CompareError(`no mock instance answers at ${base.origin} (${code})`);
  }
  const cookie = login.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .find((pair) => pair.startsWith('JSESSIONID='));
  if (login.status !== 302 || !cookie) {
    throw new CompareError(
      `the mock refused the login of "${user}": the recording's requests need a session of ` +
        'that user (give a user of the data, with its password)',
    );
  }
  const page = await fetch(new URL('/user_token.do', base), { headers: { Cookie: cookie } });
  const token = (await page.text()).trim();
  return { cookie, token, basic: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** The replay of one recording: its session, and the sys_ids its POSTs created. */
class Replay {
  /** A recorded sys_id → the mock's, for each record a POST created on both sides. */
  private readonly ids = new Map<string, string>();
  /** The sys_ids of the records the recording's POSTs created, whatever the mock did. */
  private readonly created = new Set<string>();

  constructor(
    private readonly base: URL,
    private readonly session: () => Promise<MockSession>,
  ) {}

  /** Text of the recording made for the mock: its host, and the sys_ids the mock gave. */
  private local(text: string): string {
    return text
      .replaceAll(`https://${INSTANCE_PLACEHOLDER}`, this.base.origin)
      .replaceAll(INSTANCE_PLACEHOLDER, this.base.host)
      .replace(/\b[0-9a-f]{32}\b/g, (id) => this.ids.get(id) ?? id);
  }

  private localJson(value: unknown): unknown {
    if (typeof value === 'string') {
      return this.local(value);
    }
    if (Array.isArray(value)) {
      return value.map((v) => this.localJson(v));
    }
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.localJson(v)]));
    }
    return value;
  }

  async compare({ file, exchange }: RecordingEntry): Promise<ExchangeComparison> {
    const { request, response } = exchange;
    const result = (differences: string[], notes: string[] = []): ExchangeComparison => {
      const match = differences.length === 0;
      const listed =
        differences.length > MAX_LISTED
          ? [...differences.slice(0, MAX_LISTED), `and ${differences.length - MAX_LISTED} more`]
          : differences;
      const head = `${request.method} ${request.path}`;
      const note = notes.length > 0 ? ` (${notes.join('; ')})` : '';
      return {
        file,
        seq: exchange.seq,
        method: request.method,
        path: request.path,
        match,
        differences,
        notes,
        line: match ? `MATCH  ${head}${note}` : `DIFF   ${head} : ${listed.join('; ')}${note}`,
      };
    };
    const method = request.method.toUpperCase();
    // A record the recording created: later requests name it by the mock's sys_id (below).
    const createdHere =
      method === 'POST' && response.body?.type === 'json'
        ? createdSysId(response.body.value)
        : null;
    if (createdHere !== null) {
      this.created.add(createdHere);
    }
    if (request.body?.truncated) {
      return result([
        'not replayed: the recording cut its request body (over 64 KB), so the mock would get ' +
          'another request',
      ]);
    }

    const headers = new Headers();
    for (const [header, value] of Object.entries(request.headers)) {
      const name = header.toLowerCase();
      if (value !== SESSION_VALUE) {
        headers.set(name, this.local(value));
      } else if (name === 'cookie') {
        headers.set(name, (await this.session()).cookie);
      } else if (name === 'x-usertoken') {
        headers.set(name, (await this.session()).token);
      } else if (name === 'authorization') {
        // The proxy's bearer token: the same user, authenticated the mock's simplest way.
        headers.set(name, (await this.session()).basic);
      }
    }
    const body = method === 'GET' || method === 'HEAD' ? undefined : this.requestBody(request.body);
    let answer: Response;
    try {
      // Appended to the origin: a path such as `//host/x` stays a path on the mock.
      answer = await fetch(`${this.base.origin}${this.local(request.path)}`, {
        method,
        headers,
        body,
        redirect: 'manual',
      });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
      return result([`not replayed: the mock did not answer (${code})`]);
    }
    const bytes = Buffer.from(await answer.arrayBuffer());

    const differences: string[] = [];
    const notes: string[] = [];
    if (answer.status !== response.status) {
      differences.push(`HTTP status: recorded ${response.status}, mock ${answer.status}`);
      if (answer.status === 404) {
        const unknown = (request.path.split('?')[0].match(/\b[0-9a-f]{32}\b/g) ?? []).filter(
          (id) => !this.ids.has(id),
        );
        for (const id of unknown) {
          differences.push(
            this.created.has(id)
              ? `sys_id ${id} was created by an earlier POST of the recording, which the mock did not carry out`
              : `sys_id ${id} is not in the mock's data, and no earlier POST of the recording created it`,
          );
        }
      }
    }
    const recordedHeaders = new Map(
      Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    const recordedHeader = (name: string) => {
      const value = recordedHeaders.get(name.toLowerCase());
      return typeof value === 'string' || value === undefined ? (value ?? null) : value.join(', ');
    };
    const recordedType = mediaType(recordedHeader('Content-Type'));
    const mockType = mediaType(answer.headers.get('Content-Type'));
    if (recordedType !== mockType) {
      differences.push(
        `content type: recorded ${recordedType ?? 'none'}, mock ${mockType ?? 'none'}`,
      );
    }
    for (const name of VALUE_HEADERS) {
      const recorded = recordedHeader(name);
      const mock = answer.headers.get(name);
      if (recorded !== mock) {
        differences.push(
          recorded === null
            ? `header ${name} extra (mock "${mock}")`
            : mock === null
              ? `header ${name} missing (recorded "${recorded}")`
              : `header ${name}: recorded "${recorded}", mock "${mock}"`,
        );
      }
    }
    for (const name of PRESENCE_HEADERS) {
      const recorded = recordedHeader(name) !== null;
      const mock = answer.headers.has(name);
      if (recorded && !mock) {
        differences.push(`header ${name} missing`);
      } else if (!recorded && mock) {
        differences.push(`header ${name} extra`);
      }
    }
    if (response.body?.truncated) {
      notes.push('body not compared: the recording cut it');
    } else {
      differences.push(...bodyDifferences(response.body, bytes, mockType));
    }

    const createdThere = createdHere === null ? null : createdSysId(parseJson(bytes));
    if (createdHere !== null && createdThere !== null) {
      this.ids.set(createdHere, createdThere);
    }
    return result(differences, notes);
  }

  private requestBody(body: RecordedBody | null): Uint8Array<ArrayBuffer> | undefined {
    if (body === null) {
      return undefined;
    }
    switch (body.type) {
      case 'json':
        return new TextEncoder().encode(JSON.stringify(this.localJson(body.value)));
      case 'text':
        return new TextEncoder().encode(this.local(body.value));
      case 'base64':
        return new Uint8Array(Buffer.from(body.value, 'base64'));
      case 'binary':
        // The recording kept only its length: bytes of that length stand for it.
        return new Uint8Array(body.bytes);
    }
  }
}

/** `application/json` of `application/json;charset=UTF-8`; null for none. */
function mediaType(value: string | null): string | null {
  const type = value?.split(';')[0].trim().toLowerCase();
  return type ? type : null;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** `result.sys_id` of a create's answer (a table record or an attachment). */
function createdSysId(body: unknown): string | null {
  const id = (body as { result?: { sys_id?: unknown } } | null)?.result?.sys_id;
  return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) ? id : null;
}

/** The kind of a body as the recording names it: what the dev proxy would have recorded. */
type BodyKind = 'empty' | 'JSON' | 'text' | 'binary';

function kindOfAnswer(bytes: Buffer, type: string | null): { kind: BodyKind; json?: unknown } {
  if (bytes.length === 0) {
    return { kind: 'empty' };
  }
  if (type !== null && /[/+]json$/.test(type)) {
    const json = parseJson(bytes);
    if (json !== undefined) {
      return { kind: 'JSON', json };
    }
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { kind: 'binary' };
  }
  const declaredText =
    type !== null &&
    /^text\/|[/+](json|xml)$|javascript|x-www-form-urlencoded|multipart\/form-data/.test(type);
  return { kind: declaredText || !/(?![\t\n\v\f\r])\p{Cc}/u.test(text) ? 'text' : 'binary' };
}

function kindOfRecorded(body: RecordedBody | null): BodyKind {
  if (body === null) {
    return 'empty';
  }
  return body.type === 'json' ? 'JSON' : body.type === 'text' ? 'text' : 'binary';
}

/** The body's kind, and for JSON its shape, compared. */
function bodyDifferences(
  recorded: RecordedBody | null,
  bytes: Buffer,
  type: string | null,
): string[] {
  const mock = kindOfAnswer(bytes, type);
  const recordedKind = kindOfRecorded(recorded);
  if (recordedKind !== mock.kind) {
    return [`body: recorded ${recordedKind}, mock ${mock.kind}`];
  }
  if (recorded?.type === 'json') {
    return shapeDifferences(shapeOf(recorded.value), shapeOf(mock.json));
  }
  return [];
}
