/**
 * How an instance answers on the wire: its error body (JSON or XML), the headers of a 401, and
 * content negotiation between JSON and XML.
 */
import type { Request, Response } from 'express';

export const JSON_TYPE = 'application/json;charset=UTF-8';
export const XML_TYPE = 'application/xml;charset=UTF-8';

/** Headers an instance puts on REST errors and authentication failures. */
export const NO_CACHE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-cache,no-store,must-revalidate,max-age=-1',
  Pragma: 'no-store,no-cache',
  Expires: '0',
};

export interface InstanceError {
  readonly message: string;
  readonly detail: string | null;
}

export const NOT_AUTHENTICATED: InstanceError = {
  message: 'User Not Authenticated',
  detail: 'Required to provide Auth information',
};

/**
 * The representation the client asked for: 'json', 'xml', or null when it accepts neither.
 * No Accept header, or `*\/*`, means JSON.
 */
export function negotiate(req: Request): 'json' | 'xml' | null {
  if (!req.headers.accept) {
    return 'json';
  }
  const type = req.accepts(['application/json', 'application/xml', 'text/xml']);
  return type === false ? null : type === 'application/json' ? 'json' : 'xml';
}

/** Sends `{"error":{...},"status":"failure"}` (or its XML form) with `status`. */
export function sendError(
  req: Request,
  res: Response,
  status: number,
  error: InstanceError,
  headers: Record<string, string> = {},
): void {
  res.status(status).set({ ...NO_CACHE_HEADERS, ...headers });
  if (negotiate(req) === 'xml') {
    const body = {
      error: { message: error.message, detail: error.detail ?? '' },
      status: 'failure',
    };
    sendBody(res, XML_TYPE, toXml(body));
  } else {
    sendBody(res, JSON_TYPE, JSON.stringify({ error, status: 'failure' }));
  }
}

/** Sends `body` with exactly this Content-Type (Express would rewrite the charset's case). */
function sendBody(res: Response, type: string, body: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** Sends a result body (`{"result": ...}`) as JSON or XML. */
export function sendResult(req: Request, res: Response, status: number, result: unknown): void {
  res.status(status);
  if (negotiate(req) === 'xml') {
    sendBody(res, XML_TYPE, toXml({ result }));
  } else {
    sendBody(res, JSON_TYPE, JSON.stringify({ result }));
  }
}

/** `<response>` XML for a body; arrays repeat their element name, as the instance does. */
export function toXml(body: Record<string, unknown>): string {
  return `<response>${elements(body)}</response>`;
}

function elements(object: Record<string, unknown>): string {
  return Object.entries(object)
    .map(([name, value]) =>
      Array.isArray(value) ? value.map((v) => element(name, v)).join('') : element(name, value),
    )
    .join('');
}

function element(name: string, value: unknown): string {
  const inner =
    value !== null && typeof value === 'object'
      ? elements(value as Record<string, unknown>)
      : escapeMarkup(String(value ?? ''));
  return `<${name}>${inner}</${name}>`;
}

/** Text safe inside markup (XML or HTML) and its attribute values. */
export function escapeMarkup(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
