import { gzipSync, strToU8, zipSync } from 'fflate';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { client, Client } from '../../test/client';
import { JellyContext, JellyError, renderJelly } from '../glide/jelly';
import { MockInstance, startMockInstance } from '../server';

const CONTEXT: JellyContext = {
  sessionToken: 'tok123',
  userName: 'abel.tuter',
  userSysId: 'abc',
  userDisplayName: 'Abel Tuter',
  flushTimestamp: 42,
};

describe('Jelly, for what front-end pages use', () => {
  it.each([
    ['<j:jelly trim="true" xmlns:j="jelly:core">$[gs.getSessionToken()]</j:jelly>', 'tok123'],
    ['\n<j:jelly trim="true">\n  $[gs.getSessionToken()]\n</j:jelly>', 'tok123'],
    [
      '<j:jelly trim="false"><script>window.g_ck = "$[gs.getSession().getSessionToken() || gs.getSessionToken()]";</script></j:jelly>',
      '<script>window.g_ck = "tok123";</script>',
    ],
    [
      '<j:jelly><g:evaluate var="jvar_token">gs.getSessionToken();</g:evaluate><i>${jvar_token}</i></j:jelly>',
      '<i>tok123</i>',
    ],
    [
      '<j:jelly><g:evaluate var="jvar_who" expression="gs.getUserName()"/>${jvar_who}$[SP]$[AMP]$[UxFrameworkScriptables.getFlushTimestamp()]</j:jelly>',
      'abel.tuter &42',
    ],
    ['<p>${gs.getUserDisplayName()}</p>', '<p>Abel Tuter</p>'],
  ])('%s', (html, expected) => {
    expect(renderJelly(html, CONTEXT)).toBe(expected);
  });

  it.each([
    ['<j:jelly><g:requires name="scripts/lib/prototype.js"/></j:jelly>', /<g:requires>/],
    ['<j:jelly><g2:client_script type="user"/></j:jelly>', /<g2:client_script>/],
    ['<j:jelly><sdk:now-ux-globals/></j:jelly>', /<sdk:now-ux-globals>/],
    ['<p>$[gs.getProperty("x")]</p>', /gs.getProperty\("x"\)/],
    ['<g:evaluate>gs.getSessionToken()</g:evaluate>', /needs var="jvar_/],
  ])('refuses what it does not render: %s', (html, message) => {
    expect(() => renderJelly(html, CONTEXT)).toThrow(JellyError);
    expect(() => renderJelly(html, CONTEXT)).toThrow(message);
  });
});

/** An update record file, as `now-sdk build` writes them. */
function record(table: string, fields: Record<string, string>): string {
  const body = Object.entries(fields)
    .map(([name, value]) => `<${name}><![CDATA[${value}]]></${name}>`)
    .join('');
  return `<?xml version="1.0"?><record_update table="${table}"><${table} action="INSERT_OR_UPDATE">${body}</${table}></record_update>`;
}

/** A package with a page, a token page, an inline asset, an attached asset and a theme asset. */
function appPackage(pageHtml: string): Uint8Array {
  const big = 'export const big = 1;\n';
  const attachment = Buffer.from(gzipSync(strToU8(big))).toString('base64');
  const files: Record<string, Uint8Array> = {
    '/scope/sys_app_1.xml': strToU8(record('sys_app', { sys_id: '1', scope: 'x_test' })),
    '/update/sys_ui_page_a.xml': strToU8(
      record('sys_ui_page', {
        sys_id: 'a',
        endpoint: 'x_test_app.do',
        name: 'app',
        direct: 'true',
        html: pageHtml,
      }),
    ),
    '/update/sys_ui_page_b.xml': strToU8(
      record('sys_ui_page', {
        sys_id: 'b',
        endpoint: 'x_test_token.do',
        name: 'token',
        direct: 'true',
        html: '\n<j:jelly trim="true">$[gs.getSessionToken()]</j:jelly>',
      }),
    ),
    '/update/sys_ux_lib_asset_c.xml': strToU8(
      record('sys_ux_lib_asset', {
        sys_id: 'c',
        name: 'x_test/main',
        mime_type: 'application/javascript',
        content: 'console.log("main");',
        is_attachment: 'false',
      }),
    ),
    '/update/sys_ux_lib_asset_d.xml': strToU8(
      record('sys_ux_lib_asset', {
        sys_id: 'd',
        name: 'x_test/big',
        mime_type: 'application/javascript',
        is_attachment: 'true',
      }).replace(
        '</record_update>',
        `<sys_attachment action="INSERT_OR_UPDATE"><sys_id>att</sys_id><table_sys_id>d</table_sys_id></sys_attachment>` +
          `<sys_attachment_doc action="INSERT_OR_UPDATE"><sys_attachment>att</sys_attachment><position>0</position><data>${attachment}</data></sys_attachment_doc></record_update>`,
      ),
    ),
    '/update/sys_ux_theme_asset_e.xml': strToU8(
      record('sys_ux_theme_asset', { sys_id: 'e', name: 'styles.css' }),
    ),
    '/update/sys_module_f.xml': strToU8(record('sys_module', { sys_id: 'f' })),
  };
  return zipSync(files);
}

describe('installing an application package', () => {
  let instance: MockInstance;
  let browser: Client;
  beforeEach(async () => {
    instance = await startMockInstance({ dev: true });
    browser = client(instance.url);
  });
  afterEach(() => instance.close());

  const install = (zip: Uint8Array) =>
    browser.fetch('/mock/install', { method: 'POST', body: Buffer.from(zip) });

  it('serves its UI pages to a logged-in user and its UX assets as modules', async () => {
    const report = await install(
      appPackage('<j:jelly><script>window.g_ck = "$[gs.getSessionToken()]";</script></j:jelly>'),
    );
    expect(report.status).toBe(200);
    expect(await report.json()).toEqual({
      scope: 'x_test',
      pages: ['/x_test_app.do', '/x_test_token.do'],
      assets: ['/uxasset/externals/x_test/main.jsdbx', '/uxasset/externals/x_test/big.jsdbx'],
      themeAssetsNotServed: ['styles.css'],
      ignored: { sys_app: 1, sys_module: 1 },
    });
    const anonymous = await browser.fetch('/x_test_app.do');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/login.do?sysparm_goto=%2Fx_test_app.do');

    const token = await browser.logIn();
    expect(await (await browser.fetch('/x_test_app.do')).text()).toBe(
      `<script>window.g_ck = "${token}";</script>`,
    );
    expect(await (await browser.fetch('/x_test_token.do')).text()).toBe(token);
    const main = await browser.fetch('/uxasset/externals/x_test/main.jsdbx');
    expect(main.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await main.text()).toBe('console.log("main");');
    expect(await (await browser.fetch('/uxasset/externals/x_test/big.jsdbx')).text()).toBe(
      'export const big = 1;\n',
    );
    expect((await browser.fetch('/uxasset/externals/x_test/none.jsdbx')).status).toBe(404);
    // The icon a page's browser asks for: empty, not a 404 (an instance has its own there).
    expect((await browser.fetch('/favicon.ico')).status).toBe(204);
    expect((await browser.fetch('/favicon.png')).status).toBe(404);
  });

  it('answers a page it cannot render with a clear error page, never raw Jelly', async () => {
    await install(
      appPackage('<j:jelly><g:requires name="x.js"/>$[gs.getSessionToken()]</j:jelly>'),
    );
    await browser.logIn();
    const page = await browser.fetch('/x_test_app.do');
    expect(page.status).toBe(500);
    const text = await page.text();
    expect(text).toContain('cannot render x_test_app.do');
    expect(text).toContain('&#60;g:requires&#62;');
    expect(text).not.toContain('$[');
    // It keeps serving.
    expect((await browser.fetch('/x_test_token.do')).status).toBe(200);
  });

  it('refuses what is not a package, with the reason', async () => {
    for (const body of [new Uint8Array([1, 2, 3]), zipSync({ 'readme.txt': strToU8('hi') })]) {
      const response = await install(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
        'Not an application package',
      );
    }
  });

  it("installs from a ServiceNow SDK project's folder: the newest zip now-sdk pack wrote", async () => {
    const project = mkdtempSync(join(tmpdir(), 'sdk-project-'));
    try {
      await expect(startMockInstance({ install: [project] })).rejects.toThrow(
        `no package in ${join(project, 'target')}: ${project} is a folder, so it should be a ServiceNow SDK project`,
      );
      mkdirSync(join(project, 'target'));
      const old = join(project, 'target/x_test_0_1_0.zip');
      writeFileSync(old, appPackage('<j:jelly>old</j:jelly>'));
      utimesSync(old, new Date(2020, 0, 1), new Date(2020, 0, 1));
      writeFileSync(join(project, 'target/x_test_0_2_0.zip'), appPackage('<j:jelly>new</j:jelly>'));
      const fromFolder = await startMockInstance({ install: [project] });
      try {
        const user = client(fromFolder.url);
        await user.logIn();
        expect(await (await user.fetch('/x_test_app.do')).text()).toBe('new');
      } finally {
        await fromFolder.close();
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});
