import {
  apply,
  applyTemplates,
  chain,
  forEach,
  mergeWith,
  move,
  noop,
  Rule,
  SchematicContext,
  SchematicsException,
  Tree,
  url,
} from '@angular-devkit/schematics';
import {
  addDependency,
  addRootProvider,
  DependencyType,
  ExistingBehavior,
  InstallBehavior,
  readWorkspace,
  updateWorkspace,
} from '@schematics/angular/utility';
import { JSONFile } from '@schematics/angular/utility/json-file';
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';

import { ngAdd } from '../ng-add/index.js';
import { findApplication, typeScriptFiles } from '../workspace.js';

/** Options of `ng generate ngx-user-token:instance-app`. */
export interface InstanceAppOptions {
  /** The ServiceNow application's scope, `x_<vendor prefix>_<name>`. */
  scope: string;
  /** The application to put on the instance; default: the first application of the workspace. */
  project?: string;
  /** The UI page's endpoint; default `<scope>_app.do`. */
  endpoint?: string;
  /** The page's title and the application's name; default: the project's name. */
  title?: string;
  /** Where the ServiceNow SDK project goes; default `instance-app` in the project's folder. */
  path?: string;
  /** Leaves out `npm install` of the ServiceNow SDK. */
  skipInstall?: boolean;
}

/**
 * The ServiceNow SDK version the generated project is pinned to: the one this library's own
 * workspace builds its demo with, offline.
 */
export const SDK_VERSION = '4.9.0';

/** The build configuration the generated project packages. */
const CONFIGURATION = 'instance';
const UI_PAGE = 'ngx-user-token/ui-page';
const LIBRARY = 'ngx-user-token';

/**
 * `ng generate ngx-user-token:instance-app --scope=x_acme_myapp`: puts an Angular application on a
 * ServiceNow instance as a UI page, the way ServiceNow's SDK guide for UI pages asks
 * (`UiPage({ endpoint, html, direct: true })`, views in the query string). It writes
 * - a ServiceNow SDK project: `now.config.json` (a new `scopeId`), the app's UI page, the token
 *   page of `withTokenPage`, the login-complete page of `withReLogin`, and the prebuild that turns
 *   the Angular build into the package's UX assets;
 * - an `instance` build configuration (no hashed file names, its own output folder);
 * - the providers the page needs: the interceptor (as `ng add`), `withTokenPage`, the UI-page
 *   location and the Next Experience frame;
 * - npm scripts: `build:instance`, `deploy:instance`, and the local loop (`mock:instance`,
 *   `proxy:instance`, `serve:instance`).
 *
 * A second run changes nothing. A file that exists with other content is kept, and the log says
 * so; `now.config.json` is always kept once written (its `scopeId` is the application's identity).
 */
export function instanceApp(options: InstanceAppOptions): Rule {
  return async (tree) => {
    const scope = checkScope(options.scope);
    const workspace = await readWorkspace(tree);
    const { name, project } = findApplication(workspace, options.project, 'instance-app');
    const endpoint = checkEndpoint(options.endpoint ?? `${scope}_app.do`, scope);
    const title = options.title ?? name;
    const root = project.root;
    const sourceRoot = project.sourceRoot ?? `${root}/src`;
    const sources = typeScriptFiles(tree, sourceRoot);
    const path = normalize(options.path ?? posix.join(root, 'instance-app'));
    const build = project.targets.get('build');
    if (!build) {
      throw new SchematicsException(`instance-app: the project "${name}" has no build target.`);
    }
    const existing = build.configurations?.[CONFIGURATION];
    const outputPath =
      typeof existing?.['outputPath'] === 'string'
        ? existing['outputPath']
        : `dist/${name}-${CONFIGURATION}`;
    const library = [...workspace.projects.entries()].find(
      ([n, p]) => n === LIBRARY && p.extensions['projectType'] === 'library',
    )?.[1];
    // The library's own workspace builds it from source; an app's workspace has it installed.
    const loginComplete = library
      ? posix.join(library.root, 'login-complete.html')
      : `node_modules/${LIBRARY}/login-complete.html`;
    const notes: string[] = [];

    const files = apply(url('./files'), [
      applyTemplates({
        scope,
        endpoint,
        project: name,
        configuration: CONFIGURATION,
        title: xmlText(title),
        description: jsString(`${title}: the Angular app`),
        selector: rootSelector(tree, sourceRoot, build.options),
        packageName: scope,
        sdkVersion: SDK_VERSION,
        angularOutput: posix.relative(path, posix.join(outputPath, 'browser')),
        loginComplete: posix.relative(path, loginComplete),
      }),
      move(path),
      forEach((entry) => {
        if (!tree.exists(entry.path)) {
          return entry;
        }
        if (!tree.read(entry.path)!.equals(entry.content)) {
          notes.push(keptFile(entry.path));
        }
        return null;
      }),
    ]);

    const scripts: Record<string, string> = {
      'build:instance': `ng build ${name} --configuration production,${CONFIGURATION} && now-sdk build ${path} && now-sdk pack ${path}`,
      'deploy:instance': `now-sdk install --source ${path}`,
      'mock:instance': `ngx-user-token-mock-instance --port 8080 --install ${path}`,
      'proxy:instance': 'ngx-user-token-dev-proxy --instance http://127.0.0.1:8080',
      'serve:instance': `ng serve ${name} --proxy-config node_modules/ngx-user-token-dev-proxy/proxy.conf.js`,
    };

    const setUp = sources.some((file) => tree.readText(file).includes(`'${LIBRARY}'`));
    return chain([
      // An empty scope: ng add neither runs this schematic again nor suggests it.
      setUp ? noop() : ngAdd({ project: name, scope: '' }),
      mergeWith(files),
      writeIfAbsent(posix.join(path, '.gitignore'), GITIGNORE, notes),
      writeIfAbsent(
        posix.join(path, 'now.config.json'),
        nowConfig(scope, title, randomBytes(16).toString('hex')),
        notes,
        (text) => {
          const kept = (JSON.parse(text) as { scope?: string }).scope;
          return kept === scope
            ? undefined
            : `kept ${path}/now.config.json with scope "${kept}", not "${scope}"`;
        },
      ),
      updateWorkspace((w) => {
        const target = w.projects.get(name)!.targets.get('build')!;
        target.configurations ??= {};
        const configuration = target.configurations[CONFIGURATION];
        if (!configuration) {
          target.configurations[CONFIGURATION] = { outputHashing: 'none', outputPath };
        } else if (configuration['outputHashing'] !== 'none') {
          notes.push(
            `kept your "${CONFIGURATION}" configuration of ${name}; the prebuild needs outputHashing "none" in it`,
          );
        }
      }),
      providers(tree, name, sources, scope, notes),
      packageScripts(scripts, notes),
      addDependency('@servicenow/sdk', SDK_VERSION, {
        type: DependencyType.Dev,
        existing: ExistingBehavior.Skip,
        install: options.skipInstall ? InstallBehavior.None : InstallBehavior.Auto,
      }),
      (_tree: Tree, ctx: SchematicContext) => report(ctx, { name, path, endpoint, scope, notes }),
    ]);
  };
}

const GITIGNORE = `# Output of now-sdk build and pack, and the page the prebuild copies from ngx-user-token
/dist
/target
/.now
/src/fluent/login-complete.html
`;

function nowConfig(scope: string, name: string, scopeId: string): string {
  const config = {
    scope,
    scopeId,
    name,
    clientDir: '',
    staticContent: { buildDir: 'dist/static' },
    scripts: { prebuild: './now.prebuild.mjs' },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * A scope as ServiceNow's SDK accepts it (`now-sdk init --scopeName`: the vendor prefix, at most
 * 18 characters); lower case, as an instance stores scopes.
 */
function checkScope(scope: string | undefined): string {
  if (!scope || !/^[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]$/.test(scope) || scope.length > 18) {
    throw new SchematicsException(
      `instance-app: --scope=${scope ?? ''} is not a ServiceNow scope: x_<vendor prefix>_<name>, ` +
        'at most 18 characters of lower-case letters, digits and underscores (for example x_acme_myapp).',
    );
  }
  return scope;
}

/** The SDK guide: a UI page's endpoint "must begin with ${scope_name}_". */
function checkEndpoint(endpoint: string, scope: string): string {
  if (!endpoint.startsWith(`${scope}_`) || !/^[a-z0-9_]+\.do$/.test(endpoint)) {
    throw new SchematicsException(
      `instance-app: --endpoint=${endpoint} must begin with ${scope}_ and end in .do, ` +
        'with lower-case letters, digits and underscores (for example ' +
        `${scope}_app.do).`,
    );
  }
  return endpoint;
}

function normalize(path: string): string {
  const normal = posix.normalize(path.replace(/\\/g, '/')).replace(/\/$/, '');
  if (normal.startsWith('..') || posix.isAbsolute(normal) || normal === '.') {
    throw new SchematicsException(
      `instance-app: --path=${path} must be a folder inside the workspace.`,
    );
  }
  return normal;
}

/** The app's root element, as the project's `index.html` names it (`app-root` for `ng new`). */
function rootSelector(
  tree: Tree,
  sourceRoot: string,
  options: Record<string, unknown> | undefined,
): string {
  const index =
    typeof options?.['index'] === 'string' ? options['index'] : `${sourceRoot}/index.html`;
  const html = tree.exists(index) ? tree.readText(index) : '';
  return html.match(/<body[^>]*>\s*<([a-z][a-z0-9]*-[a-z0-9-]*)/i)?.[1] ?? 'app-root';
}

function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A single-quoted JavaScript string literal's body. */
function jsString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, ' ');
}

/** What the log says of a file that exists with other content than the schematic's. */
function keptFile(path: string): string {
  return `kept your ${path} (this schematic would write another; delete it to get that)`;
}

function writeIfAbsent(
  path: string,
  content: string,
  notes: string[],
  differs: (existing: string) => string | undefined = () => keptFile(path),
): Rule {
  return (tree) => {
    if (!tree.exists(path)) {
      tree.create(path, content);
      return;
    }
    const existing = tree.readText(path);
    const note = existing === content ? undefined : differs(existing);
    if (note) {
      notes.push(note);
    }
  };
}

/**
 * The page's providers, beside the interceptor `ng add` registered: the token page and, for an
 * app with Angular's router, the UI-page location (routes in the query string) and the Next
 * Experience frame (the shell's address follows the app's). What is there is kept.
 */
function providers(
  tree: Tree,
  project: string,
  sources: string[],
  scope: string,
  notes: string[],
): Rule {
  const has = (text: string) => sources.some((path) => tree.readText(path).includes(text));
  const rules: Rule[] = [];
  if (has('provideUserToken(') && !has('withTokenPage(')) {
    notes.push(
      `add withTokenPage('/${scope}_token.do') to your provideUserToken(...): the package installs that page`,
    );
  }
  if (!has('provideUserToken(')) {
    rules.push(
      addRootProvider(
        project,
        ({ code, external }) =>
          code`${external('provideUserToken', LIBRARY)}(${external('withTokenPage', LIBRARY)}('/${scope}_token.do'))`,
      ),
    );
  }
  // The location and the frame follow the router's navigations: an app without one has none.
  const routed = has('provideRouter(') || has('RouterModule');
  if (!routed) {
    notes.push(
      `no router in ${project}: with one, add provideUiPageLocation() and provideNextExperienceFrame() from ${UI_PAGE}`,
    );
  }
  if (routed && !has('provideUiPageLocation(')) {
    rules.push(
      addRootProvider(
        project,
        ({ code, external }) => code`${external('provideUiPageLocation', UI_PAGE)}()`,
      ),
    );
  }
  if (routed && !has('provideNextExperienceFrame(')) {
    rules.push(
      addRootProvider(
        project,
        ({ code, external }) => code`${external('provideNextExperienceFrame', UI_PAGE)}()`,
      ),
    );
  }
  return chain(rules);
}

function packageScripts(scripts: Record<string, string>, notes: string[]): Rule {
  return (tree) => {
    const json = new JSONFile(tree, '/package.json');
    for (const [name, command] of Object.entries(scripts)) {
      const existing = json.get(['scripts', name]);
      if (existing === undefined) {
        json.modify(['scripts', name], command);
      } else if (existing !== command) {
        notes.push(`kept your npm script "${name}"; this schematic's would be: ${command}`);
      }
    }
  };
}

function report(
  context: SchematicContext,
  {
    name,
    path,
    endpoint,
    scope,
    notes,
  }: Record<'name' | 'path' | 'endpoint' | 'scope', string> & {
    notes: string[];
  },
): void {
  context.logger.info(
    [
      `ngx-user-token: ${name} goes on the instance as the UI page /${endpoint} (scope ${scope}); the ServiceNow SDK project is ${path}.`,
      ...notes.map((note) => `  ${note}`),
      '  npm run build:instance    the app, built and packed offline into one zip (its path is printed)',
      '  npm run deploy:instance   installs it on your instance (first: npx now-sdk auth --add <instance>)',
      `  npm run mock:instance     serves it on a mock instance: http://localhost:8080/${endpoint} (abel.tuter / demo)`,
      '  npm run proxy:instance, then npm run serve:instance   ng serve, its REST calls through the dev proxy',
      '  The last two need the packages ngx-user-token-mock-instance and ngx-user-token-dev-proxy (devDependencies).',
    ].join('\n'),
  );
}
