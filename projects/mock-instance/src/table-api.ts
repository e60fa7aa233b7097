/**
 * The Table API: `/api/now/table/{table}[/{sys_id}]` with GET, POST, PUT, PATCH and DELETE, the
 * `sysparm_*` parameters, and the instance's pagination headers and error answers.
 */
import express, { Request, Response, Router } from 'express';

import { callerOf } from './auth';
import { Database } from './database';
import { matchesQuery, parseEncodedQuery, sortByQuery } from './encoded-query';
import { sendError, sendResult } from './responses';
import { Row, Shape, shapeRecord, TableDef, TABLES } from './tables';

const DEFAULT_LIMIT = 10000;

/** A query parameter as one string (the first, when repeated). */
function param(req: Request, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

function flag(req: Request, name: string): boolean {
  return param(req, name)?.toLowerCase() === 'true';
}

class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null = null,
  ) {
    super(message);
  }
}

function shapeOf(req: Request): Shape {
  const displayValue = (param(req, 'sysparm_display_value') ?? 'false').toLowerCase();
  if (displayValue !== 'false' && displayValue !== 'true' && displayValue !== 'all') {
    throw new BadRequest(400, `Invalid value for sysparm_display_value: ${displayValue}`);
  }
  return {
    displayValue,
    excludeReferenceLink: flag(req, 'sysparm_exclude_reference_link'),
    baseUrl: `${req.protocol}://${req.get('host')}`,
  };
}

function fieldsOf(req: Request): string[] | null {
  const fields = param(req, 'sysparm_fields');
  return fields
    ? fields
        .split(',')
        .map((f) => f.trim())
        .filter(Boolean)
    : null;
}

function nonNegativeInt(req: Request, name: string, fallback: number): number {
  const raw = param(req, name);
  if (raw === undefined || raw === '') {
    return fallback;
  }
  if (!/^\d{1,9}$/.test(raw)) {
    throw new BadRequest(
      400,
      `Invalid value for ${name}: ${raw}`,
      `${name} must be a non-negative integer`,
    );
  }
  return Number(raw);
}

function tableOf(req: Request): TableDef {
  const name = String(req.params['table']);
  const def = Object.hasOwn(TABLES, name) ? TABLES[name] : undefined;
  if (!def) {
    throw new BadRequest(400, `Invalid table ${name}`);
  }
  return def;
}

/** Values of a request body for `def`: known, writable fields only, as strings. */
function valuesOf(def: TableDef, req: Request): Row {
  const body: unknown = req.body;
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 ||
    req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    throw new BadRequest(400, 'Exception while reading request', 'The request body is empty');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest(
      400,
      'Exception while reading request',
      'The payload must be a JSON object',
    );
  }
  const values: Row = {};
  for (const [field, value] of Object.entries(body)) {
    const f = Object.hasOwn(def.fields, field) ? def.fields[field] : undefined;
    if (f && !f.readOnly && value !== undefined) {
      values[field] =
        value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
  }
  return values;
}

export function tableApi(db: Database, bodyLimit: string): Router {
  const router = express.Router();
  const json = express.json({ limit: bodyLimit, type: () => true, strict: false });
  const shape = (def: TableDef, row: Row, req: Request) =>
    shapeRecord(def, row, fieldsOf(req), shapeOf(req), (t, id) => db.displayOf(t, id));
  const readerFor = (def: TableDef) => (row: Row) => (field: string) =>
    readField(db, def, row, field);

  router.get('/now/table/:table', (req, res) => {
    const def = tableOf(req);
    const shapeParams = shapeOf(req);
    const limit = nonNegativeInt(req, 'sysparm_limit', DEFAULT_LIMIT);
    const offset = nonNegativeInt(req, 'sysparm_offset', 0);
    const query = parseEncodedQuery(param(req, 'sysparm_query') ?? '', (f) => knownField(def, f));
    const caller = callerOf(res);
    const read = readerFor(def);
    const all = sortByQuery(
      db.rows(def.name).filter((row) => matchesQuery(query, read(row), caller.sysId)),
      query,
      read,
    );
    const page = all.slice(offset, offset + limit);
    if (!flag(req, 'sysparm_no_count')) {
      res.set('X-Total-Count', String(all.length));
    }
    if (!flag(req, 'sysparm_suppress_pagination_header') && limit > 0) {
      res.set('Link', paginationLinks(req, shapeParams.baseUrl, all.length, limit, offset));
    }
    sendResult(
      req,
      res,
      200,
      page.map((row) => shape(def, row, req)),
    );
  });

  router.get('/now/table/:table/:sysId', (req, res) => {
    const def = tableOf(req);
    const row = db.get(def.name, String(req.params['sysId']));
    if (!row) {
      throw notFound();
    }
    sendResult(req, res, 200, shape(def, row, req));
  });

  router.post('/now/table/:table', json, (req, res) => {
    const def = tableOf(req);
    const row = db.insert(def, valuesOf(def, req), callerOf(res).userName);
    res.set('Location', `${shapeOf(req).baseUrl}/api/now/table/${def.name}/${row['sys_id']}`);
    sendResult(req, res, 201, shape(def, row, req));
  });

  const update = (req: Request, res: Response) => {
    const def = tableOf(req);
    const row = db.get(def.name, String(req.params['sysId']));
    if (!row) {
      throw notFound();
    }
    db.update(def, row, valuesOf(def, req), callerOf(res).userName);
    sendResult(req, res, 200, shape(def, row, req));
  };
  router.put('/now/table/:table/:sysId', json, update);
  router.patch('/now/table/:table/:sysId', json, update);

  router.delete('/now/table/:table/:sysId', (req, res) => {
    const def = tableOf(req);
    if (!db.delete(def.name, String(req.params['sysId']))) {
      throw notFound();
    }
    res.status(204).end();
  });

  router.use((req, res) => {
    sendError(req, res, 400, {
      message: 'Requested URI does not represent any resource',
      detail: null,
    });
  });

  router.use((error: unknown, req: Request, res: Response, next: (e?: unknown) => void) => {
    if (error instanceof BadRequest) {
      sendError(req, res, error.status, { message: error.message, detail: error.detail });
    } else {
      next(error);
    }
  });
  return router;
}

function notFound(): BadRequest {
  return new BadRequest(
    404,
    'No Record found',
    "Record doesn't exist or ACL restricts the record retrieval",
  );
}

/** True for a field of `def`, or a dot-walk through its references (`caller_id.name`). */
function knownField(def: TableDef, path: string): boolean {
  const [head, ...rest] = path.split('.');
  const field = Object.hasOwn(def.fields, head) ? def.fields[head] : undefined;
  if (!field) {
    return false;
  }
  if (rest.length === 0) {
    return true;
  }
  return field.type === 'reference' && knownField(TABLES[field.reference!], rest.join('.'));
}

function readField(db: Database, def: TableDef, row: Row, path: string): string {
  const dot = path.indexOf('.');
  if (dot < 0) {
    return row[path] ?? '';
  }
  const field = def.fields[path.slice(0, dot)];
  const target = db.get(field.reference!, row[path.slice(0, dot)] ?? '');
  return target ? readField(db, TABLES[field.reference!], target, path.slice(dot + 1)) : '';
}

/** `Link` header with first, prev, next and last pages, as absolute URLs. */
function paginationLinks(
  req: Request,
  baseUrl: string,
  total: number,
  limit: number,
  offset: number,
): string {
  const url = (pageOffset: number) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
      if (key !== 'sysparm_offset' && key !== 'sysparm_limit') {
        query.set(key, String(Array.isArray(value) ? value[0] : value));
      }
    }
    query.set('sysparm_limit', String(limit));
    query.set('sysparm_offset', String(pageOffset));
    return `<${baseUrl}${req.baseUrl}${req.path}?${query}>`;
  };
  const last = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  const links = [`${url(0)};rel="first"`];
  if (offset > 0) {
    links.push(`${url(Math.max(0, offset - limit))};rel="prev"`);
  }
  if (offset + limit < total) {
    links.push(`${url(offset + limit)};rel="next"`);
  }
  links.push(`${url(last)};rel="last"`);
  return links.join(',');
}
