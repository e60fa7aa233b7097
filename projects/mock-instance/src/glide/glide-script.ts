/**
 * `javascript:` values in encoded queries: the `gs.*` helpers that query builders and the
 * condition builder write (`opened_at>=javascript:gs.daysAgoStart(7)`), evaluated without any
 * script engine. Only the calls listed in {@link GLIDE_FUNCTIONS} are understood; anything else is
 * an {@link UnsupportedScript}, which the Table API answers with a 400 — a stand-in must never
 * answer a query it did not understand with a silently wrong result.
 *
 * Semantics (ServiceNow's GlideSystem reference): every helper returns a date-time
 * `YYYY-MM-DD HH:mm:ss` in UTC "adjusted for the timezone" of the session; every seeded user is on
 * GMT, so no adjustment applies. `daysAgo(n)` is now minus n days; `…Start`/`…End` are the first
 * and last second of that day, hour or minute; `dateGenerate(date, time)` joins a date with a time,
 * where the time may be `'start'` (00:00:00) or `'end'` (23:59:59); with one argument it is the
 * whole `YYYY-MM-DD HH:mm:ss` (as query builders write it).
 */

import { glideDateTime } from '../data/seed';

export interface ScriptContext {
  /** The calling user's sys_id and user name. */
  readonly userId: string;
  readonly userName: string;
  /** Now, in epoch milliseconds. */
  readonly now: number;
}

/** A `javascript:` value the mock does not evaluate, in the query or in a field of a write. */
export class UnsupportedScript extends Error {
  constructor(
    readonly expression: string,
    where = 'the query',
  ) {
    super(`Unsupported javascript: expression in ${where}: ${expression}`);
  }
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** `YYYY-MM-DD HH:mm:ss` in UTC; null past what a date can hold. */
function format(ms: number): string | null {
  return Number.isNaN(new Date(ms).getTime()) ? null : glideDateTime(ms);
}

const startOf = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const endOf = (ms: number, unit: number) => startOf(ms, unit) + unit - 1000;

function startOfMonth(ms: number, monthsFromNow = 0): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + monthsFromNow, 1);
}

type Argument = string | number;
type GlideFunction = (context: ScriptContext, args: readonly Argument[]) => string | null;

const count = (args: readonly Argument[]) =>
  args.length === 1 && typeof args[0] === 'number' && Number.isInteger(args[0]) ? args[0] : null;
const none = (args: readonly Argument[]) => args.length === 0;
const at = (ms: number | null) => (ms === null ? null : format(ms));
const ago = (args: readonly Argument[], unit: number, now: number, edge?: 'start' | 'end') => {
  const n = count(args);
  if (n === null) {
    return null;
  }
  const then = now - n * unit;
  return format(edge === 'start' ? startOf(then, unit) : edge === 'end' ? endOf(then, unit) : then);
};

/** The helpers evaluated, by name. Each returns null when its arguments do not fit. */
export const GLIDE_FUNCTIONS: Readonly<Record<string, GlideFunction>> = {
  getUserID: (c, a) => (none(a) ? c.userId : null),
  getUserName: (c, a) => (none(a) ? c.userName : null),
  now: (c, a) => (none(a) ? (format(c.now)?.slice(0, 10) ?? null) : null),
  nowDateTime: (c, a) => (none(a) ? format(c.now) : null),
  daysAgo: (c, a) => ago(a, DAY, c.now),
  daysAgoStart: (c, a) => ago(a, DAY, c.now, 'start'),
  daysAgoEnd: (c, a) => ago(a, DAY, c.now, 'end'),
  hoursAgo: (c, a) => ago(a, HOUR, c.now),
  hoursAgoStart: (c, a) => ago(a, HOUR, c.now, 'start'),
  hoursAgoEnd: (c, a) => ago(a, HOUR, c.now, 'end'),
  minutesAgo: (c, a) => ago(a, MINUTE, c.now),
  minutesAgoStart: (c, a) => ago(a, MINUTE, c.now, 'start'),
  minutesAgoEnd: (c, a) => ago(a, MINUTE, c.now, 'end'),
  beginningOfToday: (c, a) => at(none(a) ? startOf(c.now, DAY) : null),
  endOfToday: (c, a) => at(none(a) ? endOf(c.now, DAY) : null),
  beginningOfYesterday: (c, a) => at(none(a) ? startOf(c.now - DAY, DAY) : null),
  endOfYesterday: (c, a) => at(none(a) ? endOf(c.now - DAY, DAY) : null),
  beginningOfTomorrow: (c, a) => at(none(a) ? startOf(c.now + DAY, DAY) : null),
  endOfTomorrow: (c, a) => at(none(a) ? endOf(c.now + DAY, DAY) : null),
  beginningOfThisMonth: (c, a) => at(none(a) ? startOfMonth(c.now) : null),
  endOfThisMonth: (c, a) => at(none(a) ? startOfMonth(c.now, 1) - 1000 : null),
  beginningOfLastMonth: (c, a) => at(none(a) ? startOfMonth(c.now, -1) : null),
  endOfLastMonth: (c, a) => at(none(a) ? startOfMonth(c.now) - 1000 : null),
  dateGenerate: (c, a) => {
    // Query builders also write the one-argument form, `gs.dateGenerate('2026-01-06 09:30:00')`.
    const [date, time] =
      a.length === 1 && typeof a[0] === 'string' && a[0].includes(' ') ? a[0].split(' ') : a;
    if (
      (a.length !== 1 && a.length !== 2) ||
      typeof date !== 'string' ||
      typeof time !== 'string'
    ) {
      return null;
    }
    const clock = time === 'start' ? '00:00:00' : time === 'end' ? '23:59:59' : time;
    const value = `${date} ${clock}`;
    // A real date and time only: 2026-02-30 or 25:00:00 do not round-trip.
    return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) &&
      format(Date.parse(`${date}T${clock}Z`)) === value
      ? value
      : null;
  },
};

/** `gs.name(args)`: a call with number or quoted-string arguments, nothing else. */
const CALL = /^\s*gs\.([A-Za-z]+)\s*\(([^()]*)\)\s*;?\s*$/;
const ARGUMENT = /^\s*(?:(-?\d+)|'([^'\\]*)'|"([^"\\]*)")\s*$/;

const PREFIX = 'javascript:';

/** True when an encoded-query value is a script (`javascript:...`). */
export function isScript(value: string): boolean {
  return value.startsWith(PREFIX);
}

/**
 * The value a `javascript:` expression stands for. Throws {@link UnsupportedScript} for anything
 * but a call of a supported helper with fitting arguments.
 */
export function evaluateScript(value: string, context: ScriptContext): string {
  const expression = value.slice(PREFIX.length);
  const call = CALL.exec(expression);
  const fn = call && Object.hasOwn(GLIDE_FUNCTIONS, call[1]) ? GLIDE_FUNCTIONS[call[1]] : null;
  const args = call && fn ? parseArguments(call[2]) : null;
  const result = fn && args ? fn(context, args) : null;
  if (result === null) {
    throw new UnsupportedScript(value);
  }
  return result;
}

function parseArguments(text: string): Argument[] | null {
  if (text.trim() === '') {
    return [];
  }
  const args: Argument[] = [];
  for (const part of text.split(',')) {
    const match = ARGUMENT.exec(part);
    if (!match) {
      return null;
    }
    args.push(match[1] !== undefined ? Number(match[1]) : (match[2] ?? match[3]));
  }
  return args;
}
