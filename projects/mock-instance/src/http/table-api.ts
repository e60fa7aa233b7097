/**
 * The Table API: `/api/now/table/{table}[/{sys_id}]` with GET, POST, PUT, PATCH and DELETE, the
 * `sysparm_*` parameters, `field=value` filters, access control by role, and the instance's
 * pagination headers and error answers.
 */
import express, { Request, Response, Router } from 'express';

import { aclDetail, allowed, readFieldAs } from '../glide/acl';
import { callerOf } from '../session/csrf';
import { Database } from '../data/database';
import {
  apiBaseOf,
  BadRequest,
  badRequestHandler,
  hasFieldIn,
  flag,
  notFound,
  param,
  queryOf,
  QueryRules,
  readableRows,
  tableNamed,
} from './rest';
import { fieldAt } from '../data/fields';
import { evaluateScript, isScript, UnsupportedScript } from '../glide/glide-script';
import { sendError, sendResult } from './responses';
import { glideDateTime } from '../data/seed';
import { Row, Shape, shapeRecord, TableDef } from '../data/tables';

const DEFAULT_LIMIT = 10000;

function shapeOf(req: Request): Shape {
  const displayValue = (param(req, 'sysparm_display_value') ?? 'false').toLowerCase();
  if (displayValue !== 'false' && displayValue !== 'true' && displayValue !== 'all') {
    throw new BadRequest(400, `Invalid value for sysparm_display_value: ${displayValue}`);
  }
  return {
    displayValue,
    excludeReferenceLink: flag(req, 'sysparm_exclude_reference_link'),
    apiBase: apiBaseOf(req),
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

function tableOf(db: Database, req: Request): TableDef {
  return tableNamed(db, String(req.params['table']));
}

/**
 * Values of a request body for `def`: known, writable fields only, as strings. A `javascript:`
 * value (`"caller_id": "javascript:gs.getUserID()"`) is evaluated for the caller as in a query,
 * with the same helpers; any other script is refused with a 400 and a line in the log, never
 * stored as text. Whether an instance evaluates such a value in a Table API write is unverified
 * (it does in default values and conditions); evaluating what the mock knows and refusing the
 * rest means no test passes on a value the mock stored silently. With
 * `sysparm_input_display_value=true` a choice may be given by its label and a reference by its
 * display value (KB0534905: "if you send the display name for a reference field, the system gets
 * the sys_id"); a reference display value that names no record leaves the field empty (what an
 * instance does there is unverified), a choice label it does not know is stored as given.
 */
function valuesOf(
  db: Database,
  def: TableDef,
  req: Request,
  script: (field: string, value: string) => string,
): Row {
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
  const asDisplayValues = flag(req, 'sysparm_input_display_value');
  const values: Row = {};
  for (const [field, value] of Object.entries(body)) {
    const f = Object.hasOwn(def.fields, field) ? def.fields[field] : undefined;
    if (f && !f.readOnly && value !== undefined) {
      const given =
        value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
      const text = isScript(given) ? script(field, given) : given;
      values[field] = asDisplayValues ? fromDisplayValue(db, f, text) : text;
    }
  }
  return values;
}

/**
 * The `sys_id` an insert names, kept exactly as given — ServiceNow's PySNC inserts a record it
 * addressed in advance with `AAAABBBBCCCCDDDDEEEEFFFF00001111` and expects that id back, then
 * finds the record by it (`test_insert_custom_guid`, `test/test_snc_api_write.py` in
 * `ServiceNow/PySNC`, run against a real instance in its CI); lookups ignore case (see
 * `Database.get`). 32 hexadecimal characters, else a 400; one that is taken (in any case), a 403.
 * The shapes of both errors are the mock's (unverified against an instance).
 */
function givenSysId(db: Database, def: TableDef, body: unknown): string | undefined {
  const value = (body as Record<string, unknown>)['sys_id'];
  if (value === undefined || value === null || value === '') {
    return undefined;
  }
  if (typeof value !== 'string' || !/^[0-9a-f]{32}$/i.test(value)) {
    throw new BadRequest(
      400,
      'Invalid sys_id',
      `A sys_id given on insert must be 32 hexadecimal characters; got ${JSON.stringify(value).slice(0, 80)}`,
    );
  }
  const sysId = value;
  if (db.get(def.name, sysId)) {
    throw new BadRequest(
      403,
      'Operation Failed',
      `Error during insert of ${def.name} (${sysId}): a record with this sys_id exists`,
    );
  }
  return sysId;
}

function fromDisplayValue(db: Database, field: TableDef['fields'][string], text: string): string {
  if (field.type === 'choice' && field.choices && !Object.hasOwn(field.choices, text)) {
    return Object.entries(field.choices).find(([, label]) => label === text)?.[0] ?? text;
  }
  if (field.type === 'reference' && text !== '' && !db.get(field.reference!, text)) {
    const target = db.table(field.reference!)!;
    const match = db.rows(target.name).find((row) => row[target.displayField] === text);
    return match ? match['sys_id'] : '';
  }
  return text;
}

/** The Table API, mounted at `/api` (an instance serves `/api/now/v1/table` and `/api/now/v2/table` as the same resource: see `server.ts`). */
export function tableApi(db: Database, bodyLimit: string, rules: QueryRules): Router {
  const clock = rules.clock;
  const router = express.Router();
  const json = express.json({ limit: bodyLimit, type: () => true, strict: false });
  // A dot-walked field is empty where the caller may not read the record it reaches.
  const shape = (def: TableDef, row: Row, req: Request, res: Response) =>
    shapeRecord(
      def,
      row,
      fieldsOf(req),
      shapeOf(req),
      (t, id) => db.displayOf(t, id),
      (path) => {
        const field = fieldAt(db.tables, def, path);
        return field && { def: field, value: readFieldAs(db, callerOf(res), def, row, path) };
      },
    );
  /** The record the caller may see, else the instance's 404. */
  const visible = (req: Request, res: Response, def: TableDef): Row => {
    const row = db.get(def.name, String(req.params['sysId']));
    if (!row || !allowed(db, callerOf(res), 'read', def, row)) {
      throw notFound();
    }
    return row;
  };
  const refuse = (operation: 'create' | 'write' | 'delete') =>
    new BadRequest(403, 'Operation Failed', aclDetail(operation));
  const valuesFor = (def: TableDef, req: Request, res: Response) => {
    const caller = callerOf(res);
    const context = { userId: caller.sysId, userName: caller.userName, now: clock() };
    return valuesOf(db, def, req, (field, value) => {
      try {
        const result = evaluateScript(value, context);
        // `gs.getUserName()` in a reference field would store a name where a sys_id belongs.
        const target = def.fields[field].reference;
        if (target !== undefined && result !== '' && db.table(target) && !db.get(target, result)) {
          rules.warn(
            `refused a write of ${def.name}.${field}: ${JSON.stringify(value)} gives ` +
              `${JSON.stringify(result)}, which is no ${target} record's sys_id`,
          );
          throw new BadRequest(
            400,
            `Invalid reference in field ${field}: ${value} gives ${result}, no ${target} record`,
            'A reference field takes a sys_id: javascript:gs.getUserID() for the caller',
          );
        }
        return result;
      } catch (error) {
        if (error instanceof UnsupportedScript) {
          rules.warn(
            `refused a write of ${def.name}.${field}: ${JSON.stringify(value)} is not a helper ` +
              'the mock evaluates (see its README)',
          );
          throw new UnsupportedScript(value, `field ${field}`);
        }
        throw error;
      }
    });
  };

  router.get('/now/table/:table', (req, res) => {
    const def = tableOf(db, req);
    shapeOf(req); // a bad sysparm_display_value is a 400, rows or none
    const limit = nonNegativeInt(req, 'sysparm_limit', DEFAULT_LIMIT);
    const offset = nonNegativeInt(req, 'sysparm_offset', 0);
    const all = readableRows(
      db,
      def,
      queryOf(req, res, rules, def.name, hasFieldIn(db)),
      callerOf(res),
    );
    const page = all.slice(offset, offset + limit);
    if (!flag(req, 'sysparm_no_count')) {
      res.set('X-Total-Count', String(all.length));
    }
    if (!flag(req, 'sysparm_suppress_pagination_header') && limit > 0) {
      res.set('Link', paginationLinks(req, all.length, limit, offset));
    }
    sendResult(
      req,
      res,
      200,
      page.map((row) => shape(def, row, req, res)),
    );
  });

  router.get('/now/table/:table/:sysId', (req, res) => {
    const def = tableOf(db, req);
    sendResult(req, res, 200, shape(def, visible(req, res, def), req, res));
  });

  router.post('/now/table/:table', json, (req, res) => {
    const def = tableOf(db, req);
    if (!allowed(db, callerOf(res), 'create', def, null)) {
      throw refuse('create');
    }
    const caller = callerOf(res);
    const values = valuesFor(def, req, res);
    // A task's defaults on an instance: active, opened by the caller, opened now.
    if (Object.hasOwn(def.fields, 'active') && values['active'] === undefined) {
      values['active'] = 'true';
    }
    if (Object.hasOwn(def.fields, 'opened_by') && !values['opened_by']) {
      values['opened_by'] = caller.sysId;
    }
    if (Object.hasOwn(def.fields, 'opened_at') && !values['opened_at']) {
      values['opened_at'] = glideDateTime(clock());
    }
    const row = db.insert(def, values, caller.userName, givenSysId(db, def, req.body));
    // Under the version asked for, as a recorded v2 create answers (see `apiBaseOf`).
    res.set('Location', `${apiBaseOf(req)}/table/${def.name}/${row['sys_id']}`);
    sendResult(req, res, 201, shape(def, row, req, res));
  });

  const update = (req: Request, res: Response) => {
    const def = tableOf(db, req);
    const row = visible(req, res, def);
    if (!allowed(db, callerOf(res), 'write', def, row)) {
      throw refuse('write');
    }
    db.update(def, row, valuesFor(def, req, res), callerOf(res).userName);
    sendResult(req, res, 200, shape(def, row, req, res));
  };
  router.put('/now/table/:table/:sysId', json, update);
  router.patch('/now/table/:table/:sysId', json, update);

  router.delete('/now/table/:table/:sysId', (req, res) => {
    const def = tableOf(db, req);
    const row = visible(req, res, def);
    if (!allowed(db, callerOf(res), 'delete', def, row)) {
      throw refuse('delete');
    }
    db.delete(def.name, row['sys_id']);
    res.status(204).end();
  });

  router.use(badRequestHandler);
  return router;
}

/** What an instance answers for a path under `/api` that names no resource it has. */
export function unknownResource(req: Request, res: Response): void {
  sendError(req, res, 400, {
    message: 'Requested URI does not represent any resource',
    detail: null,
  });
}

/**
 * `Link` header with first, prev, next and last pages, as absolute URLs on the path asked for
 * (its version kept). `prev` is always there and is the offset one page back, even before the
 * first row: every recorded first page (`sysparm_limit=1`) links `sysparm_offset=-1` as `prev`
 * (`vdesabou/kafka-docker-playground`,
 * `connect/connect-servicenow-source/servicenow-source-repro-proxy.sh`, an unversioned read, 2021;
 * `swimlane/techpubs-knowledgecenter`, `docs/Connectors/ServiceNow/Actions/get_all_incidents.md`,
 * a v2 read, 2022). That a larger page links `-<limit>` (one page back, as from any other
 * offset) is the mock's reading: every recording has a limit of 1. The request's other
 * parameters come first, in its order, then `sysparm_limit` and `sysparm_offset`, as recorded.
 */
function paginationLinks(req: Request, total: number, limit: number, offset: number): string {
  const url = (pageOffset: number) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
      if (key !== 'sysparm_offset' && key !== 'sysparm_limit') {
        query.set(key, String(Array.isArray(value) ? value[0] : value));
      }
    }
    query.set('sysparm_limit', String(limit));
    query.set('sysparm_offset', String(pageOffset));
    return `<${req.protocol}://${req.get('host')}${req.originalUrl.split('?')[0]}?${query}>`;
  };
  const last = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
  const links = [`${url(0)};rel="first"`, `${url(offset - limit)};rel="prev"`];
  if (offset + limit < total) {
    links.push(`${url(offset + limit)};rel="next"`);
  }
  links.push(`${url(last)};rel="last"`);
  return links.join(',');
}
