/**
 * Builds a Node-side project of the workspace (the dev proxy, the mock instance) into a package
 * npm can publish: each entry point bundled with `esbuild` into one CommonJS file (the workspace
 * code it imports, such as `dev-guard`, inlined; npm dependencies left to `require`), declarations
 * from `tsc` under `types/`, and the project's `package.json` and README with the workspace's
 * LICENSE beside them.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { build } from 'esbuild';

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
