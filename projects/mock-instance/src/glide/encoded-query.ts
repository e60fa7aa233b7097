/**
 * ServiceNow encoded queries (`sysparm_query`): parsing and matching, as an instance reads them.
 *
 * `a=1^b=2` is AND, `a=1^ORb=2` ORs a condition with the one before it, `a=1^NQb=2` starts a new
 * query OR'ed with the previous ones, `ORDERBYfield` / `ORDERBYDESCfield` sort, `^EQ` ends the
 * query, and `^^` is a literal caret. `javascript:` values are evaluated by `evaluateScripts`. Names, operators and values are case-sensitive. A condition
 * that cannot be parsed (or names a field the table lacks) is ignored, as the instance does by
 * default.
 */

import { evaluateScript, isScript, ScriptContext } from './glide-script';

export type Operator =
  | '='
  | '!='
  | 'LIKE'
  | 'NOT LIKE'
  | 'STARTSWITH'
  | 'ENDSWITH'
  | 'IN'
  | 'NOT IN'
  | 'ISEMPTY'
  | 'ISNOTEMPTY'
  | '<'
  | '<='
  | '>'
  | '>='
  | 'BETWEEN'
  | 'ON';

/** Longest first, so that `<=` is not read as `<` and `NOT LIKE` not as a field named `not`. */
const OPERATORS: readonly Operator[] = [
  'ISNOTEMPTY',
  'ISEMPTY',
  'NOT LIKE',
  'NOT IN',
  'STARTSWITH',
  'ENDSWITH',
  'BETWEEN',
  'LIKE',
  'ON',
  'IN',
  '!=',
  '<=',
  '>=',
  '=',
  '<',
  '>',
];

export interface Condition {
  readonly field: string;
  readonly operator: Operator;
  readonly value: string;
}

export interface OrderBy {
  readonly field: string;
  readonly descending: boolean;
}

export interface EncodedQuery {
  /** Queries OR'ed together (`^NQ`); each is an AND of groups of OR'ed conditions. */
  readonly queries: readonly (readonly (readonly Condition[])[])[];
  readonly orderBy: readonly OrderBy[];
  /** Terms that were not understood and are ignored. */
  readonly ignored: readonly string[];
}

const FIELD = /^[a-z0-9_]+(\.[a-z0-9_]+)*/;
const FIELD_ONLY = /^[a-z0-9_]+(\.[a-z0-9_]+)*$/;

/**
 * Parses an encoded query. Never throws: what it cannot read lands in `ignored`. `knownField`
 * decides which field names are valid (conditions and orderings on other fields are ignored).
 */
export function parseEncodedQuery(
  query: string,
  knownField: (field: string) => boolean = () => true,
): EncodedQuery {
  const queries: Condition[][][] = [[]];
  const orderBy: OrderBy[] = [];
  const ignored: string[] = [];
  let sawCondition = false;

  for (const raw of splitTerms(query)) {
    let term = raw;
    if (term === '' || term === 'EQ') {
      continue;
    }
    const order = /^ORDERBY(DESC)?(.*)$/.exec(term);
    if (order) {
      if (FIELD_ONLY.test(order[2]) && knownField(order[2])) {
        orderBy.push({ field: order[2], descending: order[1] === 'DESC' });
      } else {
        ignored.push(raw);
      }
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
    const condition = parseCondition(term);
    if (!condition || !knownField(condition.field)) {
      ignored.push(raw);
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
  return { queries: queries.filter((q) => q.length > 0), orderBy, ignored };
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

function parseCondition(term: string): Condition | null {
  const field = FIELD.exec(term)?.[0];
  if (!field) {
    return null;
  }
  const rest = term.slice(field.length);
  const operator = OPERATORS.find((op) => rest.startsWith(op));
  if (!operator) {
    return null;
  }
  const value = rest.slice(operator.length);
  if ((operator === 'ISEMPTY' || operator === 'ISNOTEMPTY') && value !== '') {
    return null;
  }
  if (operator === 'BETWEEN' && value.split('@').length !== 2) {
    return null;
  }
  // The condition builder's "on": `fieldONLabel@start@end`, as in `ONToday@javascript:...@...`.
  if (operator === 'ON' && value.split('@').length !== 3) {
    return null;
  }
  return { field, operator, value };
}

/** Reads a record's field value as a string ('' when empty). */
export type FieldReader = (field: string) => string;

/**
 * The query with every `javascript:` value replaced by what it stands for (see
 * `glide-script.ts`); the parts of a `BETWEEN` or `ON` range are evaluated one by one. Throws
 * `UnsupportedScript` for a script it cannot evaluate.
 */
export function evaluateScripts(query: EncodedQuery, context: ScriptContext): EncodedQuery {
  const evaluate = (value: string) => (isScript(value) ? evaluateScript(value, context) : value);
  const resolve = (condition: Condition): Condition => {
    const ranged = condition.operator === 'BETWEEN' || condition.operator === 'ON';
    const value = ranged
      ? condition.value.split('@').map(evaluate).join('@')
      : evaluate(condition.value);
    return value === condition.value ? condition : { ...condition, value };
  };
  return {
    ...query,
    queries: query.queries.map((groups) => groups.map((group) => group.map(resolve))),
  };
}

/** True when the record read by `read` matches `query` (its scripts already evaluated). */
export function matchesQuery(query: EncodedQuery, read: FieldReader): boolean {
  if (query.queries.length === 0) {
    return true;
  }
  return query.queries.some((groups) =>
    groups.every((group) => group.some((condition) => matchesCondition(condition, read))),
  );
}

function matchesCondition(condition: Condition, read: FieldReader): boolean {
  const actual = read(condition.field);
  const expected = condition.value;
  switch (condition.operator) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case 'LIKE':
      return actual.includes(expected);
    case 'NOT LIKE':
      return !actual.includes(expected);
    case 'STARTSWITH':
      return actual.startsWith(expected);
    case 'ENDSWITH':
      return actual.endsWith(expected);
    case 'IN':
      return expected.split(',').includes(actual);
    case 'NOT IN':
      return !expected.split(',').includes(actual);
    case 'ISEMPTY':
      return actual === '';
    case 'ISNOTEMPTY':
      return actual !== '';
    case '<':
      return actual !== '' && compareValues(actual, expected) < 0;
    case '<=':
      return actual !== '' && compareValues(actual, expected) <= 0;
    case '>':
      return actual !== '' && compareValues(actual, expected) > 0;
    case '>=':
      return actual !== '' && compareValues(actual, expected) >= 0;
    case 'BETWEEN':
    case 'ON': {
      const [low, high] = expected.split('@').slice(condition.operator === 'ON' ? 1 : 0);
      return actual !== '' && compareValues(actual, low) >= 0 && compareValues(actual, high) <= 0;
    }
  }
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** Numbers compare as numbers, everything else (dates included: `YYYY-MM-DD HH:mm:ss`) as text. */
export function compareValues(a: string, b: string): number {
  if (NUMBER.test(a) && NUMBER.test(b)) {
    return Number(a) - Number(b);
  }
  return a < b ? -1 : a > b ? 1 : 0;
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
