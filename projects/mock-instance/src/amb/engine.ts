// faye ships no types: its declarations here reach every project that compiles this file.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./faye.d.ts" />
/**
 * The message bus's engine: faye's engine contract (clients, their subscriptions, the messages
 * waiting for their next connect), with one thing faye's own memory engine does not do — a
 * message can be delivered to one client only. The instance sends a record change to each
 * subscriber it may show the record to, so delivery is per client, decided by the bus.
 */
import type { BayeuxMessage, EngineServer } from 'faye';

type Callback<T> = ((this: unknown, value: T) => void) | undefined;

export class BusEngine {
  private readonly clients = new Map<string, Set<string>>();
  private readonly queues = new Map<string, BayeuxMessage[]>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    readonly server: EngineServer,
    private readonly destroyed: (clientId: string) => void,
  ) {}

  createClient(callback: Callback<string>, context?: unknown): void {
    const clientId = this.server.generateId();
    this.clients.set(clientId, new Set());
    this.ping(clientId);
    this.server.trigger('handshake', clientId);
    callback?.call(context, clientId);
  }

  clientExists(clientId: string, callback: Callback<boolean>, context?: unknown): void {
    callback?.call(context, this.clients.has(clientId));
  }

  destroyClient(clientId: string, callback?: Callback<void>, context?: unknown): void {
    if (!this.clients.delete(clientId)) {
      return;
    }
    clearTimeout(this.timers.get(clientId));
    this.timers.delete(clientId);
    this.queues.delete(clientId);
    this.destroyed(clientId);
    this.server.trigger('disconnect', clientId);
    this.server.trigger('close', clientId);
    callback?.call(context, undefined);
  }

  /** A client that neither connects nor polls for twice the connect timeout is dropped. */
  ping(clientId: string): void {
    clearTimeout(this.timers.get(clientId));
    const timer = setTimeout(() => this.destroyClient(clientId), 2 * this.server.timeout * 1000);
    timer.unref();
    this.timers.set(clientId, timer);
  }

  subscribe(clientId: string, channel: string, callback?: Callback<boolean>, context?: unknown) {
    this.clients.get(clientId)?.add(channel);
    callback?.call(context, true);
  }

  unsubscribe(clientId: string, channel: string, callback?: Callback<boolean>, context?: unknown) {
    this.clients.get(clientId)?.delete(channel);
    callback?.call(context, true);
  }

  /** A client's publication (the bus refuses those before they get here). */
  publish(message: BayeuxMessage, channels: readonly string[]): void {
    for (const [clientId, subscribed] of this.clients) {
      if (channels.some((channel) => subscribed.has(channel))) {
        this.deliverTo(clientId, message);
      }
    }
  }

  /** Sends what waits for a client, if it is connected now; otherwise it waits for its connect. */
  emptyQueue(clientId: string): void {
    const queue = this.queues.get(clientId);
    if (queue && this.server.hasConnection(clientId)) {
      this.queues.delete(clientId);
      this.server.deliver(clientId, queue);
    }
  }

  /** Delivers a message to one client (a copy: faye edits what it sends). */
  deliverTo(clientId: string, message: BayeuxMessage): void {
    if (!this.clients.has(clientId)) {
      return;
    }
    const queue = this.queues.get(clientId) ?? [];
    queue.push(structuredClone(message));
    this.queues.set(clientId, queue);
    this.emptyQueue(clientId);
  }

  /** Each client and the channels it subscribed to. */
  subscriptions(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.clients;
  }

  disconnect(): void {
    this.timers.forEach((timer) => clearTimeout(timer));
    this.timers.clear();
  }
}
