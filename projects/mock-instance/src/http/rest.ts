/**
 * What the REST resources (Table API, Aggregate API, Attachment API) share: reading `sysparm_*`
 * parameters, resolving a table, turning a request's filter into an encoded
 * query, and the rows a caller may read.
 */
import type { NextFunction, Request, Response } from 'express';

import { allowed, readFieldAs } from '../glide/acl';
import { Caller, callerOf } from '../session/csrf';
import type { Database } from '../data/database';
import {
  Condition,
  EncodedQuery,
  evaluateScripts,
  matchesQuery,
  matchingNothing,
  parseEncodedQuery,
  sortByQuery,
  UnsupportedQuery,
} from '../glide/encoded-query';
import { UnsupportedScript } from '../glide/glide-script';
import { sendError } from './responses';
import { knownField } from '../data/fields';
import type { Row, TableDef } from '../data/tables';

/** A client mistake, answered in the instance's error shape with `status`. */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null = null,
  ) {
    super(message);
  }
}

/** Answers a {@link BadRequest} (or an unsupported query script) in the instance's shape. */
export function badRequestHandler(error: unknown, req: Request, res: Response, next: NextFunction) {
  if (error instanceof BadRequest) {
    sendError(req, res, error.status, { message: error.message, detail: error.detail });
  } else if (error instanceof UnsupportedQuery) {
    sendError(req, res, 400, {
      message: error.message,
      detail: 'This mock instance evaluates the encoded query operators listed in its README',
    });
  } else if (error instanceof UnsupportedScript) {
    sendError(req, res, 400, {
      message: error.message,
      detail:
        'This mock instance evaluates only the gs.* date and user helpers listed in its README',
    });
  } else {
    next(error);
  }
}

/**
 * `https://host/api/now`, with the API version the request named (`/api/now/v2/...` →
 * `https://host/api/now/v2`): where an instance points the links it answers with. Recorded
 * instances keep the version: a `/api/now/v2/table` list links references to
 * `/api/now/v2/table/sys_user/...` and pages to `/api/now/v2/table/incident?...` (Swimlane's
 * connector docs, `swimlane/techpubs-knowledgecenter`,
 * `docs/Connectors/ServiceNow/Actions/get_all_incidents.md`; its v2 create answers
 * `Location: .../api/now/v2/table/incident/<sys_id>`, `create_incident.md`), and an unversioned
 * request unversioned links (`vdesabou/kafka-docker-playground`,
 * `connect/connect-servicenow-source/servicenow-source-repro-proxy.sh`). `v1` is kept the same way
 * (`Link` headers of v1 reads are quoted so in public client code; v1 reference links are
 * unverified). ServiceNow's PySNC expects
 * an upload to `/api/now/v1/attachment/file` to answer a `Location` under `/api/now/v1/attachment`
 * (`test_add_delete_get`, `test/test_snc_attachment.py` in `ServiceNow/PySNC`, against a real
 * instance in its CI).
 */
export function apiBaseOf(req: Request): string {
  const version = /^\/api\/now\/(v\d+)\//.exec(req.originalUrl)?.[1];
  return `${req.protocol}://${req.get('host')}/api/now${version ? `/${version}` : ''}`;
}

/** A query parameter as one string (the first, when repeated). */
export function param(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

export function flag(req: Request, name: string): boolean {
  return param(req, name)?.toLowerCase() === 'true';
}

export function tableNamed(db: Database, name: string): TableDef {
  const def = db.table(name);
  if (!def) {
    throw new BadRequest(400, `Invalid table ${name}`);
  }
  return def;
}

/** How the REST resources read queries: the clock, one of the instance's switches, its log. */
export interface QueryRules {
  readonly clock: () => number;
  /**
   * `glide.invalid_query.returns_no_rows`: a query with an invalid part returns nothing (true),
   * or is run without that part (false, an instance's default).
   */
  readonly invalidQueryReturnsNoRows: () => boolean;
  /** Where the mock says what it dropped from a query (an instance says nothing). */
  readonly warn: (line: string) => void;
}

/**
 * The request's filter as one encoded query on `table`, its scripts evaluated for the caller:
 * `sysparm_query` AND'ed with every `field=value` parameter that names a field (an instance's
 * Table API takes those as filters too; other parameters are ignored). `hasField` says which names
 * are fields of which table. Each condition dropped as invalid is logged, every time.
 */
export function queryOf(
  req: Request,
  res: Response,
  rules: QueryRules,
  table: string,
  hasField: (table: string, field: string) => boolean,
): EncodedQuery {
  const parsed = parseEncodedQuery(param(req, 'sysparm_query') ?? '', { table, hasField });
  for (const { term, reason } of parsed.ignored) {
    rules.warn(
      `ignored the condition ${JSON.stringify(term)} on ${table}: ${reason} (an instance drops ` +
        `it silently${rules.invalidQueryReturnsNoRows() ? '; invalidQueryReturnsNoRows is on: no rows' : ''})`,
    );
  }
  if (parsed.ignored.length > 0 && rules.invalidQueryReturnsNoRows()) {
    return matchingNothing(parsed);
  }
  const groups: Condition[][] = [];
  for (const name of Object.keys(req.query as Record<string, unknown>)) {
    const value = param(req, name);
    if (!name.startsWith('sysparm_') && value !== undefined && hasField(table, name)) {
      groups.push([{ field: name, operator: '=', value }]);
    }
  }
  const query: EncodedQuery =
    groups.length === 0
      ? parsed
      : {
          ...parsed,
          queries:
            parsed.queries.length === 0
              ? [groups]
              : parsed.queries.map((conditions) => [...conditions, ...groups]),
        };
  const caller = callerOf(res);
  return evaluateScripts(query, {
    userId: caller.sysId,
    userName: caller.userName,
    now: rules.clock(),
  });
}

/** Whether a table of the instance has a field (dot-walks included). */
export function hasFieldIn(db: Database): (table: string, field: string) => boolean {
  return (table, field) => {
    const def = db.table(table);
    return def !== undefined && knownField(db.tables, def, field);
  };
}

/**
 * The rows of `def` the caller may read that match `query`, in the query's order. Joins and
 * related-list conditions see only the rows of their tables the caller may read, and a dot-walk
 * reads a referenced record only if the caller may (`readFieldAs`): else it reads as empty.
 */
export function readableRows(
  db: Database,
  def: TableDef,
  query: EncodedQuery,
  caller: Caller,
): Row[] {
  const readerOf = (table: TableDef) => (row: Row) => (field: string) =>
    readFieldAs(db, caller, table, row, field);
  const tables = (name: string) => {
    const table = db.table(name);
    return table
      ? db
          .rows(name)
          .filter((row) => allowed(db, caller, 'read', table, row))
          .map(readerOf(table))
      : [];
  };
  const read = readerOf(def);
  return sortByQuery(
    db
      .rows(def.name)
      .filter(
        (row) => allowed(db, caller, 'read', def, row) && matchesQuery(query, read(row), tables),
      ),
    query,
    read,
  );
}

/** The instance's 404 for a record that is missing, or that the caller may not read. */
export function notFound(): BadRequest {
  return new BadRequest(
    404,
    'No Record found',
    "Record doesn't exist or ACL restricts the record retrieval",
  );
}
