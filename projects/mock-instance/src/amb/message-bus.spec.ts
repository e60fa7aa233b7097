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
        tables: { ...data.tables, secret: { fields: { name: { type: 'string' } } } },
        acls: [...data.acls, { table: 'secret', operation: 'read', roles: ['itil'] }],
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

      it('handshakes with the session: logged in, the bus active', async () => {
        const reply = await handshake(bus, transport);
        expect(reply).toMatchObject({
          successful: true,
          supportedConnectionTypes: ['websocket', 'long-polling'],
          ext: { 'glide.session.status': 'session.logged.in', 'glide.amb.active': true },
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
      ext: { 'glide.amb.reply.status.code': 403 },
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
    const bus = longPolling(beth);
    const { clientId } = await handshake(bus);
    await subscribe(bus, clientId as string, ACTIVE);
    await connect(bus, clientId as string); // the first connect comes back at once
    const started = Date.now();
    const open = connect(bus, clientId as string);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await beth.fetch('/logout.do')).status).toBe(302);
    const replies = await open;
    expect(Date.now() - started).toBeLessThan(1500); // the timeout is 2 s
    expect(replies.at(-1)).toMatchObject({
      channel: '/meta/connect',
      successful: true,
      ext: { 'glide.session.status': 'session.logged.out' },
    });
  });

  it('handshakes without a session as session.invalidated; a session setup then binds it', async () => {
    const stranger = client(instance.url);
    const bus = longPolling(stranger);
    const reply = await handshake(bus);
    expect(reply).toMatchObject({
      successful: true,
      ext: { 'glide.session.status': 'session.invalidated' },
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
      ext: { 'glide.session.status': 'session.logged.in' },
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
});
