import {
  chain,
  noop,
  Rule,
  schematic,
  SchematicsException,
  Tree,
} from '@angular-devkit/schematics';
import { addRootProvider, readWorkspace } from '@schematics/angular/utility';
import { insertImport } from '@schematics/angular/utility/ast-utils';
import { applyToUpdateRecorder, Change, InsertChange } from '@schematics/angular/utility/change';
import * as ts from '@schematics/angular/third_party/github.com/Microsoft/TypeScript/lib/typescript';

import { findApplication, typeScriptFiles } from '../workspace.js';

/** Options of `ng add ngx-user-token`. */
export interface NgAddOptions {
  /** The application to set up; default: the first application of the workspace. */
  project?: string;
  /**
   * The scope of a ServiceNow application to put the app on its instance as a UI page: runs
   * `ng generate ngx-user-token:instance-app --scope=…` afterwards. Empty (the default): not now.
   */
  scope?: string;
}

const HTTP = '@angular/common/http';
const LIBRARY = 'ngx-user-token';

/**
 * `ng add ngx-user-token`: registers the interceptor in the app's root providers, with the setup the
 * README recommends — `provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor]))` in
 * a standalone app (`withFetch()` only before Angular 22, where fetch became the default backend),
 * or the class interceptor through `HTTP_INTERCEPTORS` with `withInterceptorsFromDi()` in an
 * NgModule app. An existing `provideHttpClient(...)` gets the interceptor and keeps its backend.
 * The optional features are logged, not written. Running it again changes nothing. With a
 * `scope` (asked for when interactive) it goes on with the `instance-app` schematic.
 */
export function ngAdd(options: NgAddOptions): Rule {
  return async (tree, context) => {
    const workspace = await readWorkspace(tree);
    const { name, project } = findApplication(workspace, options.project, 'ng add ngx-user-token');
    const sourceRoot = project.sourceRoot ?? `${project.root}/src`;
    const sources = typeScriptFiles(tree, sourceRoot);
    const then = options.scope
      ? schematic('instance-app', { scope: options.scope, project: name })
      : noop();
    if (sources.some((path) => tree.readText(path).includes(`'${LIBRARY}'`))) {
      context.logger.info(`ngx-user-token is already set up in ${name}; nothing to change.`);
      return then;
    }
    const main = sources.find((path) => tree.readText(path).includes('bootstrapApplication('));
    const standalone = main !== undefined;
    const withHttpClient = sources.find((path) =>
      tree.readText(path).includes('provideHttpClient('),
    );
    const major = angularMajor(tree);
    // Before Angular 22 the default backend is XHR, which follows redirects itself: only fetch lets
    // the library keep the token from following a redirect to another origin.
    const fetch = major === undefined || major < 22;
    // `external` hands back a placeholder for the imported name, so the call can be put together.
    const newHttpClient = (feature: 'withInterceptors' | 'withInterceptorsFromDi'): Rule =>
      addRootProvider(name, ({ code, external }) => {
        const args =
          feature === 'withInterceptors' ? `[${external('userTokenInterceptor', LIBRARY)}]` : '';
        const features = [
          ...(fetch ? [`${external('withFetch', HTTP)}()`] : []),
          `${external(feature, HTTP)}(${args})`,
        ];
        return code`${external('provideHttpClient', HTTP)}(${features.join(', ')})`;
      });

    const interceptor: Rule = standalone
      ? withHttpClient
        ? addHttpFeature(withHttpClient, 'withInterceptors', 'userTokenInterceptor')
        : newHttpClient('withInterceptors')
      : chain([
          withHttpClient
            ? addHttpFeature(withHttpClient, 'withInterceptorsFromDi')
            : newHttpClient('withInterceptorsFromDi'),
          addRootProvider(
            name,
            ({ code, external }) =>
              code`{ provide: ${external('HTTP_INTERCEPTORS', HTTP)}, useClass: ${external('UserTokenInterceptor', LIBRARY)}, multi: true }`,
          ),
        ]);
    const where = withHttpClient ?? (standalone ? 'the app config' : 'the root module');
    const lines = [
      `ngx-user-token: registered ${standalone ? 'userTokenInterceptor' : 'UserTokenInterceptor (HTTP_INTERCEPTORS)'} in ${where} (${standalone ? 'standalone' : 'NgModule'} app${major ? `, Angular ${major}` : ''}).`,
    ];
    if (withHttpClient && fetch && !/with(Fetch|Xhr)\(/.test(tree.readText(withHttpClient))) {
      lines.push(
        `  Your provideHttpClient(...) in ${withHttpClient} keeps its XHR backend. Add withFetch(): XHR follows ` +
          `redirects itself, so a redirect from the instance to another origin would take the session token ` +
          `there; with fetch the library never lets the token follow one (fetch cannot report upload progress).`,
      );
    }
    lines.push(
      '  Optional, in the same providers (see the README, "Features and options"):',
      "    provideUserToken(withTokenPage('/your_token_page.do'), withCrossTabSync(), withUserTokenOptions({ ... }))",
      '  and userTokenOriginGuard last in the interceptor list if other interceptors rewrite URLs.',
    );
    if (options.scope === undefined) {
      lines.push(
        '  To put the app on your instance as a UI page: ng generate ngx-user-token:instance-app --scope=x_<vendor>_<app>',
      );
    }
    context.logger.info(lines.join('\n'));
    return chain([interceptor, then]);
  };
}

/** The major version of `@angular/core` the workspace's package.json asks for, if it names one. */
function angularMajor(tree: Tree): number | undefined {
  const text = tree.exists('/package.json') ? tree.readText('/package.json') : '{}';
  const manifest = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
  const range =
    manifest['dependencies']?.['@angular/core'] ?? manifest['devDependencies']?.['@angular/core'];
  const major = range?.match(/\d+/)?.[0];
  return major === undefined ? undefined : Number(major);
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
