import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Component, PLATFORM_ID, provideZonelessChangeDetection, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { UserTokenEvents, userTokenInterceptor, ɵUSER_TOKEN_EVENT_SINK } from 'ngx-user-token';
import { flushUserTokenRejection } from 'ngx-user-token/testing';

import { LIVE_BUS, LiveBus, LiveBusConfig, LiveBusHandlers } from './bus';
import { recordWatcherChannel, watchedQuery } from './channels';
import { RecordChange, toRecordChange } from './record-change';
import { provideRecordWatcherTesting, RecordWatcherTesting } from './testing';
import {
  latestRecordChange,
  provideRecordWatcher,
  RecordWatcher,
  RecordWatcherOptions,
  RecordWatchError,
  watchRecords,
} from './watcher';

const page = window as unknown as { g_ck?: string };
const ACTIVE = recordWatcherChannel('incident', 'active=true');
const SETUP = '/amb_session_setup.do';

/** A bus that records what the watcher asks of it; the test answers for the server. */
class FakeBus implements LiveBus {
  static opened: FakeBus[] = [];
  readonly subscribed: {
    channel: string;
    onData: (d: unknown) => void;
    reply: (ok: boolean, e?: string) => void;
  }[] = [];
  readonly unsubscribed: string[] = [];
  stopped = false;
  id: string | null = null;

  constructor(
    readonly config: LiveBusConfig,
    readonly handlers: LiveBusHandlers,
  ) {
    FakeBus.opened.push(this);
  }

  subscribe(
    channel: string,
    onData: (d: unknown) => void,
    reply: (ok: boolean, e?: string) => void,
  ) {
    const entry = { channel, onData, reply };
    this.subscribed.push(entry);
    return entry;
  }
  unsubscribe(handle: unknown) {
    (handle as { gone?: boolean }).gone = true;
    this.unsubscribed.push((handle as { channel: string }).channel);
  }
  clientId() {
    return this.id;
  }
  stop() {
    this.stopped = true;
  }
  /** The server answered the handshake. */
  handshake(status: string | undefined, id = 'client-1') {
    this.id = id;
    this.handlers.handshake(true, status);
  }
  /** Publishes on a channel to whoever subscribed to it. */
  publish(channel: string, data: unknown) {
    this.subscribed
      .filter((s) => s.channel === channel && !(s as { gone?: boolean }).gone)
      .forEach((s) => s.onData(data));
  }
}

const DATA = {
  action: 'change',
  operation: 'update',
  sys_id: 'abc',
  table_name: 'incident',
  display_value: 'INC0010001',
  changes: ['state'],
  record: { state: { value: '2', display_value: 'In Progress' } },
};

function setUp(options: RecordWatcherOptions = {}, platform = 'browser') {
  FakeBus.opened = [];
  page.g_ck = 'token-1';
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withInterceptors([userTokenInterceptor])),
      provideHttpClientTesting(),
      provideRecordWatcher(options),
      { provide: PLATFORM_ID, useValue: platform },
      {
        provide: LIVE_BUS,
        useValue: (config: LiveBusConfig, handlers: LiveBusHandlers) =>
          new FakeBus(config, handlers),
      },
    ],
  });
  testing = TestBed.inject(HttpTestingController);
  return {
    watcher: TestBed.inject(RecordWatcher),
    http: testing,
    bus: () => FakeBus.opened[FakeBus.opened.length - 1],
  };
}

let testing: HttpTestingController | null = null;
afterEach(() => {
  testing?.verify();
  testing = null;
});

describe('record-watcher channel names', () => {
  it("match ServiceNow's own example and the instance's encoding", () => {
    expect(recordWatcherChannel('incident', 'ORDERBYnumber')).toBe(
      '/rw/default/incident/T1JERVJCWW51bWJlcg--',
    );
    expect(ACTIVE).toBe(`/rw/default/incident/${btoa('active=true').replace(/=/g, '-')}`);
  });

  it('leave out ordering terms and ^EQ, as the AngularJS client does', () => {
    expect(watchedQuery('active=true^ORDERBYDESCsys_updated_on^priority=1')).toBe(
      'active=true^priority=1',
    );
    expect(watchedQuery('ORDERBYnumber^active=true^EQ')).toBe('active=true');
    expect(recordWatcherChannel('incident', 'active=true^ORDERBYnumber')).toBe(ACTIVE);
  });

  it('encode UTF-8 queries', () => {
    const channel = recordWatcherChannel('incident', 'short_description=Café');
    const decoded = new TextDecoder().decode(
      Uint8Array.from(atob(channel.split('/')[4].replace(/-/g, '=')), (c) => c.charCodeAt(0)),
    );
    expect(decoded).toBe('short_description=Café');
  });

  it('refuse a table name that is not one', () => {
    expect(() => recordWatcherChannel('incident/../x', '')).toThrow(/table name/);
  });
});

describe('record-watcher messages', () => {
  it("map the instance's message data", () => {
    expect(toRecordChange(DATA)).toEqual({
      action: 'change',
      operation: 'update',
      sysId: 'abc',
      table: 'incident',
      displayValue: 'INC0010001',
      changes: ['state'],
      record: { state: { value: '2', display_value: 'In Progress' } },
    } satisfies RecordChange);
  });

  it('ignore what is not a record change', () => {
    expect(toRecordChange(null)).toBeNull();
    expect(toRecordChange({ action: 'poke', sys_id: 'x' })).toBeNull();
    expect(toRecordChange({ action: 'exit' })).toBeNull();
    expect(toRecordChange({ action: 'exit', sys_id: 'x', changes: [1, 'a'] })).toMatchObject({
      changes: ['a'],
      record: {},
    });
  });
});

describe('RecordWatcher', () => {
  it('opens one connection for every watcher, subscribes a channel once, and leaves with the last', () => {
    const { watcher, bus } = setUp();
    expect(FakeBus.opened).toHaveLength(0); // nothing until something is watched
    const got: RecordChange[] = [];
    const a = watcher.watch('incident', 'active=true').subscribe((c) => got.push(c));
    const b = watcher.watch('incident', 'active=true^ORDERBYnumber').subscribe((c) => got.push(c));
    expect(FakeBus.opened).toHaveLength(1);
    expect(bus().config).toEqual({
      url: 'https://instance.example.com/amb',
      transports: ['websocket', 'long-polling'],
    });
    expect(watcher.state()).toBe('connecting');
    bus().handshake('session.logged.in');
    expect(watcher.state()).toBe('connected');
    expect(bus().subscribed.map((s) => s.channel)).toEqual([ACTIVE]);
    bus().publish(ACTIVE, DATA);
    expect(got).toHaveLength(2);
    a.unsubscribe();
    expect(bus().unsubscribed).toEqual([]);
    b.unsubscribe();
    expect(bus().unsubscribed).toEqual([ACTIVE]);
    expect(bus().stopped).toBe(true);
    expect(watcher.state()).toBe('idle');
  });

  it('subscribes a channel watched after the handshake at once', () => {
    const { watcher, bus } = setUp();
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.logged.in');
    watcher.watch('incident', 'priority=1').subscribe();
    expect(bus().subscribed.map((s) => s.channel)).toEqual([
      ACTIVE,
      recordWatcherChannel('incident', 'priority=1'),
    ]);
  });

  it('sets the session up after a handshake without a session: token and client id, then subscribes', () => {
    const { watcher, bus, http } = setUp();
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.invalidated', 'client-7');
    expect(bus().subscribed).toEqual([]);
    const setup = http.expectOne(SETUP);
    expect(setup.request.method).toBe('POST');
    expect(setup.request.headers.get('X-UserToken')).toBe('token-1');
    expect(setup.request.headers.get('X-CometD_SessionID')).toBe('client-7');
    setup.flush({ 'glide.session.status': 'session.logged.in' });
    expect(bus().subscribed.map((s) => s.channel)).toEqual([ACTIVE]);
    expect(watcher.state()).toBe('connected');
  });

  it('sets the session up again with each adopted token, once, with no new handshake', () => {
    const { watcher, bus, http } = setUp();
    const events = TestBed.inject(UserTokenEvents); // listens beside the watcher
    const seen: string[] = [];
    events.events.subscribe((e) => seen.push(e.type));
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.logged.in');
    // A request meets a rotated token: the 401 names the new one.
    TestBed.inject(HttpClient).get('/api/now/table/incident').subscribe();
    flushUserTokenRejection(http.expectOne('/api/now/table/incident'), { currentToken: 'token-2' });
    http.expectOne('/api/now/table/incident').flush({ result: [] });
    const setup = http.expectOne(SETUP);
    expect(setup.request.headers.get('X-UserToken')).toBe('token-2');
    setup.flush({ 'glide.session.status': 'session.logged.in' });
    expect(FakeBus.opened).toHaveLength(1);
    expect(bus().subscribed).toHaveLength(1); // the same client keeps its subscription
    expect(seen).toContain('token-refreshed'); // UserTokenEvents still hears everything
  });

  it('when the bus says the session ended: stops, asks once, and ends if the session is gone', () => {
    const { watcher, bus, http } = setUp();
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.logged.in');
    bus().handlers.connect(true, 'session.logged.out');
    bus().handlers.connect(true, 'session.logged.out'); // the next connects say it again
    const setup = http.expectOne(SETUP);
    flushUserTokenRejection(setup, { sessionLoggedIn: false });
    expect(watcher.state()).toBe('ended');
    bus().handlers.connect(true, 'session.logged.out');
    http.expectNone(SETUP); // no loop
    expect(watcher.state()).toBe('ended');
  });

  it('resumes when the session setup finds the session alive (another login)', () => {
    const { watcher, bus, http } = setUp();
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.logged.in');
    bus().handlers.connect(true, 'session.logged.out');
    expect(bus().unsubscribed).toEqual([ACTIVE]); // left, as ServiceNow's client does
    http.expectOne(SETUP).flush({ 'glide.session.status': 'session.logged.in' });
    expect(watcher.state()).toBe('connected');
    expect(bus().subscribed.map((s) => s.channel)).toEqual([ACTIVE, ACTIVE]);
    const got: RecordChange[] = [];
    watcher.watch('incident', 'active=true').subscribe((c) => got.push(c));
    bus().publish(ACTIVE, DATA);
    expect(got).toHaveLength(1); // once, not once per subscription ever made
  });

  it('shows a broken connection as reconnecting, and connected again after', () => {
    const { watcher, bus } = setUp();
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.logged.in');
    bus().handlers.connect(false, undefined);
    expect(watcher.state()).toBe('reconnecting');
    bus().handlers.connect(true, 'session.logged.in');
    expect(watcher.state()).toBe('connected');
  });

  it('fails a watch the instance refuses with a RecordWatchError', () => {
    const { watcher, bus } = setUp();
    let error: unknown;
    watcher.watch('secret', '').subscribe({ error: (e) => (error = e) });
    bus().handshake('session.logged.in');
    bus().subscribed[0].reply(false, '403::Denied authorization to subscribe');
    expect(error).toBeInstanceOf(RecordWatchError);
    expect((error as Error).message).toMatch(/refused to watch \/rw\/default\/secret\/.*403/);
  });

  it('opens nothing on the server', () => {
    const { watcher } = setUp({}, 'server');
    const got: unknown[] = [];
    watcher.watch('incident', 'active=true').subscribe((c) => got.push(c));
    expect(FakeBus.opened).toHaveLength(0);
    expect(watcher.state()).toBe('idle');
  });

  it('takes its transports and URL from the options, and refuses unknown transports', () => {
    const { watcher, bus } = setUp({
      url: 'https://other.example.com/amb',
      transports: ['long-polling'],
    });
    watcher.watch('incident').subscribe();
    expect(bus().config).toEqual({
      url: 'https://other.example.com/amb',
      transports: ['long-polling'],
    });
    expect(() => provideRecordWatcher({ transports: ['sse' as never] })).toThrow(/got "sse"/);
    expect(() => provideRecordWatcher({ transports: [] })).toThrow(/at least one/);
  });
});

describe('watchRecords and latestRecordChange', () => {
  @Component({ selector: 'app-live', template: '{{ latest()?.displayValue }}' })
  class Live {
    readonly changes: RecordChange[] = [];
    readonly latest = latestRecordChange('incident', 'active=true');
    constructor() {
      watchRecords('incident', 'active=true').subscribe((c) => this.changes.push(c));
    }
  }

  it('follow the component: deliver while it lives, leave when it is destroyed', async () => {
    const { bus } = setUp();
    const fixture = TestBed.createComponent(Live);
    bus().handshake('session.logged.in');
    bus().publish(ACTIVE, DATA);
    await fixture.whenStable();
    expect(fixture.componentInstance.changes).toHaveLength(1);
    expect(fixture.nativeElement.textContent).toBe('INC0010001');
    fixture.destroy();
    expect(bus().unsubscribed).toEqual([ACTIVE]);
    expect(bus().stopped).toBe(true);
  });

  it('say what is missing without provideRecordWatcher', () => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
    expect(() => TestBed.runInInjectionContext(() => watchRecords('incident'))).toThrow(
      /needs provideRecordWatcher\(\)/,
    );
  });
});

describe('provideRecordWatcherTesting, as an app tests a live component', () => {
  @Component({
    selector: 'app-live-list',
    template: `@for (id of ids(); track id) {
      <li>{{ id }}</li>
    }`,
  })
  class LiveList {
    readonly ids = signal(['a', 'b']);
    constructor() {
      watchRecords('incident', 'active=true').subscribe((change) =>
        this.ids.update((ids) =>
          change.action === 'exit'
            ? ids.filter((id) => id !== change.sysId)
            : [...ids, change.sysId],
        ),
      );
    }
  }

  it('opens no connection and lets the test publish what the instance would', async () => {
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRecordWatcherTesting(),
      ],
    });
    const http = (testing = TestBed.inject(HttpTestingController));
    const live = TestBed.inject(RecordWatcherTesting);
    const fixture = TestBed.createComponent(LiveList);
    await fixture.whenStable();
    expect(live.connections).toBe(1);
    expect(live.channels).toEqual([ACTIVE]);
    live.publish('incident', 'active=true', { action: 'exit', sys_id: 'a' });
    live.publish('incident', 'active=true', { action: 'entry', sys_id: 'c' });
    live.publish('incident', 'priority=1', { action: 'entry', sys_id: 'x' }); // not watched
    await fixture.whenStable();
    expect(fixture.nativeElement.textContent).toBe('bc');
    expect(TestBed.inject(RecordWatcher).state()).toBe('connected');
    live.sessionLoggedOut();
    expect(TestBed.inject(RecordWatcher).state()).toBe('ended');
    // The watcher asks the instance whether a new token carries on; here, the session is over.
    http.expectOne(SETUP).flush({ 'glide.session.status': 'session.logged.out' });
    expect(TestBed.inject(RecordWatcher).state()).toBe('ended');
    fixture.destroy();
    expect(live.channels).toEqual([]);
  });
});

describe('a session end the session setup reports without a 401', () => {
  it('is the one session-expired, as from the HTTP path; none when that path said it already', () => {
    const { watcher, bus, http } = setUp();
    const seen: string[] = [];
    TestBed.inject(UserTokenEvents).events.subscribe((e) => seen.push(e.type));
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.logged.in');
    bus().handlers.connect(true, 'session.logged.out');
    http.expectOne(SETUP).flush({ 'glide.session.status': 'session.logged.out' });
    expect(seen).toEqual(['session-expired']);
    expect(watcher.state()).toBe('ended');
    // The HTTP side knows it too: a request in scope fails at once, without a round trip.
    let status = 0;
    TestBed.inject(HttpClient)
      .get('/api/now/table/incident')
      .subscribe({ error: (e) => (status = e.status) });
    http.expectNone('/api/now/table/incident');
    expect(status).toBe(401);
    // Another setup answering the same (a token event): no second session-expired.
    bus().handlers.connect(true, 'session.logged.in');
    bus().handlers.connect(true, 'session.logged.out');
    expect(seen).toEqual(['session-expired']);
  });
});

describe('what a closed connection or a setup in flight says afterwards', () => {
  it('is ignored: no state change, no subscription on a bus that is gone', () => {
    const { watcher, bus, http } = setUp();
    const sub = watcher.watch('incident', 'active=true').subscribe();
    const old = bus();
    old.handshake('session.invalidated');
    const setup = http.expectOne(SETUP);
    sub.unsubscribe(); // the last watcher leaves: the connection closes
    expect(watcher.state()).toBe('idle');
    old.handlers.connect(false, undefined); // its disconnect
    setup.flush({ 'glide.session.status': 'session.logged.in' });
    expect(watcher.state()).toBe('idle');
    expect(old.subscribed).toEqual([]);
  });

  it('sends no second setup when the one in flight bound the client', () => {
    const { watcher, bus, http } = setUp();
    watcher.watch('incident', 'active=true').subscribe();
    bus().handshake('session.invalidated');
    const first = http.expectOne(SETUP);
    // A token is adopted meanwhile (here: another tab's, through the event sink).
    TestBed.inject(ɵUSER_TOKEN_EVENT_SINK).report?.({
      type: 'token-refreshed',
      via: 'other-tab',
      token: 'token-2',
    });
    first.flush({ 'glide.session.status': 'session.logged.in' });
    http.expectNone(SETUP);
    expect(watcher.state()).toBe('connected');
  });
});
