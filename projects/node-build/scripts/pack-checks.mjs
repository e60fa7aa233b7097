// @ts-check
// What the workspace's pack checks share: one line per check (exit on the first failure), running
// a command, and packing a built package as npm would publish it, then checking the tarball's
// files and the README a registry would show.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;

/** Prints one check; exits non-zero on a failure. @param {string} what @param {boolean} ok @param {string} [detail] */
export function check(what, ok, detail = '') {
  console.log(`${ok ? 'ok' : 'FAILED'}  ${what}${detail ? ` (${detail})` : ''}`);
  if (!ok) {
    process.exit(1);
  }
  passed++;
}

/** The closing line, once every check passed. */
export function done() {
  console.log(`${passed} passed, 0 failed`);
}

/**
 * Runs a command and returns its output. Playwright, where a scratch project installs it, is
 * there for its test runner only: no browser is downloaded. A command that fails prints what it
 * said (the end of it) and throws, so CI shows why; an `npm install` that fails is
 * tried once more first, as a registry can hiccup.
 * @param {string} cmd @param {string[]} args @param {string} cwd
 * @returns {string}
 */
export function run(cmd, args, cwd) {
  const attempts = cmd === 'npm' && args[0] === 'install' ? 2 : 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return execFileSync(cmd, args, {
        cwd,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      const { status, signal, stdout, stderr } = /** @type {any} */ (error);
      const said = `${stdout ?? ''}${stderr ?? ''}`.slice(-4000);
      const what = `${cmd} ${args.join(' ')} (in ${cwd}) exited with ${status ?? signal}`;
      if (attempt < attempts) {
        console.log(`retrying: ${what}\n${said}`);
        continue;
      }
      console.log(`FAILED  ${what}\n${said}`);
      // Thrown, not exited: the callers' `finally` blocks stop what they started.
      throw new Error(what);
    }
  }
}

/**
 * `npm install` in `dir` of `specs`, or of its package.json without any.
 * @param {string} dir @param {string[]} specs
 */
export const npmInstall = (dir, ...specs) =>
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs],
    dir,
  );

/**
 * Packs `dist` into `scratch`, checks that the tarball holds `files` and no TypeScript sources,
 * unpacks it, and checks that its README has `sections` (it is the package's user guide).
 * @param {{ root: string, dist: string, scratch: string, files: string[], sections: string[] }} options
 * @returns {{ filename: string, manifest: any }}
 */
export function packAndOpen({ root, dist, scratch, files, sections }) {
  const [packed] = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', scratch, join(root, dist)], root),
  );
  const listed = packed.files.map((/** @type {{ path: string }} */ f) => f.path);
  check('tarball made', typeof packed.filename === 'string', packed.filename);
  for (const file of files) {
    check(`tarball holds ${file}`, listed.includes(file));
  }
  check(
    'no sources or specs in the tarball',
    !listed.some((/** @type {string} */ f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
  );
  run('tar', ['-xzf', join(scratch, packed.filename), '-C', scratch], root);
  const guide = readFileSync(join(scratch, 'package/README.md'), 'utf8');
  const missing = sections.filter((section) => !guide.includes(`\n${section}`));
  check('the README is the user guide', missing.length === 0, missing.join(', ') || 'all sections');
  return {
    filename: packed.filename,
    manifest: JSON.parse(readFileSync(join(scratch, 'package/package.json'), 'utf8')),
  };
}

/**
 * A new user's app: `ng new <name>` in `scratch` with the Angular CLI at `version`, installed
 * outside the workspace (a CLI inside it would find the workspace and refuse `ng new`), without
 * installing the app's dependencies. Returns the app's folder.
 * @param {{ scratch: string, version: string, name: string, args?: string[] }} options
 */
export function ngNew({ scratch, version, name, args = [] }) {
  const cli = join(scratch, 'cli');
  mkdirSync(cli, { recursive: true });
  writeFileSync(join(cli, 'package.json'), '{ "private": true }');
  npmInstall(cli, `@angular/cli@${version}`);
  run(
    join(cli, 'node_modules/.bin/ng'),
    ['new', name, '--defaults', '--skip-git', '--skip-install', '--zoneless', ...args],
    scratch,
  );
  return join(scratch, name);
}
