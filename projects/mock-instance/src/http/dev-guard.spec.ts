// The mock instance as attack surface: a DNS-rebinding Host on every path, and websites posting to
// its control API from the developer's browser.
import { strToU8, zipSync } from 'fflate';

import { client } from '../../test/client';
import { raw, upgrade } from '../../test/raw';
import { MockInstance, startMockInstance } from '../server';

let instance: MockInstance;
beforeEach(async () => {
  instance = await startMockInstance({ dev: true, sso: 'redirect' });
});
afterEach(() => instance.close());

const REBOUND = { Host: 'attacker.example:4200' };
const CROSS_SITE = {
  Origin: 'http://evil.example',
  'Sec-Fetch-Site': 'cross-site',
  'Content-Type': 'text/plain',
};

describe('the Host check of the mock instance', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/user_token.do'],
    ['POST', '/login.do'],
    ['GET', '/api/now/table/incident'],
    ['GET', '/mock/state'],
    ['POST', '/mock/reset'],
  ])('refuses a rebound Host on %s %s, naming the flag', async (method, path) => {
    const answer = await raw(instance.url + path, { method, headers: REBOUND });
    expect(answer.status).toBe(403);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    expect(answer.body).toMatch(/attacker\.example.*--allowed-hosts/);
  });

  it('refuses it on the identity provider and on /amb upgrades too', async () => {
    expect(
      (await raw(`${instance.identityProviderUrl}/sso/login`, { headers: REBOUND })).status,
    ).toBe(403);
    expect((await upgrade(`${instance.url}/amb`, REBOUND)).status).toBe(403);
  });

  it('serves loopback names, and names it is told to accept', async () => {
    for (const host of ['localhost', `127.0.0.1:${instance.port}`, `[::1]:${instance.port}`]) {
      expect((await raw(`${instance.url}/mock/state`, { headers: { Host: host } })).status).toBe(
        200,
      );
    }
    const named = await startMockInstance({ allowedHosts: ['.test.example'] });
    try {
      expect(
        (await raw(`${named.url}/user_token.do`, { headers: { Host: 'a.test.example' } })).status,
      ).toBe(302);
    } finally {
      await named.close();
    }
  });

  it('counts refused requests among the requests it received', async () => {
    const before = instance.stats.requests;
    await raw(`${instance.url}/`, { headers: REBOUND });
    expect(instance.stats.requests - before).toBe(1);
  });
});

describe('the control API refuses cross-site requests', () => {
  it('a cross-site text/plain POST to /mock/reset wipes nothing', async () => {
    const browser = client(instance.url);
    const token = await browser.logIn();
    const created = await browser.fetch('/api/now/table/incident', {
      method: 'POST',
      headers: { 'X-UserToken': token, 'Content-Type': 'application/json' },
      body: '{"short_description":"kept"}',
    });
    expect(created.status).toBe(201);
    const before = instance.db.rows('incident').length;
    const answer = await raw(`${instance.url}/mock/reset`, {
      method: 'POST',
      headers: CROSS_SITE,
      body: 'x',
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        message: 'Mock instance refused a cross-site request',
        detail: expect.stringMatching(/control API .*Origin "http:\/\/evil\.example"/),
      },
      status: 'failure',
    });
    expect(instance.db.rows('incident')).toHaveLength(before);
    expect(instance.db.rows('incident').some((r) => r['short_description'] === 'kept')).toBe(true);
  });

  it.each<[string, Record<string, string>]>([
    ['a foreign Origin', { Origin: 'http://evil.example' }],
    ['Sec-Fetch-Site: cross-site alone (a no-cors fetch)', { 'Sec-Fetch-Site': 'cross-site' }],
    ['the opaque origin of a sandboxed page', { Origin: 'null' }],
  ])('%s cannot end a session, rotate a token or switch a setting', async (_what, headers) => {
    const browser = client(instance.url);
    const token = await browser.logIn();
    const cookie = (await browser.fetch('/mock/state')).ok;
    expect(cookie).toBe(true);
    for (const path of ['/mock/rotate-token', '/mock/end-session', '/mock/config']) {
      const answer = await browser.fetch(path, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: '{"sso":"html"}',
      });
      expect(answer.status).toBe(403);
    }
    expect(await browser.token()).toBe(token);
    expect(instance.config.sso).toBe('redirect');
  });

  it('serves its own pages, loopback pages and tools that send no Origin', async () => {
    for (const headers of [
      { Origin: instance.url, 'Sec-Fetch-Site': 'same-origin' } as Record<string, string>,
      { Origin: 'http://localhost:4300', 'Sec-Fetch-Site': 'same-site' },
      {},
    ]) {
      expect((await raw(`${instance.url}/mock/stats`, { headers })).status).toBe(200);
    }
  });
});

describe('installed UX assets', () => {
  const asset = (mimeType: string) =>
    zipSync({
      '/update/sys_ux_lib_asset_x.xml': strToU8(
        '<?xml version="1.0"?><record_update table="sys_ux_lib_asset"><sys_ux_lib_asset action="INSERT_OR_UPDATE">' +
          `<sys_id>x</sys_id><name>x_evil/page</name><mime_type>${mimeType}</mime_type>` +
          '<is_attachment>false</is_attachment><content><![CDATA[<script>alert(g_ck)</script>]]></content>' +
          '</sys_ux_lib_asset></record_update>',
      ),
    });

  it.each(['text/html', 'image/svg+xml', 'application/xhtml+xml', 'TEXT/HTML; charset=utf-8'])(
    'refuses an asset declared %s at install, naming it, and installs nothing',
    async (type) => {
      const answer = await raw(`${instance.url}/mock/install`, {
        method: 'POST',
        body: Buffer.from(asset(type)),
      });
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body).error.detail).toMatch(
        /UX asset x_evil\/page declares the type/,
      );
      expect((await raw(`${instance.url}/uxasset/externals/x_evil/page.jsdbx`)).status).toBe(404);
    },
  );

  it('serves the types an SDK package has, with nosniff', async () => {
    expect(
      (
        await raw(`${instance.url}/mock/install`, {
          method: 'POST',
          body: Buffer.from(asset('application/javascript')),
        })
      ).status,
    ).toBe(200);
    const served = await raw(`${instance.url}/uxasset/externals/x_evil/page.jsdbx`);
    expect(served.headers['content-type']).toBe('application/javascript; charset=utf-8');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
  });
});
