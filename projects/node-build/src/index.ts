/**
 * Builds a Node-side project of the workspace (the dev proxy, the mock instance) into a package
 * npm can publish: each entry point bundled with `esbuild` into one CommonJS file (the workspace
 * code it imports, such as `dev-guard`, inlined; npm dependencies left to `require`), declarations
 * from `tsc` under `types/`, and the project's `package.json` and README with the workspace's
 * LICENSE beside them.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { build, Plugin } from 'esbuild';

export { importCircles, importsOf, sourceFiles } from './import-graph';

export interface NodePackageBuild {
  /** The project's folder, `projects/dev-proxy`. */
  readonly project: string;
  /** Where the package is written, `dist/dev-proxy`. */
  readonly out: string;
  /** Entry points, by the name of the file they become: `{ main: 'src/main.ts' }` → `main.js`. */
  readonly entries: Readonly<Record<string, string>>;
}

/** The workspace's root, where `package.json` and LICENSE are. */
export const WORKSPACE = resolve(__dirname, '../../..');

export async function buildNodePackage({ project, out, entries }: NodePackageBuild): Promise<void> {
  const projectDir = join(WORKSPACE, project);
  const outDir = join(WORKSPACE, out);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: Object.fromEntries(
      Object.entries(entries).map(([name, source]) => [name, join(projectDir, source)]),
    ),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    plugins: [entriesStayShared(projectDir, entries)],
  });
  // Declarations only: the JavaScript is esbuild's. tsconfig.build.json says where they go.
  execFileSync(
    process.execPath,
    [
      join(WORKSPACE, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(projectDir, 'tsconfig.build.json'),
    ],
    { cwd: WORKSPACE, stdio: 'inherit' },
  );
  // Beside each entry that is a module (not a command line), declarations that point into
  // `types/`, so `<package>/<entry>` has types under any module resolution.
  for (const [name, source] of Object.entries(entries)) {
    const code = readFileSync(join(projectDir, source), 'utf8');
    if (code.startsWith('#!')) {
      continue;
    }
    const target = `./types/${relative(join(WORKSPACE, 'projects'), join(projectDir, source)).replace(/\.ts$/, '')}`;
    writeFileSync(
      join(outDir, `${name}.d.ts`),
      /^export =/m.test(code)
        ? `import entry = require('${target}');\nexport = entry;\n`
        : `export * from '${target}';\n`,
    );
  }
  for (const [from, to] of [
    [join(projectDir, 'package.json'), 'package.json'],
    [join(projectDir, 'README.md'), 'README.md'],
    [join(WORKSPACE, 'LICENSE'), 'LICENSE'],
  ]) {
    if (!existsSync(from)) {
      throw new Error(`${from} is missing: a package needs it`);
    }
    copyFileSync(from, join(outDir, to));
  }
}

/**
 * An entry that imports another entry (`testing.ts` importing `./index`) requires its built file
 * instead of carrying a second copy of it: one copy of every class, so `instanceof` holds across
 * the package's entry points.
 */
function entriesStayShared(projectDir: string, entries: Readonly<Record<string, string>>): Plugin {
  const byFile = new Map(
    Object.entries(entries).map(([name, source]) => [
      join(projectDir, source).replace(/\.ts$/, ''),
      name,
    ]),
  );
  return {
    name: 'entries-stay-shared',
    setup(builder) {
      builder.onResolve({ filter: /^\./ }, (args) => {
        const importer = args.importer.replace(/\.ts$/, '');
        const target = byFile.get(resolve(args.resolveDir, args.path).replace(/\.ts$/, ''));
        return byFile.has(importer) && target !== undefined && target !== byFile.get(importer)
          ? { path: `./${target}.js`, external: true }
          : undefined;
      });
    },
  };
}
