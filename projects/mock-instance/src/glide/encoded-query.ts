/**
 * ServiceNow encoded queries (`sysparm_query`): parsing and matching, as an instance reads them.
 *
 * Sources: ServiceNow's docs "Encoded query strings" (`^`, `^OR`, `^NQ`, `ORDERBY`, `RLQUERY`) and
 * "Operators available for filters and queries" (every operator below, by field type), the Table
 * API's note on invalid queries, and ServiceNow's own GlideRecord-style REST client (PySNC) for the
 * `JOIN` term it writes.
 *
 * - `a=1^b=2` is AND, `a=1^ORb=2` ORs a condition with the one before it, `a=1^NQb=2` starts a new
 *   query OR'ed with the previous ones, `ORDERBYfield` / `ORDERBYDESCfield` sort, `^EQ` ends the
 *   query, and `^^` is a literal caret. `javascript:` values are evaluated by `evaluateScripts`.
 * - Comparisons of text are case-insensitive, as an instance's database compares them
 *   (`short_descriptionLIKEvpn` finds "VPN drops"); numbers compare as numbers.
 * - `JOIN<table>.<field>=<other>.<field>!<conditions>` keeps the records that some record of the
 *   other table matches on those fields and conditions; its conditions run to the next `JOIN`,
 *   `RLQUERY`, `^NQ` or the end (where an instance ends them is unverified: PySNC only writes them
 *   last). `RLQUERY<table>.<reference>,<op><n>[,<conditions>]^ENDRLQUERY` keeps the records that
 *   `<op> n` records of `<table>` reference (through `<reference>`) with those conditions.
 * - An invalid condition (an unknown field, an unknown operator, a malformed value) is dropped, as
 *   an instance drops it, and listed in `ignored` with the reason, so the server can say so.
 * - Operators the docs list that make no sense on a stored record (`VALCHANGES`, `CHANGESFROM`,
 *   `CHANGESTO`), or that this mock deliberately does not evaluate (`DATEPART`, the tag operators,
 *   `SUBQUERY`, text search), throw an {@link UnsupportedQuery}: a 400, never a silently wrong list.
 */

import { glideDateTime } from '../data/seed';
import { evaluateScript, isScript, ScriptContext } from './glide-script';

/** Spellings of an operator that mean the same as another (the docs list both). */
const ALIASES: Readonly<Record<string, Operator>> = {
  '*': 'LIKE',
  CONTAINS: 'LIKE',
  '!*': 'NOT LIKE',
  'DOES NOT CONTAIN': 'NOT LIKE',
  '%': 'ENDSWITH',
};

/** Listed by the docs, deliberately not evaluated here: a 400 that names them. */
const UNSUPPORTED = [
  'VALCHANGES',
  'CHANGESFROM',
  'CHANGESTO',
  'DATEPART',
  'DOESNOTHAVE',
  'EXCLUDING',
] as const;

const OPERATORS = [
  '=',
  '!=',
  'LIKE',
  'NOT LIKE',
  'STARTSWITH',
  'ENDSWITH',
  'IN',
  'NOT IN',
  'ISEMPTY',
  'ISNOTEMPTY',
  'EMPTYSTRING',
  'ANYTHING',
  '<',
  '<=',
  '>',
  '>=',
  'BETWEEN',
  'ON',
  'NOTON',
  'SAMEAS',
  'NSAMEAS',
  'GT_FIELD',
  'LT_FIELD',
  'GT_OR_EQUALS_FIELD',
  'LT_OR_EQUALS_FIELD',
  'MORETHAN',
  'LESSTHAN',
  'RELATIVEGT',
  'RELATIVELT',
  'DYNAMIC',
] as const;

/** An operator, by its canonical spelling. */
export type Operator = (typeof OPERATORS)[number];

/** Every spelling, longest first, so that `<=` is not read as `<` nor `NOTON` as `NOT…`. */
const SPELLINGS: readonly string[] = [...OPERATORS, ...Object.keys(ALIASES), ...UNSUPPORTED].sort(
  (a, b) => b.length - a.length,
);

/** Operators that take no value. */
const NO_VALUE = new Set<Operator>(['ISEMPTY', 'ISNOTEMPTY', 'EMPTYSTRING', 'ANYTHING']);
/** Operators whose value names another field of the record (before an optional `@…`). */
const FIELD_VALUED = new Set<Operator>([
  'SAMEAS',
  'NSAMEAS',
  'GT_FIELD',
  'LT_FIELD',
  'GT_OR_EQUALS_FIELD',
  'LT_OR_EQUALS_FIELD',
  'MORETHAN',
  'LESSTHAN',
]);

/** The dynamic filter option "Me" (`caller_idDYNAMIC<its sys_id>`), as the docs show it. */
export const DYNAMIC_ME = '54635e965f510100a9ad2572f2b4774c';

/** Time units of `RELATIVE*`, `MORETHAN`, `LESSTHAN` and `SAMEAS …@unit`, in milliseconds. */
const UNITS: Readonly<Record<string, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  quarter: 91 * 86_400_000,
  year: 365 * 86_400_000,
};

export interface Condition {
  readonly field: string;
  readonly operator: Operator;
  readonly value: string;
}

export interface OrderBy {
  readonly field: string;
  readonly descending: boolean;
}

/** `JOIN<table>.<field>=<other>.<otherField>!<query>`. */
export interface JoinQuery {
  readonly field: string;
  readonly table: string;
  readonly otherField: string;
  readonly query: EncodedQuery;
}

/** `RLQUERY<table>.<reference>,<comparator><count>,<query>^ENDRLQUERY`. */
export interface RelatedListQuery {
  readonly table: string;
  readonly reference: string;
  readonly comparator: '=' | '!=' | '<' | '<=' | '>' | '>=';
  readonly count: number;
  readonly query: EncodedQuery;
}

/** A term that was dropped, and why (said to the developer; an instance says nothing). */
export interface IgnoredTerm {
  readonly term: string;
  readonly reason: string;
}

export interface EncodedQuery {
  /** Queries OR'ed together (`^NQ`); each is an AND of groups of OR'ed conditions. */
  readonly queries: readonly (readonly (readonly Condition[])[])[];
  readonly orderBy: readonly OrderBy[];
  /** Joins and related-list conditions, AND'ed with the rest. */
  readonly joins: readonly JoinQuery[];
  readonly related: readonly RelatedListQuery[];
  /** Terms that were not understood and are dropped. */
  readonly ignored: readonly IgnoredTerm[];
}

/** What the parser may ask of the tables: which fields a table has. */
export interface QuerySchema {
  /** The table the query is on. */
  readonly table: string;
  /** Whether `table` has `field` (dot-walks included); false for a table that does not exist. */
  hasField(table: string, field: string): boolean;
}

/** A query the mock will not answer, with a reason for the 400. */
export class UnsupportedQuery extends Error {
  constructor(
    readonly term: string,
    reason: string,
  ) {
    super(`Unsupported encoded query term ${term}: ${reason}`);
  }
}

const FIELD = /^[a-z0-9_]+(\.[a-z0-9_]+)*/;
const FIELD_ONLY = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;

const EMPTY: EncodedQuery = { queries: [], orderBy: [], joins: [], related: [], ignored: [] };

/**
 * Parses an encoded query. What it cannot read is dropped and listed in `ignored`; it throws only
 * {@link UnsupportedQuery}, for the operators above that it will not evaluate. Without a schema,
 * every field is taken to exist.
 */
export function parseEncodedQuery(
  query: string,
  schema: QuerySchema | ((field: string) => boolean) = () => true,
): EncodedQuery {
  const tables: QuerySchema =
    typeof schema === 'function' ? { table: '', hasField: (_t, field) => schema(field) } : schema;
  return parseTerms(splitTerms(query), tables.table, tables);
}

function parseTerms(terms: string[], table: string, schema: QuerySchema): EncodedQuery {
  const queries: Condition[][][] = [[]];
  const orderBy: OrderBy[] = [];
  const joins: JoinQuery[] = [];
  const related: RelatedListQuery[] = [];
  const ignored: IgnoredTerm[] = [];
  const has = (field: string) => schema.hasField(table, field);
  let sawCondition = false;

  for (let i = 0; i < terms.length; i++) {
    const raw = terms[i];
    let term = raw;
    if (term === '' || term === 'EQ') {
      continue;
    }
    if (/^(123TEXTQUERY321|123TEXTINDEXGROUP321|SUBQUERY)/.test(term)) {
      throw new UnsupportedQuery(raw, 'text search and SUBQUERY are not implemented by this mock');
    }
    const order = /^ORDERBY(DESC)?(.*)$/.exec(term);
    if (order) {
      if (FIELD_ONLY.test(order[2]) && has(order[2])) {
        orderBy.push({ field: order[2], descending: order[1] === 'DESC' });
      } else {
        ignored.push({ term: raw, reason: `no field ${order[2]} to order by` });
      }
      continue;
    }
    if (term.startsWith('RLQUERY')) {
      const end = terms.indexOf('ENDRLQUERY', i + 1);
      const body = terms.slice(i, end < 0 ? terms.length : end);
      i = end < 0 ? terms.length : end;
      const parsed = relatedListQuery(body, schema);
      if (typeof parsed === 'string') {
        ignored.push({ term: body.join('^'), reason: parsed });
      } else {
        related.push(parsed);
      }
      continue;
    }
    if (term.startsWith('JOIN')) {
      let end = i + 1;
      while (end < terms.length && !/^(JOIN|RLQUERY|NQ|ORDERBY)/.test(terms[end])) {
        end++;
      }
      const parsed = joinQuery(terms.slice(i, end), table, schema);
      if (typeof parsed === 'string') {
        ignored.push({ term: terms.slice(i, end).join('^'), reason: parsed });
      } else {
        joins.push(parsed);
      }
      i = end - 1;
      continue;
    }
    let joinWithOr = false;
    if (term.startsWith('NQ')) {
      if (sawCondition) {
        queries.push([]);
      }
      term = term.slice(2);
    } else if (term.startsWith('OR')) {
      joinWithOr = true;
      term = term.slice(2);
    }
    if (term === '') {
      continue;
    }
    const condition = parseCondition(term, has);
    if (typeof condition === 'string') {
      ignored.push({ term: raw, reason: condition });
      continue;
    }
    const groups = queries[queries.length - 1];
    if (joinWithOr && groups.length > 0) {
      groups[groups.length - 1].push(condition);
    } else {
      groups.push([condition]);
    }
    sawCondition = true;
  }
  return { queries: queries.filter((q) => q.length > 0), orderBy, joins, related, ignored };
}

/** `JOINincident.sys_id=problem.incident!active=true` (PySNC writes `!` even with no conditions). */
function joinQuery(terms: string[], table: string, schema: QuerySchema): JoinQuery | string {
  const head = /^JOIN([a-z0-9_]+)\.([a-z0-9_]+)=([a-z0-9_]+)\.([a-z0-9_]+)!(.*)$/.exec(terms[0]);
  if (!head) {
    return 'a JOIN must read JOIN<table>.<field>=<table>.<field>!<conditions>';
  }
  const [, base, field, other, otherField, first] = head;
  if (table !== '' && base !== table) {
    return `the JOIN starts from ${base}, the query is on ${table}`;
  }
  if (!schema.hasField(table, field) || !schema.hasField(other, otherField)) {
    return `no field ${!schema.hasField(table, field) ? `${field} on ${base}` : `${otherField} on ${other}`}`;
  }
  return {
    field,
    table: other,
    otherField,
    query: parseTerms([first, ...terms.slice(1)], other, schema),
  };
}

/** `RLQUERYincident.problem_id,>=1,priority=1` (then more conditions, up to `ENDRLQUERY`). */
function relatedListQuery(terms: string[], schema: QuerySchema): RelatedListQuery | string {
  const head = /^RLQUERY([a-z0-9_]+)\.([a-z0-9_]+),(<=|>=|!=|=|<|>)(\d+)(?:,(.*))?$/.exec(terms[0]);
  if (!head) {
    return 'a related list query must read RLQUERY<table>.<reference>,<operator><count>[,<conditions>]^ENDRLQUERY';
  }
  const [, table, reference, comparator, count, first] = head;
  if (!schema.hasField(table, reference)) {
    return `no field ${reference} on ${table}`;
  }
  return {
    table,
    reference,
    comparator: comparator as RelatedListQuery['comparator'],
    count: Number(count),
    query: parseTerms([first ?? '', ...terms.slice(1)], table, schema),
  };
}

/** Splits on `^`, keeping `^^` as a literal caret inside a term. */
function splitTerms(query: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < query.length; i++) {
    const ch = query[i];
    if (ch === '^') {
      if (query[i + 1] === '^') {
        current += '^';
        i++;
      } else {
        terms.push(current);
        current = '';
      }
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms;
}

/** A condition, or why it is dropped. */
function parseCondition(term: string, has: (field: string) => boolean): Condition | string {
  const field = FIELD.exec(term)?.[0];
  if (!field) {
    return 'no field name';
  }
  const rest = term.slice(field.length);
  const spelling = SPELLINGS.find((op) => rest.startsWith(op));
  if (!spelling) {
    return `no operator an instance knows after ${field}`;
  }
  if ((UNSUPPORTED as readonly string[]).includes(spelling)) {
    throw new UnsupportedQuery(
      term,
      spelling === 'DATEPART'
        ? 'DATEPART (trend) is not implemented by this mock'
        : spelling.startsWith('D') || spelling.startsWith('E')
          ? 'the tag operators are not implemented by this mock'
          : `${spelling} applies to a record being updated (notifications, business rules), not to a query`,
    );
  }
  if (!has(field)) {
    return `no field ${field}`;
  }
  const operator = Object.hasOwn(ALIASES, spelling) ? ALIASES[spelling] : (spelling as Operator);
  const value = rest.slice(spelling.length);
  const malformed = malformedValue(operator, value, has);
  return malformed === null ? { field, operator, value } : malformed;
}

/** Why a value does not fit its operator, or null. */
function malformedValue(
  operator: Operator,
  value: string,
  has: (field: string) => boolean,
): string | null {
  const parts = value.split('@');
  if (NO_VALUE.has(operator)) {
    return value === '' ? null : `${operator} takes no value`;
  }
  if (operator === 'BETWEEN') {
    return parts.length === 2 ? null : 'BETWEEN takes <low>@<high>';
  }
  // The condition builder's "on": `fieldONLabel@start@end`, as in `ONToday@javascript:...@...`.
  if (operator === 'ON' || operator === 'NOTON') {
    return parts.length === 3 ? null : `${operator} takes <label>@<start>@<end>`;
  }
  if (FIELD_VALUED.has(operator)) {
    if (!has(parts[0])) {
      return `no field ${parts[0]} to compare with`;
    }
    if (operator === 'MORETHAN' || operator === 'LESSTHAN') {
      return parts.length === 4 &&
        Object.hasOwn(UNITS, parts[1]) &&
        (parts[2] === 'before' || parts[2] === 'after') &&
        /^\d+$/.test(parts[3])
        ? null
        : `${operator} takes <field>@<unit>@before|after@<count>`;
    }
    return parts.length === 1 || (parts.length === 2 && Object.hasOwn(UNITS, parts[1]))
      ? null
      : `${operator} takes <field>[@<unit>]`;
  }
  if (operator === 'RELATIVEGT' || operator === 'RELATIVELT') {
    return parts.length === 4 &&
      parts[0] === '' &&
      Object.hasOwn(UNITS, parts[1]) &&
      (parts[2] === 'ago' || parts[2] === 'ahead') &&
      /^\d+$/.test(parts[3])
      ? null
      : `${operator} takes @<unit>@ago|ahead@<count>`;
  }
  return null;
}

/** Reads a record's field value as a string ('' when empty). */
export type FieldReader = (field: string) => string;

/** The records of a table, for joins and related-list conditions. */
export type TableReader = (table: string) => readonly FieldReader[];

/**
 * The query with every `javascript:` value replaced by what it stands for (see
 * `glide-script.ts`), the parts of a `BETWEEN` or `ON` range one by one; `RELATIVE…` turned into
 * the moment it means, and `DYNAMIC` "Me" into the caller. Throws `UnsupportedScript` for a
 * script it cannot evaluate, and {@link UnsupportedQuery} for another dynamic filter.
 */
export function evaluateScripts(query: EncodedQuery, context: ScriptContext): EncodedQuery {
  const evaluate = (value: string) => (isScript(value) ? evaluateScript(value, context) : value);
  const resolve = (condition: Condition): Condition => {
    const { operator, value } = condition;
    if (operator === 'RELATIVEGT' || operator === 'RELATIVELT') {
      const [, unit, direction, count] = value.split('@');
      const offset = UNITS[unit] * Number(count) * (direction === 'ago' ? -1 : 1);
      return {
        ...condition,
        operator: operator === 'RELATIVEGT' ? '>' : '<',
        value: glideDateTime(context.now + offset),
      };
    }
    if (operator === 'DYNAMIC') {
      if (value !== DYNAMIC_ME) {
        throw new UnsupportedQuery(
          `${condition.field}DYNAMIC${value}`,
          `only the dynamic filter "Me" (${DYNAMIC_ME}) is evaluated by this mock`,
        );
      }
      return { ...condition, operator: '=', value: context.userId };
    }
    const ranged = operator === 'BETWEEN' || operator === 'ON' || operator === 'NOTON';
    const resolved = ranged ? value.split('@').map(evaluate).join('@') : evaluate(value);
    return resolved === value ? condition : { ...condition, value: resolved };
  };
  const within = (q: EncodedQuery): EncodedQuery => ({
    ...q,
    queries: q.queries.map((groups) => groups.map((group) => group.map(resolve))),
    joins: q.joins.map((j) => ({ ...j, query: within(j.query) })),
    related: q.related.map((r) => ({ ...r, query: within(r.query) })),
  });
  return within(query);
}

/**
 * True when the record read by `read` matches `query` (its scripts already evaluated). `tables`
 * reads the records of other tables, for joins and related-list conditions.
 */
export function matchesQuery(
  query: EncodedQuery,
  read: FieldReader,
  tables: TableReader = () => [],
): boolean {
  const conditions =
    query.queries.length === 0 ||
    query.queries.some((groups) =>
      groups.every((group) => group.some((condition) => matchesCondition(condition, read))),
    );
  return (
    conditions &&
    query.joins.every((join) =>
      tables(join.table).some(
        (other) =>
          same(other(join.otherField), read(join.field)) && matchesQuery(join.query, other, tables),
      ),
    ) &&
    query.related.every((rl) => {
      const count = tables(rl.table).filter(
        (other) =>
          same(other(rl.reference), read('sys_id')) && matchesQuery(rl.query, other, tables),
      ).length;
      return compareCount(count, rl.comparator, rl.count);
    })
  );
}

function compareCount(count: number, comparator: RelatedListQuery['comparator'], n: number) {
  switch (comparator) {
    case '=':
      return count === n;
    case '!=':
      return count !== n;
    case '<':
      return count < n;
    case '<=':
      return count <= n;
    case '>':
      return count > n;
    case '>=':
      return count >= n;
  }
}

/** Text as the instance's database compares it: case-insensitively. */
const fold = (text: string) => text.toLowerCase();
const same = (a: string, b: string) => fold(a) === fold(b);

function matchesCondition(condition: Condition, read: FieldReader): boolean {
  const actual = read(condition.field);
  const expected = condition.value;
  const [other, unit, direction, count] = expected.split('@');
  switch (condition.operator) {
    case '=':
      return same(actual, expected);
    case '!=':
      return !same(actual, expected);
    case 'LIKE':
      return fold(actual).includes(fold(expected));
    case 'NOT LIKE':
      return !fold(actual).includes(fold(expected));
    case 'STARTSWITH':
      return fold(actual).startsWith(fold(expected));
    case 'ENDSWITH':
      return fold(actual).endsWith(fold(expected));
    case 'IN':
      return fold(expected).split(',').includes(fold(actual));
    case 'NOT IN':
      return !fold(expected).split(',').includes(fold(actual));
    case 'ISEMPTY':
    case 'EMPTYSTRING':
      return actual === '';
    case 'ISNOTEMPTY':
      return actual !== '';
    case 'ANYTHING':
      return true;
    case '<':
      return actual !== '' && compareValues(actual, expected) < 0;
    case '<=':
      return actual !== '' && compareValues(actual, expected) <= 0;
    case '>':
      return actual !== '' && compareValues(actual, expected) > 0;
    case '>=':
      return actual !== '' && compareValues(actual, expected) >= 0;
    case 'BETWEEN':
    case 'ON':
    case 'NOTON': {
      const [low, high] = expected.split('@').slice(condition.operator === 'BETWEEN' ? 0 : 1);
      const inside =
        actual !== '' && compareValues(actual, low) >= 0 && compareValues(actual, high) <= 0;
      return condition.operator === 'NOTON' ? !inside : inside;
    }
    case 'SAMEAS':
    case 'NSAMEAS': {
      const equal = unit
        ? truncate(actual, unit) === truncate(read(other), unit)
        : same(actual, read(other));
      return condition.operator === 'SAMEAS' ? equal : !equal;
    }
    case 'GT_FIELD':
      return actual !== '' && compareValues(actual, read(other)) > 0;
    case 'LT_FIELD':
      return actual !== '' && compareValues(actual, read(other)) < 0;
    case 'GT_OR_EQUALS_FIELD':
      return actual !== '' && compareValues(actual, read(other)) >= 0;
    case 'LT_OR_EQUALS_FIELD':
      return actual !== '' && compareValues(actual, read(other)) <= 0;
    case 'MORETHAN':
    case 'LESSTHAN': {
      // "[SLA due] is more than [1] [Days] [before] [Activity due]".
      const mine = Date.parse(`${actual.replace(' ', 'T')}Z`);
      const theirs = Date.parse(`${read(other).replace(' ', 'T')}Z`);
      if (Number.isNaN(mine) || Number.isNaN(theirs)) {
        return false;
      }
      const gap = (direction === 'before' ? theirs - mine : mine - theirs) / UNITS[unit];
      return condition.operator === 'MORETHAN'
        ? gap > Number(count)
        : gap >= 0 && gap < Number(count);
    }
    case 'RELATIVEGT':
    case 'RELATIVELT':
    case 'DYNAMIC':
      return false; // turned into plain conditions by evaluateScripts
  }
}

/** A date-time cut to a unit, to compare "the same day" (`SAMEAS other@day`). */
function truncate(value: string, unit: string): string {
  const length = { second: 19, minute: 16, hour: 13, day: 10, month: 7, year: 4 }[unit];
  return length === undefined ? value : value.slice(0, length);
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * Numbers compare as numbers, everything else (dates included: `YYYY-MM-DD HH:mm:ss`) as text,
 * case-insensitively.
 */
export function compareValues(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) {
    return Number(a) - Number(b);
  }
  const x = fold(a);
  const y = fold(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Sorts records in place by the query's `ORDERBY` terms (stable). */
export function sortByQuery<T>(
  records: T[],
  query: EncodedQuery,
  read: (r: T) => FieldReader,
): T[] {
  if (query.orderBy.length === 0) {
    return records;
  }
  return records.sort((x, y) => {
    for (const { field, descending } of query.orderBy) {
      const order = compareValues(read(x)(field), read(y)(field));
      if (order !== 0) {
        return descending ? -order : order;
      }
    }
    return 0;
  });
}

/** A query that matches nothing: what `glide.invalid_query.returns_no_rows` makes of one. */
export function matchingNothing(query: EncodedQuery): EncodedQuery {
  return { ...EMPTY, orderBy: query.orderBy, queries: [[[]]] };
}
