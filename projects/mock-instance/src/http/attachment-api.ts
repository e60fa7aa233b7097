/**
 * A minimal Attachment API: upload (`POST /api/now/attachment/file?table_name=&table_sys_id=&
 * file_name=`, the raw bytes as body), list metadata (`GET /api/now/attachment`, filtered by
 * `sysparm_query` or `field=value` on the metadata fields), one record's metadata
 * (`GET /api/now/attachment/{sys_id}`), its bytes (`.../{sys_id}/file`) and delete. An attachment
 * is visible to whoever may read its record and removable by whoever may update it. Not here:
 * multipart upload (`/api/now/attachment/upload`) and image resizing.
 *
 * A record has the fields of an instance's `sys_attachment`, in the order recorded instances
 * send them (`swimlane/techpubs-knowledgecenter`, `docs/Connectors/ServiceNow/Actions/`
 * `add_attachment_to_table.md`, `get_attachment_metadata.md`, `get_attachment.md`: a developer
 * instance, 2022): 20 fields and `download_link`. Right after an upload its `state` is `pending`
 * (`sys_mod_count` 0, updated by the uploader); the instance then finishes it — a second later in
 * the recording — as `system`: `available`, `sys_mod_count` 1. The mock finishes it once the
 * upload's answer is sent. `hash` is the SHA-256 of the bytes (64 hex digits in every recording;
 * that it hashes the bytes as uploaded is the mock's reading), `compressed` `true` with
 * `size_compressed` the gzip size (5881 → 4343 recorded; the instance's compressor is
 * unverified), `chunk_size_bytes` 700000. `image_width`, `image_height` and
 * `average_image_color` are empty (recorded for non-images; what an instance fills in for an
 * image is unverified). A download carries `Content-Disposition` and `x-attachment-metadata`
 * (see the download route). The records are not served through the Table API's
 * `sys_attachment` here (an instance does).
 */
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import express, { Request, Response, Router } from 'express';

import { aclDetail, allowed } from '../glide/acl';
import { callerOf } from '../session/csrf';
import { Database } from '../data/database';
import { matchesQuery } from '../glide/encoded-query';
import {
  apiBaseOf,
  BadRequest,
  badRequestHandler,
  notFound,
  param,
  queryOf,
  QueryRules,
  tableNamed,
} from './rest';
import { NO_CACHE_HEADERS, sendResult } from './responses';
import { glideDateTime } from '../data/seed';

interface Attachment {
  readonly meta: Record<string, string>;
  readonly bytes: Buffer;
}

/** The fields of a `sys_attachment` record, in the order recorded instances send them. */
const META_FIELDS = [
  'size_bytes',
  'file_name',
  'sys_mod_count',
  'average_image_color',
  'image_width',
  'sys_updated_on',
  'sys_tags',
  'table_name',
  'sys_id',
  'image_height',
  'sys_updated_by',
  'content_type',
  'sys_created_on',
  'size_compressed',
  'compressed',
  'state',
  'table_sys_id',
  'chunk_size_bytes',
  'hash',
  'sys_created_by',
];

/** Chunk size of a stored attachment, as every recent recording shows it. */
const CHUNK_SIZE_BYTES = '700000';

/** The attachments of the mock instance, kept in memory (cleared by `POST /mock/reset`). */
export class AttachmentStore {
  private readonly items = new Map<string, Attachment>();
  get(id: string): Attachment | undefined {
    return this.items.get(id.toLowerCase());
  }
  all(): Attachment[] {
    return [...this.items.values()];
  }
  put(attachment: Attachment): void {
    this.items.set(attachment.meta['sys_id'].toLowerCase(), attachment);
  }
  delete(id: string): void {
    this.items.delete(id.toLowerCase());
  }
  clear(): void {
    this.items.clear();
  }
}

/**
 * `Content-Disposition` of a download, as a recorded instance sends it:
 * `attachment;filename="test";filename*=UTF-8''test` (`get_attachment.md` of Swimlane's connector
 * docs, 2022). An older capture has `attachment;filename=picture` (the `servicenow-rest-api`
 * README, npm, 2021): the mock follows the newer one. How an instance escapes a quote or a
 * non-ASCII character in the plain `filename` is unverified: here they become `_`, and
 * `filename*` carries the name (RFC 6266).
 */
export function contentDisposition(fileName: string): string {
  const plain = fileName.replace(/["\\]|[^\x20-\x7e]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment;filename="${plain}";filename*=UTF-8''${encoded}`;
}

/**
 * `x-attachment-metadata`: the record as JSON, without `download_link`, in the recorded layout
 * (`{  "size_bytes" : "5881",  "file_name" : "test", ...}`: two spaces before each key, spaces
 * around the colon). Characters beyond ASCII are escaped (`\u00e9`), as a header must be ASCII:
 * how an instance writes them is unverified.
 */
export function attachmentMetadataHeader(meta: Readonly<Record<string, string>>): string {
  const ascii = (text: string) =>
    JSON.stringify(text).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return `{${META_FIELDS.map((f) => `  ${ascii(f)} : ${ascii(meta[f] ?? '')}`).join(',')}}`;
}

export function attachmentApi(
  db: Database,
  store: AttachmentStore,
  bodyLimit: string,
  rules: QueryRules,
): Router {
  const router = express.Router();
  const raw = express.raw({ type: () => true, limit: bodyLimit });
  // The record in the recorded order, its download link under the version asked for.
  const shape = (req: Request, a: Attachment) =>
    Object.fromEntries(
      [...META_FIELDS.slice(0, 11), 'download_link', ...META_FIELDS.slice(11)].map((f) => [
        f,
        f === 'download_link' ? `${apiBaseOf(req)}/attachment/${a.meta['sys_id']}/file` : a.meta[f],
      ]),
    );
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
    const now = glideDateTime(rules.clock());
    const by = callerOf(res).userName;
    const attachment: Attachment = {
      meta: {
        size_bytes: String(bytes.length),
        file_name: fileName,
        sys_mod_count: '0',
        average_image_color: '',
        image_width: '',
        sys_updated_on: now,
        sys_tags: '',
        table_name: def.name,
        sys_id: randomBytes(16).toString('hex'),
        image_height: '',
        sys_updated_by: by,
        content_type: req.headers['content-type'] ?? 'application/octet-stream',
        sys_created_on: now,
        size_compressed: String(gzipSync(bytes).length),
        compressed: 'true',
        state: 'pending',
        table_sys_id: row['sys_id'],
        chunk_size_bytes: CHUNK_SIZE_BYTES,
        hash: createHash('sha256').update(bytes).digest('hex'),
        sys_created_by: by,
      },
      bytes,
    };
    store.put(attachment);
    // The instance finishes the upload on its own, as `system` (see above): once it is answered.
    res.once('finish', () =>
      Object.assign(attachment.meta, {
        state: 'available',
        sys_mod_count: '1',
        sys_updated_by: 'system',
        sys_updated_on: glideDateTime(rules.clock()),
      }),
    );
    // What an instance answers: the attachment's download link (a developer instance's 201 in
    // Swimlane's connector docs, `add_attachment_to_table.md`, 2022), under the API version the
    // upload named: ServiceNow's PySNC uploads to `/api/now/v1/attachment/file` and expects the
    // `Location` it gets to be `/api/now/v1/attachment/<sys_id>/file` (`test_add_delete_get`,
    // `test/test_snc_attachment.py` in `ServiceNow/PySNC`, run against a real instance in CI).
    res.set('Location', `${apiBaseOf(req)}/attachment/${attachment.meta['sys_id']}/file`);
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

  // A download as recorded (`get_attachment.md` of Swimlane's connector docs, 2022; the
  // `servicenow-rest-api` README, 2021): the bytes, `Content-Type` the stored type with
  // `;charset=UTF-8` appended (`application/json;charset=UTF-8`, `image/png;charset=UTF-8` in
  // both), `Content-Disposition`, `x-attachment-metadata`, and none of the cache headers other
  // REST answers carry.
  router.get('/now/attachment/:sysId/file', (req, res) => {
    const a = visible(req, res);
    for (const name of Object.keys(NO_CACHE_HEADERS)) {
      res.removeHeader(name);
    }
    const type = a.meta['content_type'];
    res.status(200);
    res.setHeader('Content-Type', /;\s*charset=/i.test(type) ? type : `${type};charset=UTF-8`);
    res.setHeader('Content-Disposition', contentDisposition(a.meta['file_name']));
    res.setHeader('x-attachment-metadata', attachmentMetadataHeader(a.meta));
    res.setHeader('Content-Length', a.bytes.length);
    res.end(a.bytes);
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
