import { SchematicTestRunner, UnitTestTree } from '@angular-devkit/schematics/testing';
import { dirname, join } from 'node:path';

const collection = join(__dirname, '../collection.json');

async function app(standalone: boolean): Promise<UnitTestTree> {
  const angular = join(
    dirname(require.resolve('@schematics/angular/package.json')),
    'collection.json',
  );
  const runner = new SchematicTestRunner('@schematics/angular', angular);
  const workspace = await runner.runSchematic('workspace', {
    name: 'ws',
    newProjectRoot: 'projects',
    version: '21.0.0',
  });
  return runner.runSchematic(
    'application',
    { name: 'portal', standalone, skipTests: true },
    workspace,
  );
}

function ngAdd(tree: UnitTestTree): Promise<UnitTestTree> {
  return new SchematicTestRunner('ngx-user-token', collection).runSchematic('ng-add', {}, tree);
}

describe('ng add ngx-user-token', () => {
  it('adds the interceptor and provideUserToken() to a standalone app, once', async () => {
    const tree = await ngAdd(await app(true));
    const config = tree.readText('/projects/portal/src/app/app.config.ts');
    expect(config).toMatch(
      /import \{ (userTokenInterceptor, provideUserToken|provideUserToken, userTokenInterceptor) \} from 'ngx-user-token';/,
    );
    expect(config).toMatch(
      /import \{[^}]*provideHttpClient[^}]*withInterceptors[^}]*\} from '@angular\/common\/http';/,
    );
    expect(config).toContain('provideHttpClient(withInterceptors([userTokenInterceptor]))');
    expect(config).toContain('provideUserToken()');

    const again = await ngAdd(tree);
    expect(again.readText('/projects/portal/src/app/app.config.ts')).toBe(config);
  });

  it('joins an existing provideHttpClient(...) and its interceptors', async () => {
    const tree = await app(true);
    const path = '/projects/portal/src/app/app.config.ts';
    tree.overwrite(
      path,
      tree
        .readText(path)
        .replace(
          'providers: [',
          'providers: [provideHttpClient(withFetch(), withInterceptors([authInterceptor])), ',
        )
        .replace(
          /^/,
          `import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';\nimport { authInterceptor } from './auth';\n`,
        ),
    );
    const config = (await ngAdd(tree)).readText(path);
    expect(config).toContain(
      'provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor, authInterceptor]))',
    );
    expect(config.match(/provideHttpClient\(/g)).toHaveLength(1);
    expect(config).toContain('provideUserToken()');
  });

  it('registers the class interceptor in an NgModule app', async () => {
    const tree = await ngAdd(await app(false));
    const module = tree.readText('/projects/portal/src/app/app-module.ts');
    expect(module).toContain(
      '{ provide: HTTP_INTERCEPTORS, useClass: UserTokenInterceptor, multi: true }',
    );
    expect(module).toContain('provideHttpClient(withInterceptorsFromDi())');
    expect(module).toContain('provideUserToken()');
    expect(module).toContain(`from 'ngx-user-token';`);

    const again = await ngAdd(tree);
    expect(again.readText('/projects/portal/src/app/app-module.ts')).toBe(module);
  });
});
