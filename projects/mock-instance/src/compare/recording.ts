/**
 * A recording as the dev proxy writes it (`ngx-user-token-dev-proxy --record <dir>`): one JSON file
 * per request it forwarded to the instance, with the instance's answer, secrets scrubbed. Read and
 * checked with `zod` here: a file that is not a recorded exchange is named, with what is wrong.
 *
 * In a recording, `[session]` stands where the proxy's session put a credential (its cookie, its
 * `X-UserToken`, its bearer token), `[scrubbed]` where any other secret was, and
 * `instance.example` for the instance's host.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { z } from 'zod';

import { RECORDING_FORMAT, RecordedExchange } from '../../../recording-format/src/index';

const bytes = z.number().int().nonnegative();
const bodySchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('json'), value: z.unknown(), bytes, truncated: z.literal(false) }),
    z.object({ type: z.literal('text'), value: z.string(), bytes, truncated: z.boolean() }),
    z.object({ type: z.literal('base64'), value: z.base64(), bytes, truncated: z.boolean() }),
    z.object({ type: z.literal('binary'), bytes, truncated: z.boolean() }),
  ])
  .nullable();

const exchangeSchema = z.object({
  format: z.literal(RECORDING_FORMAT),
  seq: z.number().int().positive(),
  user: z.string().nullable(),
  attempts: z.number().int().positive(),
  request: z.object({
    method: z.string().regex(/^[A-Za-z]+$/, 'an HTTP method'),
    path: z.string().startsWith('/', 'a path starting with /'),
    headers: z.record(z.string(), z.string()),
    body: bodySchema,
  }),
  response: z.object({
    status: z.number().int().min(100).max(599),
    headers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    body: bodySchema,
  }),
});

// What the schema lets through is a `RecordedExchange`, the format's written-out type (so that a
// user's project needs no zod types to compile against it).
type Fits<A, B> = A extends B ? true : never;
const schemaFits: Fits<z.output<typeof exchangeSchema>, RecordedExchange> = true;
void schemaFits;

/** A recorded exchange and the file it came from. */
export interface RecordingEntry {
  /** The file, as `<dir>/<name>`. */
  readonly file: string;
  readonly exchange: RecordedExchange;
}

/**
 * Why a recording cannot be compared (no such folder, no recordings, a file that cannot be read
 * or is not a recorded exchange), or the mock cannot be used for it; its message names the folder
 * or the file.
 */
export class CompareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareError';
  }
}

/** `request.headers.accept`, `response.status`: where in a file a problem is. */
function pathOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(the file)' : path.map(String).join('.');
}

/**
 * Reads every `*.json` file of a recording's folder, in the recording's order (`seq`). Rejects
 * with a {@link CompareError} naming the folder or the file.
 */
export async function readRecording(dir: string): Promise<RecordingEntry[]> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) {
      throw new CompareError(`${dir} is not a folder: give the folder the dev proxy recorded into`);
    }
    names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  } catch (error) {
    if (error instanceof CompareError) {
      throw error;
    }
    const code = (error as { code?: string }).code;
    throw new CompareError(
      code === 'ENOENT'
        ? `${dir}: no such folder`
        : `cannot read the folder ${dir} (${code ?? String(error)})`,
    );
  }
  if (names.length === 0) {
    throw new CompareError(
      `no recordings in ${dir}: record some with the dev proxy (ngx-user-token-dev-proxy ` +
        `--instance <url> --record ${dir})`,
    );
  }
  const entries: RecordingEntry[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CompareError(
        `cannot read ${file} (${(error as { code?: string }).code ?? String(error)})`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new CompareError(`${file} is not JSON: ${(error as Error).message}`);
    }
    const format = (json as { format?: unknown } | null)?.format;
    if (format !== RECORDING_FORMAT) {
      throw new CompareError(
        `${file} is not a recorded exchange: its format is ${JSON.stringify(format ?? null)}, ` +
          `expected "${RECORDING_FORMAT}"`,
      );
    }
    const parsed = exchangeSchema.safeParse(json);
    if (!parsed.success) {
      throw new CompareError(
        `${file} is not a recorded exchange:\n` +
          parsed.error.issues.map((i) => `  - ${pathOf(i.path)}: ${i.message}`).join('\n'),
      );
    }
    entries.push({ file, exchange: parsed.data });
  }
  return entries.sort(
    (a, b) => a.exchange.seq - b.exchange.seq || a.file.localeCompare(b.file, 'en'),
  );
}
