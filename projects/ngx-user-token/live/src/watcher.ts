import { DOCUMENT, isPlatformBrowser } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import {
  DestroyRef,
  EnvironmentProviders,
  inject,
  Injectable,
  InjectionToken,
  Injector,
  makeEnvironmentProviders,
  PLATFORM_ID,
  Signal,
  signal,
} from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import {
  UserTokenRefreshError,
  ɵaddSinkListener,
  ɵUSER_TOKEN_EVENT_SINK,
  ɵUSER_TOKEN_REFRESHER,
} from 'ngx-user-token';
import { Observable, Subject } from 'rxjs';

import { LIVE_BUS, LiveBus } from './bus';
import { recordWatcherChannel } from './channels';
import { RecordChange, toRecordChange } from './record-change';

/** How {@link provideRecordWatcher} connects. */
export interface RecordWatcherOptions {
  /** The message bus's path or URL. Default `'/amb'` (the page's instance). */
  readonly url?: string;
  /** Transports to try, in order. Default both: a WebSocket, then long-polling. */
  readonly transports?: readonly ('websocket' | 'long-polling')[];
  /** The session setup's path. Default `'/amb_session_setup.do'`. */
  readonly sessionSetupUrl?: string;
}

/**
 * The live connection's state: `idle` (nothing watched), `connecting`, `connected`,
 * `reconnecting` (the bus is unreachable; the client retries with its backoff), or `ended` (the
 * instance's session ended; watchers resume once a new token is adopted — a login with
 * `withReLogin`, another tab, the page).
 */
export type RecordWatcherState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

/** Why a watch failed: the instance refused the subscription (the user may not read the table). */
export class RecordWatchError extends Error {
  override readonly name = 'RecordWatchError';
  constructor(
    readonly channel: string,
    readonly serverError: string | undefined,
  ) {
    super(
      `ngx-user-token/live: the instance refused to watch ${channel}` +
        (serverError ? ` (${serverError})` : ''),
    );
  }
}

const OPTIONS = /* @__PURE__ */ new InjectionToken<RecordWatcherOptions>(
  typeof ngDevMode !== 'undefined' && ngDevMode ? 'RECORD_WATCHER_OPTIONS' : '',
);

const LOGGED_IN = 'session.logged.in';
const LOGGED_OUT = 'session.logged.out';

interface Watch {
  readonly subject: Subject<RecordChange>;
  refs: number;
  handle: unknown;
}

/**
 * The app's one connection to the instance's message bus (AMB), shared by every watcher: a
 * channel is subscribed once, whatever the number of watchers, and left when the last one goes.
 * It connects with the first watcher, in the browser only, and closes with the last.
 *
 * The bus is authenticated by the session cookie. The session token is used where ServiceNow's
 * own client uses it, on `/amb_session_setup.do`, sent through the app's `HttpClient` (so the
 * interceptor adds the token and recovers a rejected one): after a handshake that found no
 * session, when the instance says the session ended, and whenever the library adopts a new token
 * — the bus keeps its connection and its subscriptions (no new handshake).
 */
@Injectable()
export class RecordWatcher {
  private readonly options = inject(OPTIONS);
  private readonly http = inject(HttpClient);
  private readonly busOf = inject(LIVE_BUS);
  private readonly browser = isPlatformBrowser(inject(PLATFORM_ID));
  private readonly document = inject(DOCUMENT);
  private readonly refresher = inject(ɵUSER_TOKEN_REFRESHER);
  private readonly channels = new Map<string, Watch>();
  private bus: LiveBus | null = null;
  private loggedIn = false;
  private setupRunning = false;
  private setupAgain = false;
  private readonly current = signal<RecordWatcherState>('idle');

  /** The connection's state, for a footer or a banner. */
  readonly state: Signal<RecordWatcherState> = this.current.asReadonly();

  constructor() {
    ɵaddSinkListener(inject(ɵUSER_TOKEN_EVENT_SINK), (event) => {
      if (event.type === 'token-refreshed' && this.bus?.clientId()) {
        this.setup();
      }
    });
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  /**
   * The changes to the records of `table` that match `query` (an encoded query; ordering terms
   * are ignored): each insert, update or delete that makes a record enter, change within, or
   * leave the query, as the instance publishes it. Never completes; unsubscribe to stop. On the
   * server it emits nothing and opens nothing.
   */
  watch<T extends string = string>(table: string, query = ''): Observable<RecordChange<T>> {
    const name = recordWatcherChannel(table, query);
    return new Observable<RecordChange<T>>((subscriber) => {
      if (!this.browser) {
        return undefined;
      }
      let watch = this.channels.get(name);
      if (!watch) {
        watch = { subject: new Subject(), refs: 0, handle: null };
        this.channels.set(name, watch);
      }
      const mine = watch;
      mine.refs++;
      const inner = (mine.subject as Subject<RecordChange<T>>).subscribe(subscriber);
      if (!this.bus) {
        this.start();
      } else if (this.loggedIn && mine.handle === null) {
        this.subscribeTo(name, mine);
      }
      return () => {
        inner.unsubscribe();
        if (--mine.refs === 0 && this.channels.get(name) === mine) {
          this.channels.delete(name);
          if (mine.handle !== null) {
            this.bus?.unsubscribe(mine.handle);
          }
          if (this.channels.size === 0) {
            this.stop();
          }
        }
      };
    });
  }

  private start(): void {
    const { url = '/amb', transports = ['websocket', 'long-polling'] } = this.options;
    this.current.set('connecting');
    // What a closed connection still reports (its disconnect) is ignored.
    const bus: LiveBus = (this.bus = this.busOf(
      { url: new URL(url, this.document.baseURI).href, transports },
      {
        handshake: (successful, status) => {
          if (this.bus !== bus) {
            return;
          }
          // A handshake starts a new client: the server forgot every subscription.
          this.channels.forEach((watch) => (watch.handle = null));
          this.loggedIn = false;
          if (!successful) {
            this.reconnecting();
          } else if (status === LOGGED_IN) {
            this.resume();
          } else {
            this.setup();
          }
        },
        connect: (successful, status) => {
          if (this.bus !== bus) {
            return;
          } else if (!successful) {
            this.reconnecting();
          } else if (status === LOGGED_OUT && this.loggedIn) {
            // The session ended under the bus: its subscriptions stop; a setup tells whether a
            // new token (another tab, a login) carries on, or the session is over.
            this.ended();
            this.leaveAll();
            this.setup();
          } else if (status === LOGGED_IN && !this.loggedIn && !this.setupRunning) {
            this.resume();
          } else if (this.loggedIn) {
            this.current.set('connected');
          }
        },
      },
    ));
  }

  private stop(): void {
    this.bus?.stop();
    this.bus = null;
    this.loggedIn = false;
    this.current.set('idle');
  }

  /** Unsubscribes every channel (as ServiceNow's client does on a logout); watchers stay. */
  private leaveAll(): void {
    this.channels.forEach((watch) => {
      if (watch.handle !== null) {
        this.bus?.unsubscribe(watch.handle);
        watch.handle = null;
      }
    });
  }

  private reconnecting(): void {
    if (this.current() !== 'ended') {
      this.current.set('reconnecting');
    }
  }

  /** Logged in: every watched channel subscribed (again). */
  private resume(): void {
    this.loggedIn = true;
    this.current.set('connected');
    this.channels.forEach((watch, name) => {
      if (watch.handle === null) {
        this.subscribeTo(name, watch);
      }
    });
  }

  private subscribeTo(name: string, watch: Watch): void {
    watch.handle = this.bus!.subscribe(
      name,
      (data) => {
        const change = toRecordChange(data);
        if (change) {
          watch.subject.next(change);
        }
      },
      (successful, error) => {
        if (!successful && this.loggedIn) {
          this.channels.delete(name);
          watch.subject.error(new RecordWatchError(name, error));
        }
      },
    );
  }

  /**
   * `/amb_session_setup.do` with the current token (the interceptor adds it) and this client's
   * id: binds the bus client to the session. One at a time; a request for another while one runs
   * makes one more after it, unless that one bound the client.
   */
  private setup(): void {
    const bus = this.bus;
    const clientId = bus?.clientId();
    if (!clientId) {
      return;
    }
    if (this.setupRunning) {
      this.setupAgain = true;
      return;
    }
    this.setupRunning = true;
    const done = () => {
      this.setupRunning = false;
      if (this.setupAgain) {
        this.setupAgain = false;
        this.setup();
      }
    };
    this.http
      .post<Record<string, unknown>>(
        this.options.sessionSetupUrl ?? '/amb_session_setup.do',
        null,
        {
          headers: { 'X-CometD_SessionID': clientId },
        },
      )
      .subscribe({
        next: (reply) => {
          if (this.bus !== bus) {
            return; // the connection it was for has closed
          } else if (reply?.['glide.session.status'] === LOGGED_IN) {
            // Bound to the session as it is now: a setup asked for meanwhile adds nothing.
            this.setupAgain = false;
            this.resume();
          } else {
            this.sessionOver();
          }
        },
        // A 401 here went through the interceptor: it reported the end (or holds the setup for
        // the login, with withReLogin).
        error: () => {
          if (this.bus === bus) {
            this.ended();
          }
          done();
        },
        complete: done,
      });
  }

  /**
   * The instance answered the setup that the session is over, without a 401: the one
   * `session-expired` is reported here, unless the HTTP side already did for this token.
   */
  private sessionOver(): void {
    const { ended, source } = this.refresher;
    if (!ended || ended.token !== source.current()) {
      this.refresher.expire(
        new UserTokenRefreshError('logged-out', 'the message bus says the session ended'),
      );
    }
    this.ended();
  }

  private ended(): void {
    this.loggedIn = false;
    this.current.set('ended');
  }
}

/**
 * Live lists: record watchers over the instance's message bus (AMB), for the whole app. The
 * connection opens with the first watcher ({@link watchRecords}), in the browser only. Needs the
 * app's `HttpClient` with `userTokenInterceptor` (the session setup carries the token).
 *
 * @example
 * ```ts
 * providers: [
 *   provideHttpClient(withInterceptors([userTokenInterceptor])),
 *   provideRecordWatcher(),
 * ]
 * ```
 */
export function provideRecordWatcher(options: RecordWatcherOptions = {}): EnvironmentProviders {
  for (const transport of options.transports ?? []) {
    if (transport !== 'websocket' && transport !== 'long-polling') {
      throw new TypeError(
        `ngx-user-token/live: transports may name 'websocket' and 'long-polling'; got ${JSON.stringify(transport)}`,
      );
    }
  }
  if (options.transports?.length === 0) {
    throw new TypeError('ngx-user-token/live: transports must name at least one transport');
  }
  return makeEnvironmentProviders([{ provide: OPTIONS, useValue: options }, RecordWatcher]);
}

function watcherOf(injector: Injector | undefined): RecordWatcher {
  const watcher = (injector ?? inject(Injector)).get(RecordWatcher, null);
  if (!watcher) {
    throw new Error(
      "ngx-user-token/live: watchRecords needs provideRecordWatcher() in the app's providers",
    );
  }
  return watcher;
}

/**
 * The changes to the records of `table` matching `query`, until the calling component (or
 * service) is destroyed. Call it in an injection context, or pass an `injector`.
 *
 * @example
 * ```ts
 * watchRecords<'state' | 'short_description'>('incident', 'active=true').subscribe((change) =>
 *   change.action === 'exit' ? this.remove(change.sysId) : this.upsert(change),
 * );
 * ```
 */
export function watchRecords<T extends string = string>(
  table: string,
  query = '',
  options: { injector?: Injector } = {},
): Observable<RecordChange<T>> {
  const injector = options.injector ?? inject(Injector);
  return watcherOf(injector)
    .watch<T>(table, query)
    .pipe(takeUntilDestroyed(injector.get(DestroyRef)));
}

/** The latest change to the watched records as a signal (`null` until one comes), for templates. */
export function latestRecordChange<T extends string = string>(
  table: string,
  query = '',
  options: { injector?: Injector } = {},
): Signal<RecordChange<T> | null> {
  const injector = options.injector ?? inject(Injector);
  return toSignal(watchRecords<T>(table, query, { injector }), { initialValue: null, injector });
}
