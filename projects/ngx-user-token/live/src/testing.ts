import { EnvironmentProviders, inject, Injectable, makeEnvironmentProviders } from '@angular/core';

import { LIVE_BUS, LiveBus, LiveBusConfig, LiveBusHandlers } from './bus';
import { recordWatcherChannel } from './channels';
import { provideRecordWatcher } from './watcher';

/** A message as the instance sends it (`message.data` of a record-watcher channel). */
export interface RecordMessageData {
  readonly action: 'entry' | 'change' | 'exit';
  readonly operation?: 'insert' | 'update' | 'delete';
  readonly sys_id: string;
  readonly table_name?: string;
  readonly display_value?: string;
  readonly changes?: readonly string[];
  readonly record?: Readonly<Record<string, { value: string; display_value: string }>>;
}

interface Subscription {
  readonly channel: string;
  readonly onData: (data: unknown) => void;
  readonly onReply: (successful: boolean, error: string | undefined) => void;
}

/**
 * The message bus of {@link provideRecordWatcherTesting}: no connection, the test plays the
 * instance. It handshakes as logged in as soon as something is watched.
 */
@Injectable()
export class RecordWatcherTesting {
  private handlers: LiveBusHandlers | null = null;
  private readonly subscriptions: Subscription[] = [];
  /** How many connections the watcher opened (one per app while something is watched). */
  connections = 0;

  /** The channels subscribed to now. */
  get channels(): readonly string[] {
    return this.subscriptions.map((s) => s.channel);
  }

  /** Delivers `data` to the watchers of `table` and `query`, as the instance publishes a write. */
  publish(table: string, query: string, data: RecordMessageData): void {
    const channel = recordWatcherChannel(table, query);
    this.subscriptions.filter((s) => s.channel === channel).forEach((s) => s.onData(data));
  }

  /** Refuses the subscriptions to `table` and `query`, as for a table the user may not read. */
  refuse(table: string, query: string): void {
    const channel = recordWatcherChannel(table, query);
    this.subscriptions
      .filter((s) => s.channel === channel)
      .forEach((s) => s.onReply(false, `403::Denied authorization to subscribe to ${channel}`));
  }

  /** The bus's next connect reply says the session ended (or, with `false`, that it is back). */
  sessionLoggedOut(loggedOut = true): void {
    this.handlers?.connect(true, loggedOut ? 'session.logged.out' : 'session.logged.in');
  }

  /** The connection broke (the client retries). */
  connectionBroken(): void {
    this.handlers?.connect(false, undefined);
  }

  /** @internal */
  open(_config: LiveBusConfig, handlers: LiveBusHandlers): LiveBus {
    this.connections++;
    this.handlers = handlers;
    const bus: LiveBus = {
      subscribe: (channel, onData, onReply) => {
        const entry = { channel, onData, onReply };
        this.subscriptions.push(entry);
        return entry;
      },
      unsubscribe: (handle) => {
        const at = this.subscriptions.indexOf(handle as Subscription);
        if (at >= 0) {
          this.subscriptions.splice(at, 1);
        }
      },
      clientId: () => 'testing-client',
      stop: () => {
        this.subscriptions.length = 0;
        this.handlers = null;
      },
    };
    queueMicrotask(
      () => this.handlers === handlers && handlers.handshake(true, 'session.logged.in'),
    );
    return bus;
  }
}

/**
 * For an app's unit tests: the record watcher without any connection. Inject
 * {@link RecordWatcherTesting} to publish changes as the instance would. The bus handshakes in
 * a microtask after the first watch: `await fixture.whenStable()` before publishing.
 *
 * @example
 * ```ts
 * TestBed.configureTestingModule({ providers: [provideHttpClient(), provideRecordWatcherTesting()] });
 * TestBed.inject(RecordWatcherTesting).publish('incident', 'active=true', {
 *   action: 'exit', sys_id: 'abc',
 * });
 * ```
 */
export function provideRecordWatcherTesting(): EnvironmentProviders {
  return makeEnvironmentProviders([
    provideRecordWatcher(),
    RecordWatcherTesting,
    {
      provide: LIVE_BUS,
      useFactory: () => {
        const testing = inject(RecordWatcherTesting);
        return (config: LiveBusConfig, handlers: LiveBusHandlers) => testing.open(config, handlers);
      },
    },
  ]);
}
