/**
 * The dev proxy's recording (`--record <dir>`): each request it forwarded to the instance, with the
 * instance's answer to it, written as one JSON file (`0001-GET-api-now-table-incident.json`),
 * scrubbed of secrets first (see `recording.ts`). Writing happens after the answer went to the
 * browser and never holds it up; a failed write is said once and recording goes on.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';

import { BODY_CAP, RECORDING_FORMAT, RecordedExchange } from '../../recording-format/src/index';
import {
  CapturedBody,
  recordedBody,
  recordedRequestHeaders,
  recordedResponseHeaders,
  Scrubber,
} from './recording';

/** What the proxy hands the recorder once the instance answered a request for the last time. */
export interface ExchangeToRecord {
  readonly seq: number;
  readonly attempts: number;
  readonly method: string;
  /** The request target as the browser sent it (`req.url`). */
  readonly target: string;
  /** The request's headers as the proxy sent them to the instance. */
  readonly requestHeaders: IncomingHttpHeaders;
  readonly requestBody: Buffer;
  readonly status: number;
  readonly responseHeaders: IncomingHttpHeaders;
  readonly responseBody: CapturedBody;
}

/** What the recorder needs to know of the proxy's session, read when an exchange is recorded. */
export interface RecordedSession {
  /** The session's user, as the instance named it. */
  readonly user: () => string | null;
  /** Every value of the session that is a secret now: its token, cookie values, password. */
  readonly secrets: () => readonly string[];
  /** Whether `Authorization` on a forwarded request is the session's own (bearer mode). */
  readonly authorizes: boolean;
}

/**
 * Writes the exchanges of one proxy into one folder: numbers them in the order they are forwarded
 * ({@link Recorder.next}), scrubs and writes each once answered ({@link Recorder.record}).
 */
export class Recorder {
  private seq = 0;
  private pending = new Set<Promise<void>>();
  private failed = false;
  private readonly scrubber: Scrubber;

  private constructor(
    /** The recording's folder, absolute. */
    readonly dir: string,
    instance: URL,
    private readonly session: RecordedSession,
    private readonly log: (line: string) => void,
  ) {
    this.scrubber = new Scrubber(instance);
  }

  /** Creates the folder (and its parents) and a recorder writing into it; rejects if it cannot. */
  static async open(
    dir: string,
    instance: URL,
    session: RecordedSession,
    log: (line: string) => void,
  ): Promise<Recorder> {
    const absolute = resolve(dir);
    await mkdir(absolute, { recursive: true });
    return new Recorder(absolute, instance, session, log);
  }

  /** The place of the next request forwarded, in the order the proxy forwards them. */
  next(): number {
    return ++this.seq;
  }

  /**
   * Scrubs and writes an exchange, later: returns at once. The session's secrets are read now, so
   * that a token that rotates before the write is still scrubbed.
   */
  record(exchange: ExchangeToRecord): void {
    this.scrubber.addSecrets(this.session.secrets());
    const user = this.session.user();
    // Scrubbing and writing wait for the next turn of the event loop: the answer goes out first.
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.write(exchange, user))
      .catch((error: unknown) => {
        if (!this.failed) {
          this.failed = true;
          const reason = (error as { code?: string }).code ?? String(error);
          this.log(
            `WARNING: cannot write the recording to ${this.dir} (${reason}): the proxy goes on ` +
              'forwarding; exchanges that cannot be written are not recorded',
          );
        }
      })
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  /** Resolves once every exchange recorded so far is written (or its write failed). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all([...this.pending]);
    }
  }

  private async write(exchange: ExchangeToRecord, user: string | null): Promise<void> {
    const scrub = this.scrubber;
    const header = (name: string) => {
      const value = exchange.requestHeaders[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const requestBody = await recordedBody(
      {
        head: exchange.requestBody.subarray(0, BODY_CAP),
        bytes: exchange.requestBody.length,
        contentType: header('content-type'),
        contentEncoding: header('content-encoding'),
      },
      scrub,
      'base64',
    );
    const file: RecordedExchange = {
      format: RECORDING_FORMAT,
      seq: exchange.seq,
      user,
      attempts: exchange.attempts,
      request: {
        method: exchange.method,
        path: scrub.path(exchange.target),
        headers: recordedRequestHeaders(exchange.requestHeaders, scrub, this.session.authorizes),
        body: requestBody,
      },
      response: {
        status: exchange.status,
        headers: recordedResponseHeaders(exchange.responseHeaders, scrub),
        body: await recordedBody(exchange.responseBody, scrub, 'length'),
      },
    };
    const name = fileName(exchange.seq, exchange.method, exchange.target);
    await writeFile(join(this.dir, name), `${JSON.stringify(file, null, 2)}\n`);
  }
}

/**
 * `0001-GET-api-now-table-incident.json`: the place, the method and the path (without its query,
 * at most 60 characters), so that a listing reads as the conversation did.
 */
export function fileName(seq: number, method: string, target: string): string {
  const path = target.split('?')[0];
  const slug =
    path
      .replace(/[^A-Za-z0-9_.]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'root';
  const verb = method.replace(/[^A-Za-z]/g, '').toUpperCase() || 'METHOD';
  return `${String(seq).padStart(4, '0')}-${verb}-${slug}.json`;
}

/**
 * Collects the first {@link BODY_CAP} bytes of an answer streaming to the browser, beside the
 * pipe (it neither pauses nor slows it), and calls `done` once, when the answer ended or broke off.
 */
export function captureBody(
  stream: Readable,
  headers: IncomingHttpHeaders,
  done: (body: CapturedBody) => void,
): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  let bytes = 0;
  let finished = false;
  let complete = false;
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const finish = () => {
    if (!finished) {
      finished = true;
      done({
        head: Buffer.concat(chunks),
        bytes,
        contentType: header('content-type'),
        contentEncoding: header('content-encoding'),
        complete,
      });
    }
  };
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (kept < BODY_CAP) {
      const part = chunk.subarray(0, BODY_CAP - kept);
      chunks.push(part);
      kept += part.length;
    }
  });
  stream.on('end', () => {
    complete = true;
    finish();
  });
  stream.on('close', finish);
}
