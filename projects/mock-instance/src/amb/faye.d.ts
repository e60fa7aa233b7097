// The parts of faye 1.4 (a Bayeux server; it ships no types) that the mock's message bus uses.
declare module 'faye' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { Duplex } from 'node:stream';

  /** A Bayeux message as faye's extensions see it. */
  export interface BayeuxMessage {
    channel: string;
    clientId?: string;
    id?: string;
    successful?: boolean;
    error?: string;
    subscription?: string | string[];
    data?: unknown;
    ext?: Record<string, unknown>;
    advice?: Record<string, unknown>;
    connectionType?: string;
    [key: string]: unknown;
  }

  /** A server extension: `request` is the HTTP request (the upgrade's, over a WebSocket). */
  export interface ServerExtension {
    incoming?(
      message: BayeuxMessage,
      request: IncomingMessage | null,
      callback: (message: BayeuxMessage) => void,
    ): void;
    outgoing?(
      message: BayeuxMessage,
      request: IncomingMessage | null,
      callback: (message: BayeuxMessage) => void,
    ): void;
  }

  /** What faye hands an engine: its connections (the documented engine contract). */
  export interface EngineServer {
    readonly timeout: number;
    hasConnection(clientId: string): boolean;
    deliver(clientId: string, messages: BayeuxMessage[]): boolean;
    flushConnection(clientId: string, close?: boolean): void;
    generateId(): string;
    trigger(event: string, ...args: unknown[]): void;
  }

  export interface EngineClass {
    create(server: EngineServer, options: Record<string, unknown>): unknown;
  }

  /**
   * faye 1.4's protocol server behind a `NodeAdapter` (`adapter._server`, not public API): the
   * three calls its own WebSocket transport makes, which the bus makes itself (`websocket.ts`).
   */
  export interface BayeuxServer {
    process(
      messages: unknown,
      request: IncomingMessage,
      callback: (replies: BayeuxMessage[]) => void,
    ): void;
    openSocket(clientId: string, socket: unknown, request: IncomingMessage): void;
    closeSocket(clientId: string, close?: boolean): void;
  }

  export class NodeAdapter {
    constructor(options: {
      mount: string;
      timeout?: number;
      ping?: number;
      engine?: { type: EngineClass; [key: string]: unknown };
    });
    addExtension(extension: ServerExtension): void;
    handle(request: IncomingMessage, response: ServerResponse): void;
    handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
    getClient(): { publish(channel: string, data: unknown): unknown };
    readonly _server: BayeuxServer;
    close(): void;
  }
}
