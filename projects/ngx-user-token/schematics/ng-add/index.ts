import { chain, noop, Rule, SchematicsException, Tree } from '@angular-devkit/schematics';
import { addRootProvider, readWorkspace } from '@schematics/angular/utility';
import { insertImport } from '@schematics/angular/utility/ast-utils';
import { applyToUpdateRecorder, Change, InsertChange } from '@schematics/angular/utility/change';
import * as ts from '@schematics/angular/third_party/github.com/Microsoft/TypeScript/lib/typescript';

/** Options of `ng add ngx-user-token`. */
export interface NgAddOptions {
  /** The application to set up; default: the first application of the workspace. */
  project?: string;
}

const HTTP = '@angular/common/http';
const LIBRARY = 'ngx-user-token';

/**
 * `ng add ngx-user-token`: registers the interceptor and `provideUserToken()` in the app's root
 * providers — `withInterceptors([userTokenInterceptor])` in a standalone app (inside its existing
 * `provideHttpClient(...)` when it has one), the class interceptor through `HTTP_INTERCEPTORS` in an
 * NgModule app. Running it again changes nothing.
 */
export function ngAdd(options: NgAddOptions): Rule {
  return async (tree, context) => {
    const workspace = await readWorkspace(tree);
    const name =
      options.project ??
      [...workspace.projects.keys()].find(
        (n) => workspace.projects.get(n)?.extensions['projectType'] === 'application',
      );
    const project = name ? workspace.projects.get(name) : undefined;
    if (!name || !project || project.extensions['projectType'] !== 'application') {
      throw new SchematicsException(
        `ng add ngx-user-token: no application "${options.project ?? ''}" in this workspace.`,
      );
    }
    const sourceRoot = project.sourceRoot ?? `${project.root}/src`;
    const sources = typeScriptFiles(tree, sourceRoot);
    if (sources.some((path) => tree.readText(path).includes(`'${LIBRARY}'`))) {
      context.logger.info(`ngx-user-token is already set up in ${name}; nothing to change.`);
      return noop();
    }
    const main = sources.find((path) => tree.readText(path).includes('bootstrapApplication('));
    const standalone = main !== undefined;
    const withHttpClient = sources.find((path) =>
      tree.readText(path).includes('provideHttpClient('),
    );

    const interceptor: Rule = standalone
      ? withHttpClient
        ? addHttpFeature(withHttpClient, 'withInterceptors', 'userTokenInterceptor')
        : addRootProvider(
            name,
            ({ code, external }) =>
              code`${external('provideHttpClient', HTTP)}(${external('withInterceptors', HTTP)}([${external('userTokenInterceptor', LIBRARY)}]))`,
          )
      : chain([
          withHttpClient
            ? addHttpFeature(withHttpClient, 'withInterceptorsFromDi')
            : addRootProvider(
                name,
                ({ code, external }) =>
                  code`${external('provideHttpClient', HTTP)}(${external('withInterceptorsFromDi', HTTP)}())`,
              ),
          addRootProvider(
            name,
            ({ code, external }) =>
              code`{ provide: ${external('HTTP_INTERCEPTORS', HTTP)}, useClass: ${external('UserTokenInterceptor', LIBRARY)}, multi: true }`,
          ),
        ]);
    context.logger.info(
      `Setting up ngx-user-token in ${name} (${standalone ? 'standalone' : 'NgModule'} app).`,
    );
    return chain([
      interceptor,
      addRootProvider(
        name,
        ({ code, external }) => code`${external('provideUserToken', LIBRARY)}()`,
      ),
    ]);
  };
}

function typeScriptFiles(tree: Tree, root: string): string[] {
  const files: string[] = [];
  tree.getDir(root).visit((path) => {
    if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) {
      files.push(path);
    }
  });
  return files;
}

/**
 * Puts `feature` into the file's `provideHttpClient(...)` call: `withInterceptors([fn])` joins an
 * existing `withInterceptors([...])` list or becomes a new argument; `withInterceptorsFromDi()` is
 * added unless present.
 */
function addHttpFeature(
  path: string,
  feature: 'withInterceptors' | 'withInterceptorsFromDi',
  fn?: string,
): Rule {
  return (tree) => {
    const text = tree.readText(path);
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const call = findCall(source, 'provideHttpClient');
    if (!call) {
      throw new SchematicsException(
        `ng add ngx-user-token: no provideHttpClient(...) call in ${path}.`,
      );
    }
    const changes: Change[] = [insertImport(source, path, feature, HTTP)];
    const existing = call.arguments.find(
      (a) => ts.isCallExpression(a) && a.expression.getText() === feature,
    ) as ts.CallExpression | undefined;
    if (feature === 'withInterceptors' && fn) {
      changes.push(insertImport(source, path, fn, LIBRARY));
      const list = existing?.arguments[0];
      if (list && ts.isArrayLiteralExpression(list)) {
        changes.push(
          new InsertChange(path, list.getStart() + 1, list.elements.length ? `${fn}, ` : fn),
        );
      } else {
        changes.push(newArgument(path, call, `${feature}([${fn}])`));
      }
    } else if (!existing) {
      changes.push(newArgument(path, call, `${feature}()`));
    }
    const recorder = tree.beginUpdate(path);
    applyToUpdateRecorder(recorder, changes);
    tree.commitUpdate(recorder);
  };
}

function newArgument(path: string, call: ts.CallExpression, argument: string): InsertChange {
  const last = call.arguments[call.arguments.length - 1];
  return last
    ? new InsertChange(path, last.getEnd(), `, ${argument}`)
    : new InsertChange(path, call.arguments.pos, argument);
}

function findCall(node: ts.Node, name: string): ts.CallExpression | undefined {
  if (ts.isCallExpression(node) && node.expression.getText() === name) {
    return node;
  }
  return ts.forEachChild(node, (child) => findCall(child, name));
}
