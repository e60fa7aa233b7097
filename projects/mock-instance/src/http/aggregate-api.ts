/**
 * The Aggregate API: `GET /api/now/stats/{table}` with `sysparm_count`, `sysparm_query` (and
 * `field=value` filters) and `sysparm_group_by`, over the rows the caller may read. Answers
 * `{"result":{"stats":{"count":"N"}}}`, or with `sysparm_group_by` one entry per group:
 * `{"stats":{"count":"N"},"groupby_fields":[{"field":"state","value":"1"}]}` (with
 * `sysparm_display_value=true` the value is the display value). Other aggregates (`sysparm_avg_fields`,
 * `sysparm_sum_fields`, ...) are refused with a 400 rather than left out in silence.
 */
import express, { Request, Router } from 'express';

import { callerOf } from '../session/csrf';
import { Database } from '../data/database';
import {
  BadRequest,
  badRequestHandler,
  hasFieldIn,
  flag,
  param,
  queryOf,
  QueryRules,
  readableRows,
  tableNamed,
} from './rest';
import { fieldAt } from '../data/fields';
import { readFieldAs } from '../glide/acl';
import { sendResult } from './responses';
import { Row, Shape, shapeField } from '../data/tables';

const UNSUPPORTED = [
  'sysparm_avg_fields',
  'sysparm_min_fields',
  'sysparm_max_fields',
  'sysparm_sum_fields',
  'sysparm_having',
  'sysparm_order_by',
];

export function aggregateApi(db: Database, rules: QueryRules): Router {
  const router = express.Router();
  router.get('/now/stats/:table', (req: Request, res) => {
    const def = tableNamed(db, String(req.params['table']));
    const unsupported = UNSUPPORTED.filter((name) => param(req, name) !== undefined);
    if (unsupported.length > 0) {
      throw new BadRequest(
        400,
        `Unsupported by this mock instance: ${unsupported.join(', ')}`,
        'It computes counts, with or without sysparm_group_by',
      );
    }
    const groupBy = (param(req, 'sysparm_group_by') ?? '')
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const unknown = groupBy.filter((f) => fieldAt(db.tables, def, f) === null);
    if (unknown.length > 0) {
      throw new BadRequest(400, `Invalid sysparm_group_by field: ${unknown.join(', ')}`);
    }
    const rows = readableRows(
      db,
      def,
      queryOf(req, res, rules, def.name, hasFieldIn(db)),
      callerOf(res),
    );
    const count = flag(req, 'sysparm_count');
    const stats = (group: Row[]) => (count ? { count: String(group.length) } : {});
    if (groupBy.length === 0) {
      sendResult(req, res, 200, { stats: stats(rows) });
      return;
    }
    const display = (param(req, 'sysparm_display_value') ?? '').toLowerCase() === 'true';
    // A group's value is shaped as the Table API shapes the field, without a reference link.
    const shape: Shape = {
      displayValue: display ? 'true' : 'false',
      excludeReferenceLink: true,
      apiBase: '',
    };
    // A dot-walked group is empty where the caller may not read the record it reaches.
    const valueOf = (row: Row, field: string) =>
      String(
        shapeField(
          fieldAt(db.tables, def, field)!,
          readFieldAs(db, callerOf(res), def, row, field),
          shape,
          (t, id) => db.displayOf(t, id),
        ),
      );
    const groups = new Map<string, Row[]>();
    for (const row of rows) {
      const key = JSON.stringify(groupBy.map((field) => valueOf(row, field)));
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    sendResult(
      req,
      res,
      200,
      [...groups].map(([key, group]) => ({
        stats: stats(group),
        groupby_fields: (JSON.parse(key) as string[]).map((value, i) => ({
          field: groupBy[i],
          value,
        })),
      })),
    );
  });
  router.use(badRequestHandler);
  return router;
}
