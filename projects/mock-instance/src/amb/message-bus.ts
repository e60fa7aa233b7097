// faye ships no types: its declarations here reach every project that compiles this file.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./faye.d.ts" />
/**
 * The instance's message bus (AMB): a Bayeux 1.0 server at `/amb` (faye: WebSocket and
 * long-polling) with ServiceNow's conventions, as its own clients read them (`amb-client-js`
 * 20.0.3, the archived classic and AngularJS bundles, ServiceNow's iOS SDK tests):
 *
 * - authenticated by the session cookie; the bus itself takes no `X-UserToken`. A client id is no
 *   credential: a client is bound to the session of its handshake (or of a session setup), and a
 *   connect, subscribe, unsubscribe or disconnect — long poll or WebSocket frame — that carries
 *   another session (or none, for a bound client) is answered `402::Unknown client`, as for a
 *   client the bus does not know;
 * - handshake and connect replies carry `ext['glide.session.status']`: `session.logged.in` while
 *   the client's session lives, `session.logged.out` once it ended (on the next connect: an open
 *   connect is answered at once), `session.invalidated` for a handshake without a session;
 * - a connect from a client the bus forgot is refused with `402::Unknown client` (faye says 401);
 * - `/amb_session_setup.do` (POST or GET, with `X-UserToken` and `X-CometD_SessionID`) binds a
 *   client to the request's session and answers `{"glide.session.status": ...}` — a client bound
 *   to no one, or to a session of the same user (a re-login); any other is refused as unknown;
 * - record-watcher channels (`/rw/default/<table>/<base64 query>`): every insert, update and
 *   delete is sent to each subscriber whose query matches the record before or after the change
 *   (`entry`, `change`, `exit`) and who may read it; a subscribe to a table the user may not read
 *   is refused with `glide.amb.reply.status.code: 403`, and so is one past the cap on a client's
 *   subscriptions (`maxSubscriptions`).
 *
 * Unverified without a live instance (see the README): what `/amb_session_setup.do` answers for
 * a stale or missing token (here: what any REST call gets), a handshake without a session, the
 * `changes` of an insert, whether a watcher of a parent table sees its children's records, how an
 * instance answers a client of another session, and whether it caps subscriptions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BayeuxMessage, EngineServer, NodeAdapter } from 'faye';
import { parse as parseCookies } from 'cookie';

import type { Database } from '../data/database';
import { Row, shapeRecord, TableDef } from '../data/tables';
import { allowed, readFieldAs } from '../glide/acl';
import { evaluateScripts, matchesQuery, parseEncodedQuery } from '../glide/encoded-query';
import type { RequestGuard } from '../http/dev-guard';
import { refuseUpgrade } from '../http/dev-guard';
import { sendError } from '../http/responses';
import { hasFieldIn } from '../http/rest';
import type { Caller } from '../session/csrf';
import { SESSION_COOKIE, sessionIdOf } from '../session/login-pages';
import type { Session, SessionStore } from '../session/sessions';
import { BusEngine } from './engine';
import { clientChannel, internalChannel, parseRecordChannel } from './record-channels';
import { acceptBusSocket } from './websocket';

/** What the message bus counts (in `GET /mock/stats`). */
export interface BusStats {
  /** Bayeux handshakes: a client (re)starting from nothing. */
  busHandshakes: number;
  /** Bayeux connects (each long poll, or each connect over a WebSocket). */
  busConnects: number;
  /** Channels subscribed to. */
  busSubscribes: number;
  /**
   * Subscriptions refused (403: access, or the cap on a client's subscriptions), and requests
   * refused for a client of another session (402).
   */
  busRefused: number;
  /** Record-watcher messages delivered. */
  busMessages: number;
  /** Successful `/amb_session_setup.do` calls (each carried the session's current token). */
  busSessionSetups: number;
}

export const SESSION_STATUS = 'glide.session.status';
/**
 * Seconds the session has left, in handshake and connect replies: 1800 while logged in, 0 for a
 * session that is gone — as captured from an instance's bus in a browser and in Node
 * (`sonisoft-cnanda/now-dev`, `docs/AMB_DEBUGGING_ANALYSIS.md`,
 * `docs/internal/AMB_ISSUES_AND_SOLUTIONS.md`). ServiceNow's own `nowStream` (the activity
 * stream's `sn.common.glide` service, `evaluateLoggedIn`, in the UI bundles copied into public
 * repositories) counts itself logged in only when the status is `session.logged.in` and this is
 * above 0. Here: the session's idle time left (`SessionStore.secondsLeft`; 1800 for a session
 * that never times out, an instance's default `glide.ui.session_timeout`).
 */
export const SESSION_TIME_REMAINING = 'glide.session.time.remaining.in.seconds';
const LOGGED_IN = 'session.logged.in';
const LOGGED_OUT = 'session.logged.out';
const INVALIDATED = 'session.invalidated';

const AMB_PATH = /^\/amb(?:\/[^/]*)?$/;

/**
 * What `amb-client-js` 20.0.3 reacts to on a connect: it calls `/amb_session_setup.do` with its
 * token, then goes on (ServiceNow's client code). faye's own error for an unknown client is
 * `401:<id>:Unknown client`. That an instance answers a client of another session the same way
 * is unverified: here it does, so a client id reveals nothing, and a browser whose session changed
 * (a re-login) recovers as from a forgotten client.
 */
const UNKNOWN_CLIENT = '402::Unknown client';

/**
 * What a refused subscribe carries in `ext`. The status code is what ServiceNow's clients read
 * (see the README); the message and `rejected_by_glide` are quoted second-hand, from log excerpts
 * of an instance's bus in `sonisoft-cnanda/now-dev` (`docs/internal/AMB_ISSUES_AND_SOLUTIONS.md`,
 * `docs/AMB_COMPLETE_FIX.md`), not from a full capture: this shape is unverified (where
 * `rejected_by_glide` sits, and whether an instance words a refusal by access the same way).
 */
const REFUSED_SUBSCRIBE_EXT = {
  'glide.amb.reply.status.code': 403,
  'glide.amb.reply.status.message':
    'Either the channel is not a public channel or http session is not mapped against glide ' +
    'session with a valid user',
  rejected_by_glide: true,
};

/** The default cap on one client's subscriptions (`maxSubscriptions`). */
export const DEFAULT_BUS_MAX_SUBSCRIPTIONS = 100;

/** One record-watcher message's `data`, as ServiceNow's clients read it. */
export interface RecordMessage {
  readonly action: 'entry' | 'change' | 'exit';
  readonly operation: 'insert' | 'update' | 'delete';
  readonly sys_id: string;
  readonly table_name: string;
  readonly display_value: string;
  readonly changes: readonly string[];
  readonly record: Record<string, unknown>;
}

export interface MessageBusDeps {
  readonly db: Database;
  readonly sessions: SessionStore;
  readonly guard: RequestGuard;
  readonly stats: BusStats;
  /** Seconds a connect is held before it is answered (faye's `timeout`). */
  readonly timeout: number;
  /** Channels one client may subscribe to at once; a subscribe past it is refused (403). */
  readonly maxSubscriptions: number;
}

/** A client of the bus, and whom it belongs to. */
interface BusClient {
  /** The session it is bound to now (its handshake's, or the last session setup's); null: none. */
  session: string | null;
  /** That session's user (sys_id), kept once the session ends, for a re-login's session setup. */
  user: string | null;
  /**
   * Every session it was bound to, all of `user`: a WebSocket keeps the cookie of its upgrade,
   * so after a re-login and a session setup its frames still carry the session before.
   */
  readonly sessions: Set<string>;
}

export class MessageBus {
  private readonly adapter: NodeAdapter;
  private engine: BusEngine | null = null;
  /** Each client and the session it is bound to. */
  private readonly clients = new Map<string, BusClient>();

  constructor(private readonly deps: MessageBusDeps) {
    this.adapter = new NodeAdapter({
      mount: '/amb',
      timeout: deps.timeout,
      engine: {
        type: {
          create: (server: EngineServer) =>
            (this.engine = new BusEngine(server, (clientId) => this.clients.delete(clientId))),
        },
      },
    });
    this.adapter.addExtension({
      incoming: (message, request, callback) => callback(this.incoming(message, request)),
      outgoing: (message, request, callback) => callback(this.outgoing(message, request)),
    });
    deps.sessions.onEnd((id) => this.sessionEnded(id));
  }

  /**
   * `/amb` and `/amb/<type>` over HTTP: long-polling posts only, after the cross-site check (faye
   * itself would answer any origin's preflight and JSONP poll with the user's session).
   */
  readonly http: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    if (!AMB_PATH.test(req.path)) {
      next();
      return;
    }
    const refusal = this.deps.guard.caller(req.headers);
    if (refusal !== null) {
      sendError(req, res, 403, {
        message: 'Mock instance refused a cross-site request',
        detail: `The message bus ${refusal.message}`,
      });
      return;
    }
    if (req.method !== 'POST') {
      sendError(req, res, 405, {
        message: 'Method not Supported',
        detail: `${req.method} is not supported on the message bus; use POST or a WebSocket`,
      });
      return;
    }
    this.adapter.handle(req as IncomingMessage, res as ServerResponse);
  };

  /** Whether an upgrade is for the bus; the caller has checked its `Host`. */
  handles(req: IncomingMessage): boolean {
    return AMB_PATH.test((req.url ?? '').split('?')[0]);
  }

  /**
   * A WebSocket upgrade to `/amb`, after the cross-site check (a page's WebSocket has no CORS).
   * Its frames act for a client only with the upgrade's session (see `websocket.ts`).
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal = this.deps.guard.caller(req.headers);
    if (refusal !== null) {
      refuseUpgrade(socket, `Mock instance: the message bus ${refusal.message}`);
      return;
    }
    acceptBusSocket(
      this.adapter._server,
      (clientId, request) => this.mayActFor(clientId, request),
      req,
      socket,
      head,
    );
  }

  /**
   * `/amb_session_setup.do`, behind the REST authentication (session cookie and `X-UserToken`):
   * binds the client named by `X-CometD_SessionID` to this session — a client bound to no one (a
   * handshake without a session), or to a session of this same user (a re-login). A client of
   * another user is refused exactly as one the bus does not know (400, the mock's shape: an
   * instance's answer is unverified; `amb-client-js` ignores any non-200), so a client id can be
   * neither taken over nor probed.
   */
  readonly sessionSetup: RequestHandler = (req: Request, res: Response) => {
    const clientId = req.headers['x-cometd_sessionid'];
    const session = this.deps.sessions.peek(sessionIdOf(req));
    const client = typeof clientId === 'string' ? this.clients.get(clientId) : undefined;
    if (!client || !session || (client.user !== null && client.user !== session.userSysId)) {
      sendError(req, res, 400, {
        message: 'Invalid message bus client',
        detail: 'X-CometD_SessionID must name a client of this instance’s message bus',
      });
      return;
    }
    client.session = session.id;
    client.user = session.userSysId;
    client.sessions.add(session.id);
    this.deps.stats.busSessionSetups++;
    res.json({ [SESSION_STATUS]: LOGGED_IN });
  };

  /** Sends a record change to every subscriber it concerns. Called by the database. */
  recordChanged(def: TableDef, before: Row | null, after: Row | null): void {
    const engine = this.engine;
    if (!engine) {
      return;
    }
    for (const [clientId, channels] of engine.subscriptions()) {
      const session = this.sessionOf(clientId);
      if (!session) {
        continue;
      }
      const caller: Caller = { sysId: session.userSysId, userName: session.userName };
      for (const internal of channels) {
        const channel = clientChannel(internal);
        const watched = parseRecordChannel(channel);
        if (watched?.table !== def.name) {
          continue;
        }
        const data = this.messageFor(def, watched.query, caller, before, after);
        if (data) {
          this.deps.stats.busMessages++;
          engine.deliverTo(clientId, { channel, data });
        }
      }
    }
  }

  close(): void {
    this.engine?.disconnect();
    this.adapter.close();
  }

  private messageFor(
    def: TableDef,
    query: string,
    caller: Caller,
    before: Row | null,
    after: Row | null,
  ): RecordMessage | null {
    const { db } = this.deps;
    const parsed = evaluateScripts(
      parseEncodedQuery(query, { table: def.name, hasField: hasFieldIn(db) }),
      { userId: caller.sysId, userName: caller.userName, now: db.now() },
    );
    // A dot-walk in the query reads the referenced record as the subscriber may (as a list does).
    const sees = (row: Row | null) =>
      row !== null &&
      allowed(db, caller, 'read', def, row) &&
      matchesQuery(parsed, (field) => readFieldAs(db, caller, def, row, field));
    const was = sees(before);
    const is = sees(after);
    if (!was && !is) {
      return null;
    }
    const row = (after ?? before)!;
    const changes = Object.keys(def.fields).filter(
      (field) => (before?.[field] ?? '') !== (after?.[field] ?? ''),
    );
    return {
      action: was && is ? 'change' : is ? 'entry' : 'exit',
      operation: before === null ? 'insert' : after === null ? 'delete' : 'update',
      sys_id: row['sys_id'],
      table_name: def.name,
      display_value: row[def.displayField] ?? '',
      changes,
      record: shapeRecord(
        def,
        row,
        null,
        { displayValue: 'all', excludeReferenceLink: true, apiBase: '' },
        (table, sysId) => db.displayOf(table, sysId),
        () => null,
      ),
    };
  }

  /** The live session a client belongs to, or null. */
  private sessionOf(clientId: string): Session | null {
    return this.deps.sessions.peek(this.clients.get(clientId)?.session ?? undefined);
  }

  /**
   * The session id a Bayeux request's cookie carries, live or not. A WebSocket's messages come
   * with its upgrade request, which no Express middleware parsed: the cookie header is read here.
   */
  private cookieSessionOf(request: IncomingMessage | null): string | null {
    return parseCookies(request?.headers.cookie ?? '')[SESSION_COOKIE] || null;
  }

  /**
   * Whether a request may act for a client: it carries a session the client was bound to (an
   * ended one included, so that its connect hears `session.logged.out`). A client never bound has
   * nothing to read, so any request may; an unknown client is faye's to answer.
   */
  private mayActFor(clientId: string, request: IncomingMessage | null): boolean {
    const client = this.clients.get(clientId);
    const carried = this.cookieSessionOf(request);
    return (
      !client || client.sessions.size === 0 || (carried !== null && client.sessions.has(carried))
    );
  }

  private incoming(message: BayeuxMessage, request: IncomingMessage | null): BayeuxMessage {
    const { stats } = this.deps;
    if (message.channel === '/meta/handshake') {
      stats.busHandshakes++;
      return message;
    }
    if (message.channel === '/meta/connect') {
      stats.busConnects++;
    }
    if (message.channel.startsWith('/meta/') && !this.mayActFor(message.clientId ?? '', request)) {
      stats.busRefused++;
      return { ...message, error: UNKNOWN_CLIENT };
    }
    switch (message.channel) {
      case '/meta/subscribe':
      case '/meta/unsubscribe':
        return this.subscription(message);
      default:
        if (message.channel.startsWith('/meta/')) {
          return message;
        }
        return { ...message, error: `403::Publishing is not allowed on ${message.channel}` };
    }
  }

  /**
   * A subscribe or unsubscribe of a client that may act: a subscribe is refused (403) for a
   * channel the user may not read, or that would take the client past `maxSubscriptions` (the
   * cap is the mock's, against a client that makes every write cost; an instance's is unverified).
   */
  private subscription(message: BayeuxMessage): BayeuxMessage {
    const { stats, db, maxSubscriptions } = this.deps;
    const subscribing = message.channel === '/meta/subscribe';
    const channels = [message.subscription ?? []].flat();
    const session = this.sessionOf(message.clientId ?? '');
    const user = session && { sysId: session.userSysId, userName: session.userName };
    for (const channel of channels) {
      const watched = parseRecordChannel(channel);
      const def = watched && db.table(watched.table);
      if (subscribing && (!def || !user || !allowed(db, user, 'read', def, null))) {
        stats.busRefused++;
        return { ...message, error: `403::Denied authorization to subscribe to ${channel}` };
      }
    }
    const internal = channels.map(internalChannel);
    if (subscribing) {
      const held = this.engine?.subscriptions().get(message.clientId ?? '') ?? new Set<string>();
      const added = new Set(internal.filter((channel) => !held.has(channel)));
      if (held.size + added.size > maxSubscriptions) {
        stats.busRefused++;
        return {
          ...message,
          error:
            `403::Denied authorization to subscribe to ${channels.join(', ')}: a client may ` +
            `hold at most ${maxSubscriptions} subscriptions`,
        };
      }
      stats.busSubscribes += channels.length;
    }
    return { ...message, subscription: internal };
  }

  private outgoing(message: BayeuxMessage, request: IncomingMessage | null): BayeuxMessage {
    const ext = { ...message.ext, 'glide.amb.active': true };
    // faye's own unknown-client error, on any meta channel, said as an instance's client reads it.
    if (typeof message.error === 'string' && /^401:.*Unknown client$/.test(message.error)) {
      return { ...message, error: UNKNOWN_CLIENT };
    }
    switch (message.channel) {
      case '/meta/handshake': {
        if (!message.successful || !message.clientId) {
          return message;
        }
        const sessionId = this.cookieSessionOf(request);
        const session = this.deps.sessions.peek(sessionId ?? undefined);
        this.clients.set(message.clientId, {
          session: session?.id ?? null,
          user: session?.userSysId ?? null,
          sessions: new Set(session ? [session.id] : []),
        });
        return {
          ...message,
          // What an instance's bus offers (faye would also offer JSONP, EventSource, in-process).
          supportedConnectionTypes: ['websocket', 'long-polling'],
          ext: {
            ...ext,
            [SESSION_STATUS]: session ? LOGGED_IN : INVALIDATED,
            [SESSION_TIME_REMAINING]: this.deps.sessions.secondsLeft(session?.id),
          },
        };
      }
      case '/meta/connect': {
        if (message.error !== undefined) {
          return message; // no session status for a refused connect: it is not that client's
        }
        const session = this.sessionOf(message.clientId ?? '');
        return {
          ...message,
          ext: {
            ...ext,
            [SESSION_STATUS]: session ? LOGGED_IN : LOGGED_OUT,
            [SESSION_TIME_REMAINING]: this.deps.sessions.secondsLeft(session?.id),
          },
        };
      }
      case '/meta/subscribe':
      case '/meta/unsubscribe': {
        const subscription = [message.subscription ?? []].flat().map(clientChannel);
        const refused = typeof message.error === 'string' && message.error.startsWith('403:');
        return {
          ...message,
          subscription: subscription.length === 1 ? subscription[0] : subscription,
          ...(refused ? { ext: { ...ext, ...REFUSED_SUBSCRIBE_EXT } } : {}),
        };
      }
      default:
        return message;
    }
  }

  /** A session ended: its clients hear it on their open connect, now. */
  private sessionEnded(id: string): void {
    for (const [clientId, client] of this.clients) {
      if (client.session === id) {
        // Answer the open connect now, keeping a WebSocket open (faye would close it otherwise).
        this.engine?.server.flushConnection(clientId, false);
      }
    }
  }
}
