import { InjectionToken } from '@angular/core';
import { CometD, Message } from 'cometd';

/** What the watcher hears from the bus: handshakes and connects, with the instance's session status. */
export interface LiveBusHandlers {
  /** A handshake answered: `status` is `ext['glide.session.status']`. */
  handshake(successful: boolean, status: string | undefined): void;
  /** A connect answered (each long poll, or each connect over the WebSocket). */
  connect(successful: boolean, status: string | undefined): void;
}

/** One connection to the instance's message bus. */
export interface LiveBus {
  subscribe(
    channel: string,
    onData: (data: unknown) => void,
    onReply: (successful: boolean, error: string | undefined) => void,
  ): unknown;
  unsubscribe(handle: unknown): void;
  /** The Bayeux client id, once handshaken (what `/amb_session_setup.do` names). */
  clientId(): string | null;
  stop(): void;
}

/** Where and how to connect. */
export interface LiveBusConfig {
  readonly url: string;
  readonly transports: readonly ('websocket' | 'long-polling')[];
}

/** Opens the connection; a DI token so unit tests can give the watcher a bus of their own. @internal */
export const LIVE_BUS = /* @__PURE__ */ new InjectionToken<
  (config: LiveBusConfig, handlers: LiveBusHandlers) => LiveBus
>(typeof ngDevMode !== 'undefined' && ngDevMode ? 'LIVE_BUS' : '', {
  factory: () => cometdBus,
});

const statusOf = (message: Message) =>
  (message.ext as Record<string, unknown> | undefined)?.['glide.session.status'] as
    string | undefined;

/**
 * The bus over the maintained CometD client (Bayeux 1.0: a WebSocket first, long-polling if it
 * fails), the way ServiceNow's own client uses it: the session cookie authenticates, nothing is
 * added to the messages, the instance's session status is read from each reply's `ext`.
 */
export function cometdBus(config: LiveBusConfig, handlers: LiveBusHandlers): LiveBus {
  const cometd = new CometD();
  for (const type of ['websocket', 'long-polling'] as const) {
    if (!config.transports.includes(type)) {
      cometd.unregisterTransport(type);
    }
  }
  // JSONP would send the session to any page that includes it; an instance page never needs it.
  cometd.unregisterTransport('callback-polling');
  // Timers on the page, not in a Worker made from a blob: a portal's CSP may refuse those.
  cometd.configure({ url: config.url, logLevel: 'warn', useWorkerScheduler: false });
  cometd.addListener('/meta/handshake', (m) =>
    handlers.handshake(m.successful === true, statusOf(m)),
  );
  cometd.addListener('/meta/connect', (m) => handlers.connect(m.successful === true, statusOf(m)));
  cometd.handshake();
  return {
    subscribe: (channel, onData, onReply) =>
      cometd.subscribe(
        channel,
        (m) => onData(m.data),
        (reply) => onReply(reply.successful === true, reply.error),
      ),
    unsubscribe: (handle) => cometd.unsubscribe(handle as never),
    clientId: () => cometd.getClientId(),
    stop: () => cometd.disconnect(),
  };
}
