import { SchematicTestRunner, UnitTestTree } from '@angular-devkit/schematics/testing';
import { join } from 'node:path';

import { imported, ngNewApp } from '../testing/ng-new';

const collection = join(__dirname, '../collection.json');

const app = (standalone: boolean) => ngNewApp({ standalone });

async function ngAdd(tree: UnitTestTree): Promise<{ tree: UnitTestTree; log: string }> {
  const runner = new SchematicTestRunner('ngx-user-token', collection);
  const lines: string[] = [];
  runner.logger.subscribe((entry) => lines.push(entry.message));
  return { tree: await runner.runSchematic('ng-add', {}, tree), log: lines.join('\n') };
}

/** Makes the workspace's package.json ask for `@angular/core` `range`. */
function angular(tree: UnitTestTree, range: string): UnitTestTree {
  const manifest = JSON.parse(tree.readText('/package.json'));
  manifest.dependencies['@angular/core'] = range;
  tree.overwrite('/package.json', JSON.stringify(manifest, null, 2));
  return tree;
}

const CONFIG = '/projects/portal/src/app/app.config.ts';

describe('ng add ngx-user-token', () => {
  it("writes the README's setup into a standalone Angular 21 app, says what else there is, and changes nothing the second time", async () => {
    const { tree, log } = await ngAdd(angular(await app(true), '^21.2.0'));
    const config = tree.readText(CONFIG);
    expect(config).toContain("import { userTokenInterceptor } from 'ngx-user-token';");
    expect(imported(config, '@angular/common/http')).toEqual([
      'provideHttpClient',
      'withFetch',
      'withInterceptors',
    ]);
    expect(config).toContain(
      'provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor]))',
    );
    expect(config).not.toContain('provideUserToken');
    expect(log).toContain('registered userTokenInterceptor');
    expect(log).toContain('Angular 21');
    expect(log).toContain(
      "provideUserToken(withTokenPage('/your_token_page.do'), withCrossTabSync()",
    );
    expect(log).toContain('userTokenOriginGuard');

    const again = await ngAdd(tree);
    expect(again.tree.readText(CONFIG)).toBe(config);
    expect(again.log).toContain('already set up');
  });

  it('leaves withFetch() out from Angular 22 on, where fetch is the default backend', async () => {
    const { tree } = await ngAdd(angular(await app(true), '~22.0.1'));
    const config = tree.readText(CONFIG);
    expect(config).toContain('provideHttpClient(withInterceptors([userTokenInterceptor]))');
    expect(config).not.toContain('withFetch');
  });

  it('joins an existing provideHttpClient(...) and its interceptors', async () => {
    const tree = await app(true);
    tree.overwrite(
      CONFIG,
      tree
        .readText(CONFIG)
        .replace(
          'providers: [',
          'providers: [provideHttpClient(withFetch(), withInterceptors([authInterceptor])), ',
        )
        .replace(
          /^/,
          `import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';\nimport { authInterceptor } from './auth';\n`,
        ),
    );
    const { tree: added, log } = await ngAdd(tree);
    const config = added.readText(CONFIG);
    expect(config).toContain(
      'provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor, authInterceptor]))',
    );
    expect(config.match(/provideHttpClient\(/g)).toHaveLength(1);
    expect(log).not.toContain('XHR');
  });

  it("keeps an existing provideHttpClient's XHR backend and says what withFetch() would add", async () => {
    const tree = angular(await app(true), '^21.2.0');
    tree.overwrite(
      CONFIG,
      tree
        .readText(CONFIG)
        .replace('providers: [', 'providers: [provideHttpClient(), ')
        .replace(/^/, `import { provideHttpClient } from '@angular/common/http';\n`),
    );
    const { tree: added, log } = await ngAdd(tree);
    expect(added.readText(CONFIG)).toContain(
      'provideHttpClient(withInterceptors([userTokenInterceptor]))',
    );
    expect(log).toContain('keeps its XHR backend. Add withFetch()');
  });

  it('registers the class interceptor in an NgModule app', async () => {
    const { tree, log } = await ngAdd(angular(await app(false), '^20.3.0'));
    const module = tree.readText('/projects/portal/src/app/app-module.ts');
    expect(module).toContain(
      '{ provide: HTTP_INTERCEPTORS, useClass: UserTokenInterceptor, multi: true }',
    );
    expect(module).toContain('provideHttpClient(withFetch(), withInterceptorsFromDi())');
    expect(module).not.toContain('provideUserToken');
    expect(module).toContain(`from 'ngx-user-token';`);
    expect(log).toContain('NgModule app, Angular 20');

    const again = await ngAdd(tree);
    expect(again.tree.readText('/projects/portal/src/app/app-module.ts')).toBe(module);
  });
});
