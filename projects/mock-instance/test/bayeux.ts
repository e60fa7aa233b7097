// A raw Bayeux client for the message bus's tests: the messages on the wire, by long-polling
// (the test client's fetch and cookies) or over a WebSocket (ws, with the same cookies).
import WebSocket from 'ws';

import type { Client } from './client';

export interface Message {
  channel: string;
  clientId?: string;
  successful?: boolean;
  error?: string;
  ext?: Record<string, unknown>;
  data?: unknown;
  [field: string]: unknown;
}

export interface Bayeux {
  /** Sends messages; resolves with the replies (and deliveries) that answer them. */
  send(type: string, messages: Message[]): Promise<Message[]>;
  /** Closes the WebSocket (nothing to close for long-polling). */
  close(): void;
}

/** Long-polling: each batch is a POST to `/amb/<type>`, answered with a JSON array. */
export function longPolling(client: Client, headers: Record<string, string> = {}): Bayeux {
  return {
    async send(type, messages) {
      const response = await client.fetch(`/amb/${type}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json;charset=UTF-8', ...headers },
        body: JSON.stringify(messages),
      });
      if (response.status !== 200) {
        throw new Error(`POST /amb/${type}: ${response.status} ${await response.text()}`);
      }
      return (await response.json()) as Message[];
    },
    close() {},
  };
}

/** A WebSocket to `/amb`: resolves once open; `send` resolves with the next frame(s) holding a reply. */
export async function webSocket(baseUrl: string, client: Client): Promise<Bayeux> {
  const cookie = client.cookie();
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/amb`, {
    headers: cookie ? { Cookie: cookie } : {},
  });
  const inbox: Message[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    inbox.push(...(JSON.parse(String(data)) as Message[]));
    waiters.splice(0).forEach((wake) => wake());
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    async send(_type, messages) {
      socket.send(JSON.stringify(messages));
      const ids = new Set(messages.map((m) => m['id']));
      for (;;) {
        const at = inbox.findIndex((m) => ids.has(m['id']));
        if (at >= 0) {
          return inbox.splice(0, at + 1);
        }
        await new Promise<void>((wake) => waiters.push(wake));
      }
    },
    close() {
      socket.close();
    },
  };
}

let nextId = 0;

/** A Bayeux message with a fresh id. */
export function message(channel: string, fields: Record<string, unknown> = {}): Message {
  return { channel, id: String(++nextId), ...fields };
}

/** Handshakes: resolves with the reply. */
export async function handshake(bus: Bayeux, connectionType = 'long-polling'): Promise<Message> {
  const [reply] = await bus.send('handshake', [
    message('/meta/handshake', {
      version: '1.0',
      supportedConnectionTypes: [connectionType],
    }),
  ]);
  return reply;
}

/**
 * A connect: resolves with everything that answered it (deliveries first, then the reply).
 * `holdMs` asks the server to hold it no longer than that (Bayeux `advice.timeout`).
 */
export function connect(
  bus: Bayeux,
  clientId: string,
  connectionType = 'long-polling',
  holdMs?: number,
) {
  const advice = holdMs === undefined ? {} : { advice: { timeout: holdMs } };
  return bus.send('connect', [message('/meta/connect', { clientId, connectionType, ...advice })]);
}

/** A subscribe: resolves with the reply. */
export async function subscribe(bus: Bayeux, clientId: string, subscription: string) {
  const replies = await bus.send('', [message('/meta/subscribe', { clientId, subscription })]);
  return replies[replies.length - 1];
}
