/**
 * `ngx-user-token-mock-instance compare <dir>`: replays a recording of the dev proxy against a mock
 * and prints, for each exchange, whether the mock's answer has the recorded one's shape. Exit code
 * 0 when every exchange matches, 1 when some differ, 2 when it cannot compare.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { InstanceDataError } from '../data/instance-data';
import { compareRecording } from './compare';
import { CompareError } from './recording';

/** The subcommand's help, also part of the command line's. */
export const COMPARE_USAGE = `Usage: ngx-user-token-mock-instance compare <dir> [options]

Replays a recording made with the dev proxy (ngx-user-token-dev-proxy --record <dir>) against
the mock, request by request and in order, with a session of the mock's own where the recording
had the proxy's, and compares each answer with the recorded one: status, content type, the
headers a client decides on, and the body's shape (keys and kinds of value, not the values).
Prints MATCH or DIFF (and what differs, named by path) for each exchange, then a summary.
Exit code: 0 when all match, 1 when some differ, 2 when it cannot compare.

  --data <file>          the mock's data (as for the mock itself; default: the demo's data)
  --user <name>          log in as this user of the data (default: the recording's user); the
                         password is the one the data gives the user
  --url <url>            replay against a mock already running at <url> instead of starting
                         one (with its own data: --data and the options below do not apply)
  --password <pw>        that user's password (default: the data's; with --url, the demo's)
  --install <zip|dir>    install an application package in the mock first (repeatable)
  --invalid-query-returns-no-rows
                         as for the mock itself
  --help                 show this help`;

/**
 * Runs `compare` with the arguments after the word `compare`; resolves to the exit code. Never
 * rejects: a mistake is printed to `err`.
 */
export async function compareCommand(
  args: readonly string[],
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        data: { type: 'string' },
        user: { type: 'string' },
        url: { type: 'string' },
        password: { type: 'string' },
        install: { type: 'string', multiple: true },
        'invalid-query-returns-no-rows': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      out(COMPARE_USAGE);
      return 0;
    }
    if (positionals.length !== 1) {
      throw new CompareError(
        `compare needs one folder, the recording's: compare <dir> [options]` +
          (positionals.length > 1 ? ` (got ${positionals.join(', ')})` : ''),
      );
    }
    if (values.url !== undefined) {
      const others = ['data', 'install'].filter((name) => values[name as 'data'] !== undefined);
      if (values['invalid-query-returns-no-rows']) {
        others.push('invalid-query-returns-no-rows');
      }
      if (others.length > 0) {
        throw new CompareError(
          `--url replays against a running mock, with its own data and options: ` +
            `${others.map((o) => `--${o}`).join(', ')} cannot apply`,
        );
      }
    }
    const report = await compareRecording(positionals[0], {
      url: values.url,
      user: values.user,
      password: values.password,
      instance: {
        data: values.data,
        install: (values.install ?? []).map((path) => resolve(path)),
        invalidQueryReturnsNoRows: values['invalid-query-returns-no-rows'],
        // A dropped query condition is worth seeing beside the exchange it belongs to.
        log: (line) => err(`mock instance: ${line}`),
      },
      onResult: (result) => out(result.line),
    });
    out(report.summary);
    return report.differed === 0 ? 0 : 1;
  } catch (error) {
    const known = error instanceof CompareError || error instanceof InstanceDataError;
    err(`mock instance compare: ${error instanceof Error ? error.message : String(error)}`);
    if (!known) {
      err('Run it with compare --help for the options.');
    }
    return 2;
  }
}
