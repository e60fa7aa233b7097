import { SchematicTestRunner, UnitTestTree } from '@angular-devkit/schematics/testing';
import { HostTree } from '@angular-devkit/schematics';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

import { imported, ngNewApp } from '../testing/ng-new';
import { InstanceAppOptions, SDK_VERSION } from './index';

const collection = join(__dirname, '../collection.json');
const WORKSPACE = join(__dirname, '../../../..');

/** A workspace as `ng new` makes it (Angular 21, standalone, with its router), app "portal". */
const app = () => ngNewApp({ standalone: true, routing: true });

interface Run {
  tree: UnitTestTree;
  log: string;
  /** The tasks the run scheduled (npm install). */
  tasks: string[];
}

async function generate(
  tree: UnitTestTree,
  options: Partial<InstanceAppOptions>,
  schematic = 'instance-app',
): Promise<Run> {
  const runner = new SchematicTestRunner('ngx-user-token', collection);
  const lines: string[] = [];
  runner.logger.subscribe((entry) => lines.push(entry.message));
  const result = await runner.runSchematic(schematic, options, tree);
  return { tree: result, log: lines.join('\n'), tasks: runner.tasks.map((t) => t.name) };
}

/** Every file of a tree, with its content. */
function snapshot(tree: UnitTestTree): Map<string, string> {
  return new Map(tree.files.map((path) => [path, tree.read(path)!.toString('base64')]));
}

const ROOT = '/projects/portal';
const SDK = `${ROOT}/instance-app`;
const CONFIG = `${ROOT}/src/app/app.config.ts`;

describe('ng generate ngx-user-token:instance-app', () => {
  it("writes the SDK project, the instance build, the page's providers and the scripts for ng new's app", async () => {
    const { tree, log, tasks } = await generate(await app(), { scope: 'x_acme_myapp' });

    const pages = tree.readText(`${SDK}/src/fluent/pages.now.ts`);
    expect(pages).toContain("endpoint: 'x_acme_myapp_app.do'");
    expect(pages).toContain("endpoint: 'x_acme_myapp_token.do'");
    expect(pages).toContain("endpoint: 'x_acme_myapp_login_complete.do'");
    expect(pages.match(/direct: true/g)).toHaveLength(3);
    const page = tree.readText(`${SDK}/src/fluent/page.html`);
    expect(page).toContain('<app-root></app-root>');
    expect(page).toContain("window.g_ck = '$[gs.getSession().getSessionToken()");
    expect(page).toContain("window.NOW.user_id = '$[gs.getUserID()]'");
    expect(page).toContain(
      '/uxasset/externals/x_acme_myapp/main.jsdbx?uxpcb=$[UxFrameworkScriptables.getFlushTimestamp()]',
    );
    expect(page).not.toContain('now-ux-globals');
    expect(tree.readText(`${SDK}/src/fluent/token.html`)).toContain('$[gs.getSessionToken()]');

    const config = JSON.parse(tree.readText(`${SDK}/now.config.json`));
    expect(config).toMatchObject({
      scope: 'x_acme_myapp',
      name: 'portal',
      staticContent: { buildDir: 'dist/static' },
      scripts: { prebuild: './now.prebuild.mjs' },
    });
    expect(config.scopeId).toMatch(/^[0-9a-f]{32}$/);
    const prebuild = tree.readText(`${SDK}/now.prebuild.mjs`);
    expect(prebuild).toContain("const ANGULAR_OUTPUT = '../../../dist/portal-instance/browser';");
    expect(prebuild).toContain(
      "const LOGIN_COMPLETE = '../../../node_modules/ngx-user-token/login-complete.html';",
    );
    expect(JSON.parse(tree.readText(`${SDK}/package.json`)).devDependencies).toEqual({
      '@servicenow/sdk': SDK_VERSION,
    });
    expect(tree.readText(`${SDK}/.gitignore`)).toContain('/target');

    const workspace = JSON.parse(tree.readText('/angular.json'));
    expect(workspace.projects.portal.architect.build.configurations.instance).toEqual({
      outputHashing: 'none',
      outputPath: 'dist/portal-instance',
    });

    const appConfig = tree.readText(CONFIG);
    expect(appConfig).toContain('provideRouter(routes)');
    expect(appConfig).toContain("provideUserToken(withTokenPage('/x_acme_myapp_token.do'))");
    expect(appConfig).toContain('provideUiPageLocation()');
    expect(appConfig).toContain('provideNextExperienceFrame()');
    expect(imported(appConfig, 'ngx-user-token/ui-page')).toEqual([
      'provideNextExperienceFrame',
      'provideUiPageLocation',
    ]);
    // The interceptor, as ng add writes it, when ng add has not run.
    expect(appConfig).toContain('withInterceptors([userTokenInterceptor])');

    const manifest = JSON.parse(tree.readText('/package.json'));
    expect(manifest.devDependencies['@servicenow/sdk']).toBe(SDK_VERSION);
    expect(manifest.scripts).toMatchObject({
      'build:instance': `ng build portal --configuration production,instance && now-sdk build ${SDK.slice(1)} && now-sdk pack ${SDK.slice(1)}`,
      'deploy:instance': `now-sdk install --source ${SDK.slice(1)}`,
      'mock:instance': `ngx-user-token-mock-instance --port 8080 --install ${SDK.slice(1)}`,
    });
    expect(tasks).toContain('node-package');
    expect(log).toContain('/x_acme_myapp_app.do');
    expect(log).toContain('npm run build:instance');
    expect(log).not.toContain('kept your');
  });

  it('changes nothing the second time, and keeps the scopeId', async () => {
    const first = await generate(await app(), { scope: 'x_acme_myapp', skipInstall: true });
    const before = snapshot(first.tree);
    const again = await generate(first.tree, { scope: 'x_acme_myapp', skipInstall: true });
    expect(snapshot(again.tree)).toEqual(before);
    expect(again.log).not.toContain('kept your');
    expect(again.tasks).toEqual([]);
  });

  it('keeps what the user changed and says so: a page, a script, another scope', async () => {
    const { tree } = await generate(await app(), { scope: 'x_acme_myapp', skipInstall: true });
    const mine = '<j:jelly xmlns:j="jelly:core"><p>mine</p></j:jelly>\n';
    tree.overwrite(`${SDK}/src/fluent/page.html`, mine);
    const manifest = JSON.parse(tree.readText('/package.json'));
    manifest.scripts['deploy:instance'] = 'my-deploy';
    tree.overwrite('/package.json', JSON.stringify(manifest, null, 2));
    const scopeId = JSON.parse(tree.readText(`${SDK}/now.config.json`)).scopeId;

    const again = await generate(tree, { scope: 'x_acme_other', skipInstall: true });
    expect(again.tree.readText(`${SDK}/src/fluent/page.html`)).toBe(mine);
    expect(JSON.parse(again.tree.readText('/package.json')).scripts['deploy:instance']).toBe(
      'my-deploy',
    );
    expect(JSON.parse(again.tree.readText(`${SDK}/now.config.json`))).toMatchObject({
      scope: 'x_acme_myapp',
      scopeId,
    });
    expect(again.log).toContain(`kept your ${SDK}/src/fluent/page.html`);
    expect(again.log).toContain('kept your npm script "deploy:instance"');
    expect(again.log).toContain('with scope "x_acme_myapp", not "x_acme_other"');
  });

  it('refuses a scope or an endpoint the instance would not take, and writes nothing', async () => {
    const tree = await app();
    const before = snapshot(tree);
    await expect(generate(tree, { scope: 'X-Acme' })).rejects.toThrow(
      /--scope=X-Acme is not a ServiceNow scope: x_<vendor prefix>_<name>/,
    );
    await expect(generate(tree, { scope: 'x_acme_much_too_long_app' })).rejects.toThrow(
      /at most 18 characters/,
    );
    await expect(
      generate(tree, { scope: 'x_acme_myapp', endpoint: 'incidents.do' }),
    ).rejects.toThrow(/--endpoint=incidents.do must begin with x_acme_myapp_ and end in .do/);
    await expect(generate(tree, { scope: 'x_acme_myapp', path: '../elsewhere' })).rejects.toThrow(
      /must be a folder inside the workspace/,
    );
    expect(snapshot(tree)).toEqual(before);
  });

  it('is what ng add runs at its end when given a scope', async () => {
    const { tree, log } = await generate(
      await app(),
      { scope: 'x_acme_myapp', skipInstall: true } as Partial<InstanceAppOptions>,
      'ng-add',
    );
    const appConfig = tree.readText(CONFIG);
    expect(appConfig.match(/userTokenInterceptor/g)?.length).toBe(2); // import and use
    expect(appConfig).toContain('provideUiPageLocation()');
    expect(tree.exists(`${SDK}/src/fluent/pages.now.ts`)).toBe(true);
    expect(log).toContain('registered userTokenInterceptor');
    expect(log).not.toContain('already set up');

    const without = await generate(await app(), {}, 'ng-add');
    expect(without.tree.exists(`${SDK}/now.config.json`)).toBe(false);
    expect(without.log).toContain('ng generate ngx-user-token:instance-app --scope=');
  });

  it('pins the SDK version this workspace builds its demo with', () => {
    const workspace = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8'));
    expect(workspace.devDependencies['@servicenow/sdk']).toBe(SDK_VERSION);
  });

  it("produced the demo's SDK project (projects/instance-app), file for file", async () => {
    // This workspace as the schematic sees it: its configuration, the demo's sources, and the
    // demo's now.config.json (its scopeId is the application's identity, kept).
    const host = new UnitTestTree(new HostTree());
    const copy = (path: string) =>
      host.create(`/${path}`, readFileSync(join(WORKSPACE, path), 'utf8'));
    ['angular.json', 'package.json', 'projects/instance-app/now.config.json'].forEach(copy);
    walk(join(WORKSPACE, 'projects/demo/src')).forEach(copy);
    const { tree, log } = await generate(host, {
      project: 'demo',
      scope: 'x_ngxut_demo',
      endpoint: 'x_ngxut_demo_incidents.do',
      title: 'My active incidents',
      path: 'projects/instance-app',
      skipInstall: true,
    });
    const generated = tree.files.filter((f) => f.startsWith('/projects/instance-app/'));
    expect(generated.sort()).toEqual(
      [
        '.gitignore',
        'now.config.json',
        'now.prebuild.mjs',
        'package.json',
        'src/fluent/page.html',
        'src/fluent/pages.now.ts',
        'src/fluent/token.html',
      ].map((f) => `/projects/instance-app/${f}`),
    );
    for (const path of generated) {
      expect([path, tree.readText(path)]).toEqual([
        path,
        readFileSync(join(WORKSPACE, path), 'utf8'),
      ]);
    }
    // The demo's own build configuration and script are its own (they replace the token page's
    // path and keep the keys frozen); the schematic keeps them and says so.
    expect(log).toContain('kept your npm script "build:instance"');
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [relative(WORKSPACE, path)];
  });
}
