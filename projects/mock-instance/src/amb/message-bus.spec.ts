// The mock's message bus on the wire: Bayeux over long-polling and a WebSocket, ServiceNow's
// session status in `ext`, record-watcher channels fed by Table API writes, ACLs, session end.
import { startMockInstance, MockInstance } from '../index';
import { demoData } from '../data/demo-data';
import {
  Bayeux,
  connect,
  handshake,
  longPolling,
  message,
  Message,
  subscribe,
  webSocket,
} from '../../test/bayeux';
import { client, Client } from '../../test/client';
import { raw, upgrade } from '../../test/raw';
import { seededSysId } from '../data/seed';
import { parseRecordChannel, recordChannel } from './record-channels';

const ACTIVE = recordChannel('incident', 'active=true');

describe('record-watcher channel names', () => {
  it("match ServiceNow's own example", () => {
    expect(recordChannel('incident', 'ORDERBYnumber')).toBe(
      '/rw/default/incident/T1JERVJCWW51bWJlcg--',
    );
    expect(parseRecordChannel('/rw/default/incident/T1JERVJCWW51bWJlcg--')).toEqual({
      table: 'incident',
      query: 'ORDERBYnumber',
    });
  });

  it('keep base64 whole, "+" and "/" included', () => {
    const query = 'short_description>=???~~~^priority<2';
    const channel = recordChannel('incident', query);
    expect(channel).toMatch(/[+/].*$/);
    expect(parseRecordChannel(channel)).toEqual({ table: 'incident', query });
  });

  it('refuse anything else', () => {
    expect(parseRecordChannel('/sn/meta/x')).toBeNull();
    expect(parseRecordChannel('/rw/default/inc ident/YQ--')).toBeNull();
    expect(parseRecordChannel('/rw/default/incident/@@')).toBeNull();
  });
});

describe('the message bus', () => {
  let instance: MockInstance;
  let abel: Client;
  let beth: Client;

  beforeAll(async () => {
    const data = demoData();
    instance = await startMockInstance({
      dev: true,
      busTimeout: 2,
      data: {
        ...data,
        tables: {
          ...data.tables,
          secret: { fields: { name: { type: 'string' } } },
          // Anyone reads a note; its secret only an itil user (Beth, not Abel).
          secret_note: {
            fields: {
              title: { type: 'string' },
              secret: { type: 'reference', reference: 'secret' },
            },
          },
        },
        records: {
          ...data.records,
          secret: [{ name: 'alpha' }],
          secret_note: [{ title: 'n1', secret: seededSysId('secret:0') }],
        },
        acls: [
          ...data.acls,
          { table: 'secret', operation: 'read', roles: ['itil'] },
          { table: 'secret_note', operation: 'read' },
        ],
      },
    });
  });
  afterAll(() => instance.close());

  beforeEach(async () => {
    abel = client(instance.url);
    beth = client(instance.url);
    await abel.logIn('abel.tuter');
    await beth.logIn('beth.anglin');
  });

  /** One incident Beth may see, and whether Abel may (he sees only his own). */
  async function incident(of: Client, query: string) {
    const response = await of.fetch(
      `/api/now/table/incident?sysparm_query=${query}&sysparm_limit=1`,
      {
        headers: { 'X-UserToken': await of.token() },
      },
    );
    return ((await response.json()) as { result: Record<string, string>[] }).result[0];
  }

  async function patch(by: Client, sysId: string, body: Record<string, string>) {
    const response = await by.fetch(`/api/now/table/incident/${sysId}`, {
      method: 'PATCH',
      headers: { 'X-UserToken': await by.token(), 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
  }

  const deliveries = (answer: Message[]) => answer.filter((m) => !m.channel.startsWith('/meta/'));

  for (const transport of ['long-polling', 'websocket'] as const) {
    describe(`over ${transport}`, () => {
      let bus: Bayeux;
      beforeEach(async () => {
        bus = transport === 'websocket' ? await webSocket(instance.url, beth) : longPolling(beth);
      });
      afterEach(() => bus.close());

      it('handshakes with the session: logged in for 1800 s more, the bus active', async () => {
        const reply = await handshake(bus, transport);
        expect(reply).toMatchObject({
          successful: true,
          supportedConnectionTypes: ['websocket', 'long-polling'],
          ext: {
            'glide.session.status': 'session.logged.in',
            'glide.amb.active': true,
            // As a recorded instance's bus says it to a logged-in browser.
            'glide.session.time.remaining.in.seconds': 1800,
          },
        });
      });

      it('sends a Table API write to a watcher of a matching query: change, then exit', async () => {
        const { clientId } = await handshake(bus, transport);
        const id = clientId as string;
        expect(await subscribe(bus, id, ACTIVE)).toMatchObject({
          successful: true,
          subscription: ACTIVE,
        });
        const row = await incident(beth, 'active=true');
        const waiting = connect(bus, id, transport);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await patch(beth, row['sys_id'], { short_description: `Live edit (${transport})` });
        const [change] = deliveries(await waiting);
        expect(change).toMatchObject({
          channel: ACTIVE,
          data: {
            action: 'change',
            operation: 'update',
            sys_id: row['sys_id'],
            table_name: 'incident',
            display_value: row['number'],
            changes: expect.arrayContaining(['short_description']),
            record: {
              short_description: {
                value: `Live edit (${transport})`,
                display_value: `Live edit (${transport})`,
              },
              state: { value: row['state'] },
            },
          },
        });
        await patch(beth, row['sys_id'], { state: '7' });
        const [exit] = deliveries(await connect(bus, id, transport, 300));
        expect(exit).toMatchObject({
          channel: ACTIVE,
          data: { action: 'exit', operation: 'update', sys_id: row['sys_id'] },
        });
        await patch(beth, row['sys_id'], { state: '2' });
        const [entry] = deliveries(await connect(bus, id, transport, 300));
        expect(entry).toMatchObject({ data: { action: 'entry', sys_id: row['sys_id'] } });
      });
    });
  }

  it('never sends a row its subscriber may not read', async () => {
    const bus = longPolling(abel);
    const { clientId } = await handshake(bus);
    const id = clientId as string;
    expect(await subscribe(bus, id, ACTIVE)).toMatchObject({ successful: true });
    const users = await abel.fetch('/api/now/table/sys_user?sysparm_query=user_name=abel.tuter', {
      headers: { 'X-UserToken': await abel.token() },
    });
    const abelId = ((await users.json()) as { result: { sys_id: string }[] }).result[0].sys_id;
    const notHis = await incident(beth, `active=true^caller_id!=${abelId}^opened_by!=${abelId}`);
    const mine = await incident(abel, 'active=true');
    await patch(beth, notHis['sys_id'], { short_description: 'Not for Abel' });
    await patch(beth, mine['sys_id'], { short_description: 'For Abel' });
    const got = deliveries(await connect(bus, id));
    expect(got.map((m) => (m.data as { sys_id: string }).sys_id)).toEqual([mine['sys_id']]);
  });

  it('refuses a subscription to a table the user may not read, with 403 in ext', async () => {
    const bus = longPolling(abel);
    const { clientId } = await handshake(bus);
    const channel = recordChannel('secret', '');
    expect(await subscribe(bus, clientId as string, channel)).toMatchObject({
      successful: false,
      subscription: channel,
      error: `403::Denied authorization to subscribe to ${channel}`,
      // The status message and `rejected_by_glide` as quoted from an instance's (unverified).
      ext: {
        'glide.amb.reply.status.code': 403,
        'glide.amb.reply.status.message': expect.stringMatching(
          /^Either the channel is not a public/,
        ),
        rejected_by_glide: true,
      },
    });
    expect(await subscribe(bus, clientId as string, recordChannel('no_such', ''))).toMatchObject({
      successful: false,
    });
    const itil = longPolling(beth);
    const beths = await handshake(itil);
    expect(await subscribe(itil, beths.clientId as string, channel)).toMatchObject({
      successful: true,
    });
  });

  it('refuses publishing from a client', async () => {
    const bus = longPolling(beth);
    const { clientId } = await handshake(bus);
    const [reply] = await bus.send('', [message(ACTIVE, { clientId, data: { forged: true } })]);
    expect(reply).toMatchObject({ successful: false, error: expect.stringMatching(/^403::/) });
  });

  it('answers an open connect at once when the session ends: session.logged.out', async () => {
    // A bus that holds a connect for a minute: the connect opened below is answered by the
    // session's end, or this test times out long before. Order, not speed, is what is checked.
    const patient = await startMockInstance({ dev: true, busTimeout: 60 });
    try {
      const user = client(patient.url);
      await user.logIn('beth.anglin');
      const bus = longPolling(user);
      const { clientId } = await handshake(bus);
      await subscribe(bus, clientId as string, ACTIVE);
      const open = connect(bus, clientId as string);
      let answered = false;
      void open.then(() => (answered = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(answered).toBe(false); // held: there is nothing to deliver
      expect((await user.fetch('/logout.do')).status).toBe(302);
      const replies = await open;
      expect(replies.at(-1)).toMatchObject({
        channel: '/meta/connect',
        successful: true,
        ext: {
          'glide.session.status': 'session.logged.out',
          'glide.session.time.remaining.in.seconds': 0,
        },
      });
    } finally {
      await patient.close();
    }
  }, 20_000);

  it('handshakes without a session as session.invalidated; a session setup then binds it', async () => {
    const stranger = client(instance.url);
    const bus = longPolling(stranger);
    const reply = await handshake(bus);
    expect(reply).toMatchObject({
      successful: true,
      ext: {
        'glide.session.status': 'session.invalidated',
        // As a recorded instance's bus says it to a client without a session.
        'glide.session.time.remaining.in.seconds': 0,
      },
    });
    const id = reply.clientId as string;
    expect(await subscribe(bus, id, ACTIVE)).toMatchObject({ successful: false });
    await stranger.logIn('beth.anglin');
    const setup = await stranger.fetch('/amb_session_setup.do', {
      method: 'POST',
      headers: { 'X-UserToken': await stranger.token(), 'X-CometD_SessionID': id },
    });
    expect(setup.status).toBe(200);
    expect(await setup.json()).toEqual({ 'glide.session.status': 'session.logged.in' });
    expect(await subscribe(bus, id, ACTIVE)).toMatchObject({ successful: true });
    expect((await connect(bus, id)).at(-1)).toMatchObject({
      ext: {
        'glide.session.status': 'session.logged.in',
        'glide.session.time.remaining.in.seconds': 1800,
      },
    });
  });

  it('refuses a session setup with a stale token as any REST call (401), and an unknown client', async () => {
    const bus = longPolling(beth);
    const { clientId } = await handshake(bus);
    const stale = await beth.fetch('/amb_session_setup.do', {
      method: 'POST',
      headers: { 'X-UserToken': 'stale', 'X-CometD_SessionID': clientId as string },
    });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ error: { message: 'User Not Authenticated' } });
    const unknown = await beth.fetch('/amb_session_setup.do', {
      method: 'POST',
      headers: { 'X-UserToken': await beth.token(), 'X-CometD_SessionID': 'nobody' },
    });
    expect(unknown.status).toBe(400);
  });

  it('says 402::Unknown client to a client it does not know', async () => {
    const [reply] = await connect(longPolling(beth), 'forgotten');
    expect(reply).toMatchObject({ successful: false, error: '402::Unknown client' });
  });

  it('checks Host and Origin first, over HTTP and WebSocket; takes only POST over HTTP', async () => {
    const body = JSON.stringify([message('/meta/handshake', { version: '1.0' })]);
    const foreign = await raw(`${instance.url}/amb/handshake`, {
      method: 'POST',
      headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' },
      body,
    });
    expect(foreign.status).toBe(403);
    const preflight = await raw(`${instance.url}/amb/handshake`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect((await raw(`${instance.url}/amb?message=${encodeURIComponent(body)}`)).status).toBe(405);
    expect(
      (
        await upgrade(`${instance.url}/amb`, {
          Origin: 'http://evil.example',
          Cookie: beth.cookie(),
        })
      ).status,
    ).toBe(403);
    expect((await upgrade(`${instance.url}/amb`, { Host: 'attacker.example' })).status).toBe(403);
    expect((await upgrade(`${instance.url}/other`)).status).toBe(404);
  });

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const UNKNOWN = { successful: false, error: '402::Unknown client' };

  async function sessionSetup(by: Client, clientId: string) {
    return by.fetch('/amb_session_setup.do', {
      method: 'POST',
      headers: { 'X-UserToken': await by.token(), 'X-CometD_SessionID': clientId },
    });
  }

  describe('a client id is no credential', () => {
    for (const transport of ['long-polling', 'websocket'] as const) {
      describe(`over ${transport}`, () => {
        const opened: Bayeux[] = [];
        async function busOf(of: Client): Promise<Bayeux> {
          const bus =
            transport === 'websocket' ? await webSocket(instance.url, of) : longPolling(of);
          opened.push(bus);
          return bus;
        }
        afterEach(() => opened.splice(0).forEach((bus) => bus.close()));

        it('refuses a subscribe, connect or disconnect without a cookie for a client with a session', async () => {
          const beths = await busOf(beth);
          const id = (await handshake(beths, transport)).clientId as string;
          const stranger = await busOf(client(instance.url));
          expect(await subscribe(stranger, id, ACTIVE)).toMatchObject(UNKNOWN);
          const [connected] = await connect(stranger, id, transport, 100);
          expect(connected).toMatchObject({ channel: '/meta/connect', ...UNKNOWN });
          expect(connected.ext).toBeUndefined(); // not even the client's session status
          const [left] = await stranger.send('', [message('/meta/disconnect', { clientId: id })]);
          expect(left).toMatchObject(UNKNOWN);
          // The stranger's subscribe took nothing: a write reaches no one...
          const row = await incident(beth, 'active=true');
          await patch(beth, row['sys_id'], { short_description: `Unseen (${transport})` });
          expect(deliveries(await connect(beths, id, transport, 200))).toEqual([]);
          // ...and the client lives on for Beth.
          expect(await subscribe(beths, id, ACTIVE)).toMatchObject({ successful: true });
        });

        it("gives a connect with another user's cookie none of the client's messages", async () => {
          const beths = await busOf(beth);
          const id = (await handshake(beths, transport)).clientId as string;
          expect(await subscribe(beths, id, ACTIVE)).toMatchObject({ successful: true });
          const row = await incident(
            beth,
            `active=true^caller_id!=${seededSysId('sys_user:abel.tuter')}`,
          );
          const waiting = connect(beths, id, transport, 1000);
          await pause(100);
          // Abel's connect comes after Beth's: a socket or poll that took over her client would
          // get the write below.
          const abels = await busOf(abel);
          const stolen = connect(abels, id, transport, 600);
          await pause(100);
          await patch(beth, row['sys_id'], { short_description: `Beth's only (${transport})` });
          const got = await stolen;
          expect(deliveries(got)).toEqual([]);
          expect(got.at(-1)).toMatchObject({ channel: '/meta/connect', ...UNKNOWN });
          expect(
            deliveries(await waiting).map((m) => (m.data as { sys_id: string }).sys_id),
          ).toEqual([row['sys_id']]);
          // A refused socket that closes leaves Beth's client alone.
          abels.close();
          await pause(100);
          const next = connect(beths, id, transport, 1000);
          await pause(100);
          await patch(beth, row['sys_id'], { short_description: `Still Beth's (${transport})` });
          expect(deliveries(await next)).toHaveLength(1);
        });

        it('keeps a client across a re-login as the same user, after a session setup', async () => {
          const beths = await busOf(beth);
          const id = (await handshake(beths, transport)).clientId as string;
          expect(await subscribe(beths, id, ACTIVE)).toMatchObject({ successful: true });
          expect((await beth.fetch('/logout.do')).status).toBe(302);
          await beth.logIn('beth.anglin');
          if (transport === 'long-polling') {
            // The poll now carries the new session: unknown until the setup amb-client-js makes.
            expect((await connect(beths, id, transport, 100)).at(-1)).toMatchObject(UNKNOWN);
          } else {
            // The socket keeps its upgrade's cookie: the session it carries has ended.
            expect((await connect(beths, id, transport, 100)).at(-1)).toMatchObject({
              ext: { 'glide.session.status': 'session.logged.out' },
            });
          }
          const setup = await sessionSetup(beth, id);
          expect(setup.status).toBe(200);
          expect(await setup.json()).toEqual({ 'glide.session.status': 'session.logged.in' });
          const row = await incident(beth, 'active=true');
          const waiting = connect(beths, id, transport, 1000);
          await pause(100);
          await patch(beth, row['sys_id'], { short_description: `After re-login (${transport})` });
          const replies = await waiting;
          expect(deliveries(replies)).toHaveLength(1);
          expect(replies.find((m) => m.channel === '/meta/connect')).toMatchObject({
            successful: true,
            ext: { 'glide.session.status': 'session.logged.in' },
          });
        });
      });
    }

    it("refuses a session setup for another user's client, as for an unknown one", async () => {
      const beths = longPolling(beth);
      const id = (await handshake(beths)).clientId as string;
      // A client that handshook without a session, then was bound to Beth's.
      const anonymous = client(instance.url);
      const later = (await handshake(longPolling(anonymous))).clientId as string;
      await anonymous.logIn('beth.anglin');
      expect((await sessionSetup(anonymous, later)).status).toBe(200);
      const unknown = await sessionSetup(abel, 'nobody');
      expect(unknown.status).toBe(400);
      const unknownBody = await unknown.json();
      for (const taken of [id, later]) {
        const refused = await sessionSetup(abel, taken);
        expect(refused.status).toBe(400);
        expect(await refused.json()).toEqual(unknownBody);
        // Still not Abel's to poll.
        expect((await connect(longPolling(abel), taken, 'long-polling', 100)).at(-1)).toMatchObject(
          UNKNOWN,
        );
      }
      expect((await connect(beths, id, 'long-polling', 100)).at(-1)).toMatchObject({
        successful: true,
        ext: { 'glide.session.status': 'session.logged.in' },
      });
    });

    it('caps one client at 100 subscriptions and names the cap when it refuses', async () => {
      const bus = longPolling(beth);
      const id = (await handshake(bus)).clientId as string;
      const channel = (n: number) => recordChannel('incident', `number=INC${n}`);
      const hundred = Array.from({ length: 100 }, (_, n) => channel(n));
      const [all] = await bus.send('', [
        message('/meta/subscribe', { clientId: id, subscription: hundred }),
      ]);
      expect(all).toMatchObject({ successful: true });
      expect(await subscribe(bus, id, channel(0))).toMatchObject({ successful: true }); // held
      expect(await subscribe(bus, id, channel(100))).toMatchObject({
        successful: false,
        error: expect.stringMatching(/^403::.*at most 100 subscriptions$/),
        ext: { 'glide.amb.reply.status.code': 403 },
      });
      const [left] = await bus.send('', [
        message('/meta/unsubscribe', { clientId: id, subscription: channel(0) }),
      ]);
      expect(left).toMatchObject({ successful: true });
      expect(await subscribe(bus, id, channel(100))).toMatchObject({ successful: true });
      await bus.send('', [message('/meta/disconnect', { clientId: id })]);
    });
  });

  it('evaluates a dot-walk in a watched query with the subscriber’s access', async () => {
    const byName = recordChannel('secret_note', 'secret.name=alpha');
    const unnamed = recordChannel('secret_note', 'secret.nameISEMPTY');
    const watch = async (of: Client) => {
      const bus = longPolling(of);
      const id = (await handshake(bus)).clientId as string;
      for (const channel of [byName, unnamed]) {
        expect(await subscribe(bus, id, channel)).toMatchObject({ successful: true });
      }
      return connect(bus, id, 'long-polling', 500);
    };
    const beths = watch(beth);
    const abels = watch(abel);
    await pause(100);
    const def = instance.db.table('secret_note')!;
    instance.db.update(def, instance.db.rows('secret_note')[0], { title: 'n2' }, 'admin');
    const channels = async (replies: Promise<Message[]>) =>
      deliveries(await replies).map((m) => m.channel);
    // Beth reads the secret's name; for Abel it is as empty as the API shows it him.
    expect(await channels(beths)).toEqual([byName]);
    expect(await channels(abels)).toEqual([unnamed]);
  });
});

describe('the time a session has left, on the message bus', () => {
  it('counts down from the session timeout when the instance has one', async () => {
    let now = Date.UTC(2026, 10, 1);
    const instance = await startMockInstance({ sessionTimeout: 600, clock: () => now });
    try {
      const beth = client(instance.url);
      await beth.logIn('beth.anglin');
      now += 100_000;
      expect(await handshake(longPolling(beth))).toMatchObject({
        ext: {
          'glide.session.status': 'session.logged.in',
          'glide.session.time.remaining.in.seconds': 500,
        },
      });
    } finally {
      await instance.close();
    }
  });
});
