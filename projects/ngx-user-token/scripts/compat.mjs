// @ts-check
// `npm run test:compat`: the library's unit tests against each Angular major of its peer range,
// each in a scratch workspace of its own (tmp/compat-<major>), with the Node that major needs
// (Angular 22 needs Node 22: run through the npm package `node@22`).
//
//   node projects/ngx-user-token/scripts/compat.mjs          all majors
//   node projects/ngx-user-token/scripts/compat.mjs 20 22    some
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const LIB = join(ROOT, 'projects/ngx-user-token');
const workspace = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const dev = workspace.devDependencies;

/** What each major is tested with: the newest patch, its TypeScript, and the Node it runs on. */
const MATRIX = {
  20: { angular: '20.3.35', typescript: '5.9.3', rxjs: '7.4.0', node: null },
  21: {
    angular: workspace.dependencies['@angular/core'],
    typescript: dev.typescript,
    rxjs: workspace.dependencies.rxjs,
    node: null,
  },
  22: { angular: '22.2.6', typescript: '6.0.3', rxjs: '7.8.2', node: '22' },
};

const majors = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(MATRIX);
const results = [];
for (const major of majors) {
  const m = MATRIX[/** @type {keyof typeof MATRIX} */ (major)];
  if (!m) {
    throw new Error(
      `no compatibility job for Angular ${major}; known: ${Object.keys(MATRIX).join(', ')}`,
    );
  }
  const dir = join(ROOT, 'tmp', `compat-${major}`);
  mkdirSync(dir, { recursive: true });
  for (const part of ['src', 'testing', 'test']) {
    rmSync(join(dir, part), { recursive: true, force: true });
    // The layout test checks the workspace's sources with its own tools, whatever the Angular.
    cpSync(join(LIB, part), join(dir, part), {
      recursive: true,
      filter: (source) => !source.endsWith('layout.spec.ts'),
    });
  }
  cpSync(join(LIB, 'setup-jest.ts'), join(dir, 'setup-jest.ts'));
  const angular = Object.fromEntries(
    ['core', 'common', 'compiler', 'platform-browser', 'compiler-cli'].map((p) => [
      `@angular/${p}`,
      m.angular,
    ]),
  );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `ngx-user-token-compat-${major}`,
        private: true,
        devDependencies: {
          ...angular,
          rxjs: m.rxjs,
          tslib: workspace.dependencies.tslib,
          typescript: m.typescript,
          jest: dev.jest,
          'jest-environment-jsdom': dev['jest-environment-jsdom'],
          'jest-preset-angular': dev['jest-preset-angular'],
          '@types/jest': dev['@types/jest'],
          '@types/node': dev['@types/node'],
          'fast-check': dev['fast-check'],
        },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'tsconfig.spec.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: 'ES2022',
        module: 'CommonJS',
        moduleResolution: 'bundler',
        esModuleInterop: true,
        experimentalDecorators: true,
        skipLibCheck: true,
        noPropertyAccessFromIndexSignature: true,
        noImplicitOverride: true,
        types: ['jest', 'node'],
        paths: {
          'ngx-user-token': ['./src/public-api.ts'],
          'ngx-user-token/testing': ['./testing/src/public-api.ts'],
        },
      },
      include: ['setup-jest.ts', 'src/**/*.ts', 'testing/src/**/*.ts', 'test/**/*.ts'],
    }),
  );
  writeFileSync(
    join(dir, 'jest.config.cjs'),
    `const { createCjsPreset } = require('jest-preset-angular/presets');
module.exports = {
  ...createCjsPreset({ tsconfig: '<rootDir>/tsconfig.spec.json' }),
  setupFilesAfterEnv: ['<rootDir>/setup-jest.ts'],
  testEnvironmentOptions: { url: 'https://instance.example.com/x_demo/index.html' },
  moduleNameMapper: {
    '^ngx-user-token$': '<rootDir>/src/public-api.ts',
    '^ngx-user-token/testing$': '<rootDir>/testing/src/public-api.ts',
  },
};
`,
  );
  console.log(`\nAngular ${m.angular}, TypeScript ${m.typescript}, rxjs ${m.rxjs}`);
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    { cwd: dir, stdio: 'inherit' },
  );
  const jest = join(dir, 'node_modules/jest/bin/jest.js');
  const node = m.node ? ['npx', ['-y', `node@${m.node}`]] : [process.execPath, []];
  const nodeVersion = execFileSync(
    /** @type {string} */ (node[0]),
    [...node[1], '-p', 'process.version'],
    { cwd: dir, encoding: 'utf8' },
  ).trim();
  console.log(`running the tests on Node ${nodeVersion}`);
  const [cmd, args] = [/** @type {string} */ (node[0]), [...node[1], jest, '--ci']];
  try {
    execFileSync(cmd, args, { cwd: dir, stdio: 'inherit' });
    results.push(`Angular ${m.angular} on Node ${nodeVersion}: passed`);
  } catch {
    results.push(`Angular ${m.angular} on Node ${nodeVersion}: FAILED`);
  }
}
console.log(`\n${results.join('\n')}`);
const failed = results.filter((r) => r.endsWith('FAILED')).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
