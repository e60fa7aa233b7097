/**
 * The Batch API (`POST /api/now/batch`, `/api/now/v1/batch`): several REST calls in one, each run
 * as if it were sent alone — the same authentication, CSRF check and ACLs — in order.
 *
 * Source: ServiceNow's docs (`batch-api.md`): `rest_requests` of `{id, method, url, headers:
 * [{name, value}], body (base64), exclude_response_headers}`; the answer's `serviced_requests` of
 * `{id, status_code, status_text, headers, body (base64), execution_time}` and
 * `unserviced_requests` (ids); an item may hold 5 MB, an answer 10 MB (or less with
 * `X-BATCHREQUEST-MAX-OUTPUT-SIZE`); past 30 seconds the rest is unserviced. ServiceNow's PySNC
 * client sends and reads exactly these fields.
 *
 * Each item inherits the batch's own credentials (its cookie, `Authorization` and `X-UserToken`)
 * unless it names its own: how an instance authenticates items is unverified. Items are sent to
 * this same server over loopback, so they are counted and checked like any request.
 */
import { request } from 'node:http';

import express, { Request, Response, Router } from 'express';

import { BadRequest, badRequestHandler } from './rest';

/** Largest item body, and largest item answer (the docs' defaults). */
const MAX_INPUT = 5 * 1024 * 1024;
const MAX_OUTPUT = 10 * 1024 * 1024;
const TIMEOUT_MS = 30_000;

/** Headers an item inherits from the batch request when it does not set them itself. */
const INHERITED = ['cookie', 'authorization', 'x-usertoken', 'host', 'accept'];

interface RestRequest {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: readonly { name: string; value: string }[];
  readonly body?: string;
  readonly exclude_response_headers?: boolean;
}

interface ServicedRequest {
  id: string;
  status_code: number;
  status_text: string;
  headers?: { name: string; value: string }[];
  body: string;
  execution_time: number;
  error_message?: string;
}

/**
 * The header that marks a batch's own items, with a value only this instance knows: they run
 * inside the batch's transaction, as on an instance, so the session queue lets them through
 * (else, with one transaction per session, an item would wait for the batch that waits for it).
 */
export interface BatchItemMark {
  readonly name: string;
  readonly value: string;
}

export function batchApi(clock: () => number, itemMark: BatchItemMark): Router {
  const router = express.Router();
  const json = express.json({ limit: '60mb' });
  router.post('/now/batch', json, async (req: Request, res: Response) => {
    const items = restRequests(req.body);
    const started = clock();
    const maxOutput = Math.min(
      MAX_OUTPUT,
      Number(req.headers['x-batchrequest-max-output-size'] ?? MAX_OUTPUT) || MAX_OUTPUT,
    );
    const serviced: ServicedRequest[] = [];
    const unserviced: string[] = [];
    for (const item of items) {
      if (clock() - started > TIMEOUT_MS) {
        unserviced.push(item.id);
        continue;
      }
      const body = item.body === undefined ? Buffer.alloc(0) : Buffer.from(item.body, 'base64');
      if (body.length > MAX_INPUT) {
        unserviced.push(item.id);
        continue;
      }
      const itemStarted = clock();
      const answer = await send(req, item, body, itemMark);
      if (answer.body.length > maxOutput) {
        unserviced.push(item.id);
        continue;
      }
      serviced.push({
        id: item.id,
        status_code: answer.status,
        status_text: answer.statusText,
        ...(item.exclude_response_headers ? {} : { headers: answer.headers }),
        body: answer.body.toString('base64'),
        execution_time: clock() - itemStarted,
        ...(answer.error ? { error_message: answer.error } : {}),
      });
    }
    res.set('Content-Type', 'application/json;charset=UTF-8');
    res.json({
      batch_request_id: String((req.body as { batch_request_id?: unknown }).batch_request_id ?? ''),
      serviced_requests: serviced,
      unserviced_requests: unserviced,
    });
  });
  router.use(badRequestHandler);
  return router;
}

/** The `rest_requests` of a batch body, checked. */
function restRequests(body: unknown): RestRequest[] {
  const list = (body as { rest_requests?: unknown } | null)?.rest_requests;
  if (!Array.isArray(list) || list.length === 0) {
    throw new BadRequest(400, 'Invalid batch request', 'rest_requests must be a non-empty array');
  }
  return list.map((item: unknown, index) => {
    const r = item as Partial<RestRequest> | null;
    const where = `rest_requests[${index}]`;
    if (!r || typeof r.id !== 'string' || r.id === '') {
      throw new BadRequest(400, 'Invalid batch request', `${where}.id is required`);
    }
    if (typeof r.method !== 'string' || typeof r.url !== 'string') {
      throw new BadRequest(400, 'Invalid batch request', `${where} needs method and url`);
    }
    const headers = r.headers ?? [];
    if (
      !Array.isArray(headers) ||
      !headers.every((h) => typeof h?.name === 'string' && typeof h?.value === 'string')
    ) {
      throw new BadRequest(
        400,
        'Invalid batch request',
        `${where}.headers must be [{name, value}]`,
      );
    }
    if (r.body !== undefined && typeof r.body !== 'string') {
      throw new BadRequest(400, 'Invalid batch request', `${where}.body must be base64 text`);
    }
    return { ...r, headers } as RestRequest;
  });
}

interface ItemAnswer {
  status: number;
  statusText: string;
  headers: { name: string; value: string }[];
  body: Buffer;
  error?: string;
}

/** One item, sent to this server over loopback with the batch's credentials. */
function send(
  batch: Request,
  item: RestRequest,
  body: Buffer,
  itemMark: BatchItemMark,
): Promise<ItemAnswer> {
  if (!item.url.startsWith('/api/') || /^\/api\/now\/(v\d+\/)?batch\b/.test(item.url)) {
    return Promise.resolve(refused(400, 'A batch item must be a REST API path, not a batch'));
  }
  const headers: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = batch.headers[name];
    if (typeof value === 'string') {
      headers[name] = value;
    }
  }
  for (const { name, value } of item.headers) {
    headers[name.toLowerCase()] = value;
  }
  headers['content-length'] = String(body.length);
  headers[itemMark.name] = itemMark.value;
  const socket = batch.socket;
  return new Promise((resolve) => {
    const inner = request(
      {
        host: socket.localAddress,
        port: socket.localPort,
        method: item.method.toUpperCase(),
        path: item.url,
        headers,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () =>
          resolve({
            status: answer.statusCode ?? 500,
            statusText: answer.statusMessage ?? '',
            headers: Object.entries(answer.headers).flatMap(([name, value]) =>
              (Array.isArray(value) ? value : [value ?? '']).map((v) => ({ name, value: v })),
            ),
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    inner.on('error', (error) => resolve(refused(500, error.message)));
    inner.end(body);
  });
}

function refused(status: number, message: string): ItemAnswer {
  const body = Buffer.from(JSON.stringify({ error: { message, detail: null }, status: 'failure' }));
  return {
    status,
    statusText: status === 400 ? 'Bad Request' : 'Internal Server Error',
    headers: [{ name: 'content-type', value: 'application/json;charset=UTF-8' }],
    body,
    error: message,
  };
}
