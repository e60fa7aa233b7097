/**
 * One file of a recording: what the dev proxy writes for each request it forwarded to the
 * instance (`--record <dir>`), with the instance's answer, secrets scrubbed; and what the mock
 * instance's `compare` reads back and replays.
 */

/** The `format` of every recorded file; `compare` refuses any other. */
export const RECORDING_FORMAT = 'ngx-user-token-recording/1';
/** The host that stands for the instance's in a recording: `https://instance.example/api/...`. */
export const INSTANCE_PLACEHOLDER = 'instance.example';
/** What a removed secret becomes. */
export const SCRUBBED = '[scrubbed]';
/** A credential of the proxy's own session (its cookie, its token, its bearer token). */
export const SESSION_VALUE = '[session]';
/** Bytes of a body kept in a recording; beyond it the body is cut and marked `truncated`. */
export const BODY_CAP = 64 * 1024;

/**
 * A body as recorded: JSON parsed, text as text, bytes of a request as base64 (a replay sends them
 * again), bytes of an answer by their length only. `bytes` is the body's length as it came (before
 * any `Content-Encoding` was undone); `truncated` says only its first {@link BODY_CAP} bytes were
 * kept (a cut JSON body is kept as text).
 */
export type RecordedBody =
  | {
      readonly type: 'json';
      readonly value: unknown;
      readonly bytes: number;
      readonly truncated: false;
    }
  | {
      readonly type: 'text';
      readonly value: string;
      readonly bytes: number;
      readonly truncated: boolean;
    }
  | {
      readonly type: 'base64';
      readonly value: string;
      readonly bytes: number;
      readonly truncated: boolean;
    }
  | { readonly type: 'binary'; readonly bytes: number; readonly truncated: boolean };

/** One recorded exchange: the content of one file of a recording. */
export interface RecordedExchange {
  readonly format: typeof RECORDING_FORMAT;
  /** Its place in the recording: 1 for the first request the proxy forwarded. */
  readonly seq: number;
  /** The user of the proxy's session, as the instance named it (null when it would not say). */
  readonly user: string | null;
  /** How many times the proxy sent it (2 when a refusal was dealt with and it was sent again). */
  readonly attempts: number;
  readonly request: {
    readonly method: string;
    /** Path and query, as the browser asked for them (secret parameters scrubbed). */
    readonly path: string;
    /** The headers that decide how an instance answers. */
    readonly headers: Readonly<Record<string, string>>;
    readonly body: RecordedBody | null;
  };
  /** The instance's answer to the last attempt, before the proxy rewrote it for the browser. */
  readonly response: {
    readonly status: number;
    readonly headers: Readonly<Record<string, string | readonly string[]>>;
    readonly body: RecordedBody | null;
  };
}
