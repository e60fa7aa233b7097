// Recordings in the dev proxy's format, written straight from a mock instance: what the compare's
// specs replay without the dev proxy in between.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { RECORDING_FORMAT, RecordedExchange } from '../../recording-format/src/index';
import { logIn, MockInstanceSession } from '../src/testing';

/** A JSON answer, as far as the specs read it. */
export type JsonAnswer = { result?: { sys_id?: string } } | null;

/** A recorded exchange, open to a test's changes. */
export interface EditableExchange {
  request: { path: string; body: unknown; headers: Record<string, string> };
  response: { status: number; headers: Record<string, unknown>; body: unknown };
}

/**
 * Records requests to a mock as the dev proxy would: the session's cookie and token as
 * `[session]`, JSON bodies parsed, the host as `instance.example`.
 */
export class DirectRecorder {
  private seq = 0;

  constructor(
    readonly dir: string,
    private readonly session: MockInstanceSession,
    private readonly origin: string,
  ) {}

  /** Logs `user` in to the mock at `url`; the files go to `dir`. */
  static async start(url: string, dir: string, user = 'admin'): Promise<DirectRecorder> {
    return new DirectRecorder(dir, await logIn(url, user), new URL(url).origin);
  }

  /** Sends a request with the session, records it, and returns its JSON answer (or null). */
  async send(method: string, path: string, body?: unknown): Promise<JsonAnswer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    const answer = await this.session.fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    const json = /json/.test(answer.headers.get('content-type') ?? '')
      ? (JSON.parse(text) as JsonAnswer)
      : null;
    const host = (s: string) => s.replaceAll(this.origin, 'https://instance.example');
    const exchange: RecordedExchange = {
      format: RECORDING_FORMAT,
      seq: ++this.seq,
      user: this.session.user,
      attempts: 1,
      request: {
        method,
        path,
        headers: { ...headers, cookie: '[session]', 'x-usertoken': '[session]' },
        body:
          body === undefined
            ? null
            : { type: 'json', value: body, bytes: JSON.stringify(body).length, truncated: false },
      },
      response: {
        status: answer.status,
        headers: Object.fromEntries([...answer.headers].map(([k, v]) => [k, host(v)])),
        body:
          text === ''
            ? null
            : json !== null
              ? {
                  type: 'json',
                  value: JSON.parse(host(text)),
                  bytes: text.length,
                  truncated: false,
                }
              : { type: 'text', value: host(text), bytes: text.length, truncated: false },
      },
    };
    const name = `${String(this.seq).padStart(4, '0')}-${method}.json`;
    writeFileSync(join(this.dir, name), JSON.stringify(exchange, null, 2));
    return json;
  }

  /** Changes a recorded file, as a test plants a difference. */
  edit(seq: number, change: (exchange: EditableExchange) => void): void {
    const name = readdirSync(this.dir).find((f) => f.startsWith(String(seq).padStart(4, '0')))!;
    const exchange = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as EditableExchange;
    change(exchange);
    writeFileSync(join(this.dir, name), JSON.stringify(exchange));
  }
}
