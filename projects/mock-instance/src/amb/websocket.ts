// faye ships no types: its declarations here reach every project that compiles this file.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./faye.d.ts" />
/**
 * The message bus's WebSocket transport: faye 1.4's own (`NodeAdapter.handleUpgrade`), with one
 * change. faye attaches a socket to the client named by the first connect of each frame *before*
 * any extension sees the frame, so a socket could take over another session's client (its
 * deliveries, then closing it) whatever the bus answers. Here a socket is attached only to a
 * client that `mayAttach` allows; the frame is processed as usual either way, so the bus's
 * extension answers a refused client in the instance's error shape.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

import type { BayeuxServer } from 'faye';

/** The parts of `faye-websocket` (faye's own WebSocket server) used here. */
interface FayeWebSocket {
  onmessage: ((event: { data: string }) => void) | null;
  onclose: (() => void) | null;
  send(data: string): boolean;
}
type FayeWebSocketClass = new (
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  protocols: string[],
  options: Record<string, unknown>,
) => FayeWebSocket;

/**
 * `faye-websocket` as faye itself resolves it: a dependency of faye, not of this package, so the
 * bus speaks exactly the WebSocket faye would.
 */
function fayeWebSocket(): FayeWebSocketClass {
  return createRequire(require.resolve('faye'))('faye-websocket') as FayeWebSocketClass;
}

/** The client id a frame's connect names (what faye attaches the socket to). */
function connectingClient(messages: unknown): string | null {
  const connect = [messages]
    .flat()
    .find(
      (m): m is { clientId: unknown } =>
        typeof m === 'object' &&
        m !== null &&
        (m as { channel?: unknown }).channel === '/meta/connect',
    );
  return typeof connect?.clientId === 'string' ? connect.clientId : null;
}

/** Handles one WebSocket upgrade to the bus, as faye would but for `mayAttach`. */
export function acceptBusSocket(
  server: BayeuxServer,
  mayAttach: (clientId: string, request: IncomingMessage) => boolean,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const WebSocket = fayeWebSocket();
  const ws = new WebSocket(request, socket, head, [], {});
  let attached: string | null = null;
  let open = true;
  ws.onmessage = (event) => {
    let messages: unknown;
    try {
      messages = JSON.parse(event.data);
    } catch {
      return; // faye logs a frame it cannot parse and answers nothing
    }
    const clientId = connectingClient(messages);
    if (clientId !== null && mayAttach(clientId, request)) {
      if (attached !== null && attached !== clientId) {
        server.closeSocket(attached, false);
      }
      server.openSocket(clientId, ws, request);
      attached = clientId;
    }
    server.process(messages, request, (replies) => {
      if (open) {
        ws.send(JSON.stringify(replies));
      }
    });
  };
  ws.onclose = () => {
    open = false;
    if (attached !== null) {
      server.closeSocket(attached);
    }
  };
}
