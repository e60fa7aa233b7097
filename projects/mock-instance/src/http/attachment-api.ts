/**
 * A minimal Attachment API: upload (`POST /api/now/attachment/file?table_name=&table_sys_id=&
 * file_name=`, the raw bytes as body), list metadata (`GET /api/now/attachment`, filtered by
 * `sysparm_query` or `field=value` on the metadata fields), one record's metadata
 * (`GET /api/now/attachment/{sys_id}`), its bytes (`.../{sys_id}/file`) and delete. An attachment
 * is visible to whoever may read its record and removable by whoever may update it. Not here:
 * multipart upload (`/api/now/attachment/upload`) and image resizing.
 */
import { randomBytes } from 'node:crypto';

import express, { Request, Response, Router } from 'express';

import { aclDetail, allowed } from '../glide/acl';
import { callerOf } from '../session/csrf';
import { Database } from '../data/database';
import { matchesQuery } from '../glide/encoded-query';
import {
  BadRequest,
  badRequestHandler,
  notFound,
  param,
  queryOf,
  QueryRules,
  tableNamed,
} from './rest';
import { sendResult } from './responses';
import { glideDateTime } from '../data/seed';

interface Attachment {
  readonly meta: Record<string, string>;
  readonly bytes: Buffer;
}

const META_FIELDS = [
  'sys_id',
  'file_name',
  'table_name',
  'table_sys_id',
  'content_type',
  'size_bytes',
  'sys_created_on',
  'sys_created_by',
];

/** The attachments of the mock instance, kept in memory (cleared by `POST /mock/reset`). */
export class AttachmentStore {
  private readonly items = new Map<string, Attachment>();
  get(id: string): Attachment | undefined {
    return this.items.get(id);
  }
  all(): Attachment[] {
    return [...this.items.values()];
  }
  put(attachment: Attachment): void {
    this.items.set(attachment.meta['sys_id'], attachment);
  }
  delete(id: string): void {
    this.items.delete(id);
  }
  clear(): void {
    this.items.clear();
  }
}

export function attachmentApi(
  db: Database,
  store: AttachmentStore,
  bodyLimit: string,
  rules: QueryRules,
): Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: bodyLimit });
  const baseUrl = (req: Request) => `${req.protocol}://${req.get('host')}`;
  const shape = (req: Request, a: Attachment) => ({
    ...a.meta,
    download_link: `${baseUrl(req)}/api/now/attachment/${a.meta['sys_id']}/file`,
  });
  /** The parent record, if the caller may do `operation` on it. */
  const parentAllows = (res: Response, a: Attachment, operation: 'read' | 'write') => {
    const def = tableNamed(db, a.meta['table_name']);
    const row = db.get(def.name, a.meta['table_sys_id']);
    return row !== null && allowed(db, callerOf(res), operation, def, row);
  };
  const visible = (req: Request, res: Response) => {
    const a = store.get(String(req.params['sysId']));
    if (!a || !parentAllows(res, a, 'read')) {
      throw notFound();
    }
    return a;
  };

  router.post('/now/attachment/file', raw, (req, res) => {
    const tableName = param(req, 'table_name');
    const tableSysId = param(req, 'table_sys_id');
    const fileName = param(req, 'file_name');
    if (!tableName || !tableSysId || !fileName) {
      throw new BadRequest(
        400,
        'Missing parameter',
        'table_name, table_sys_id and file_name are required',
      );
    }
    const def = tableNamed(db, tableName);
    const row = db.get(def.name, tableSysId);
    if (!row || !allowed(db, callerOf(res), 'read', def, row)) {
      throw notFound();
    }
    if (!allowed(db, callerOf(res), 'write', def, row)) {
      throw new BadRequest(403, 'Operation Failed', aclDetail('create'));
    }
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const attachment: Attachment = {
      meta: {
        sys_id: randomBytes(16).toString('hex'),
        file_name: fileName,
        table_name: def.name,
        table_sys_id: tableSysId,
        content_type: req.headers['content-type'] ?? 'application/octet-stream',
        size_bytes: String(bytes.length),
        sys_created_on: glideDateTime(rules.clock()),
        sys_created_by: callerOf(res).userName,
      },
      bytes,
    };
    store.put(attachment);
    // What an instance answers (a developer instance's 201, captured in Swimlane's connector
    // docs, 2022): the attachment's download link.
    res.set('Location', `${baseUrl(req)}/api/now/attachment/${attachment.meta['sys_id']}/file`);
    sendResult(req, res, 201, shape(req, attachment));
  });

  router.get('/now/attachment', (req, res) => {
    const query = queryOf(req, res, rules, 'sys_attachment', (_t, f) => META_FIELDS.includes(f));
    const limit = Number(param(req, 'sysparm_limit') ?? 1000);
    const offset = Number(param(req, 'sysparm_offset') ?? 0);
    const all = store
      .all()
      .filter((a) => parentAllows(res, a, 'read') && matchesQuery(query, (f) => a.meta[f] ?? ''));
    // As the Table API does (ServiceNow's PySNC pages attachments by this count).
    res.set('X-Total-Count', String(all.length));
    const start = Number.isInteger(offset) && offset >= 0 ? offset : 0;
    const found = all.slice(start, start + (Number.isInteger(limit) && limit >= 0 ? limit : 1000));
    sendResult(
      req,
      res,
      200,
      found.map((a) => shape(req, a)),
    );
  });

  router.get('/now/attachment/:sysId', (req, res) => {
    sendResult(req, res, 200, shape(req, visible(req, res)));
  });

  router.get('/now/attachment/:sysId/file', (req, res) => {
    const a = visible(req, res);
    res.status(200).set('Content-Type', a.meta['content_type']).send(a.bytes);
  });

  router.delete('/now/attachment/:sysId', (req, res) => {
    const a = visible(req, res);
    if (!parentAllows(res, a, 'write')) {
      throw new BadRequest(403, 'Operation Failed', aclDetail('delete'));
    }
    store.delete(a.meta['sys_id']);
    res.status(204).end();
  });

  router.use(badRequestHandler);
  return router;
}
