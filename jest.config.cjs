// One jest run for the whole workspace; each project adds its own entry to `projects`. The bench's
// smoke run is apart (`npm run bench:smoke`, bench/jest.config.cjs).
const { createCjsPreset } = require('jest-preset-angular/presets');

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'ngx-user-token',
      ...createCjsPreset({ tsconfig: '<rootDir>/projects/ngx-user-token/tsconfig.spec.json' }),
      rootDir: __dirname,
      roots: ['<rootDir>/projects/ngx-user-token'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/projects/ngx-user-token/schematics/'],
      // The page the library runs on in unit tests: an instance's portal page.
      testEnvironmentOptions: { url: 'https://instance.example.com/x_demo/index.html' },
      setupFilesAfterEnv: ['<rootDir>/projects/ngx-user-token/setup-jest.ts'],
      moduleNameMapper: {
        '^ngx-user-token$': '<rootDir>/projects/ngx-user-token/src/public-api.ts',
        '^ngx-user-token/testing$': '<rootDir>/projects/ngx-user-token/testing/src/public-api.ts',
        '^ngx-user-token/live$': '<rootDir>/projects/ngx-user-token/live/src/public-api.ts',
        '^ngx-user-token/ui-page$': '<rootDir>/projects/ngx-user-token/ui-page/src/public-api.ts',
      },
      // The CometD client is published as ES modules only.
      transformIgnorePatterns: ['node_modules/(?!(cometd/|.*\\.mjs$))'],
    },
    {
      displayName: 'schematics',
      rootDir: __dirname,
      roots: ['<rootDir>/projects/ngx-user-token/schematics'],
      testEnvironment: 'node',
      moduleNameMapper: {
        '^ora$': '<rootDir>/projects/ngx-user-token/schematics/ora-stub.cjs',
        // The schematics run as ES modules, whose relative imports name the `.js` they compile to.
        '^(\\.{1,2}/.*)\\.js$': '$1',
      },
      transform: {
        '^.+\\.ts$': [
          'ts-jest',
          { tsconfig: '<rootDir>/projects/ngx-user-token/tsconfig.schematics.spec.json' },
        ],
      },
    },
    {
      displayName: 'demo',
      ...createCjsPreset({ tsconfig: '<rootDir>/projects/demo/tsconfig.spec.json' }),
      rootDir: __dirname,
      roots: ['<rootDir>/projects/demo/src'],
      setupFilesAfterEnv: ['<rootDir>/projects/ngx-user-token/setup-jest.ts'],
      moduleNameMapper: {
        '^ngx-user-token$': '<rootDir>/projects/ngx-user-token/src/public-api.ts',
      },
    },
    {
      displayName: 'mock-instance',
      rootDir: __dirname,
      roots: ['<rootDir>/projects/mock-instance'],
      testEnvironment: 'node',
      transform: {
        '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/projects/mock-instance/tsconfig.json' }],
      },
    },
    {
      displayName: 'dev-guard',
      rootDir: __dirname,
      roots: ['<rootDir>/projects/dev-guard'],
      testEnvironment: 'node',
      transform: {
        '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/projects/dev-guard/tsconfig.json' }],
      },
    },
    {
      displayName: 'dev-proxy',
      rootDir: __dirname,
      roots: ['<rootDir>/projects/dev-proxy'],
      testEnvironment: 'node',
      transform: {
        '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/projects/dev-proxy/tsconfig.json' }],
      },
    },
    {
      displayName: 'integration',
      ...createCjsPreset({ tsconfig: '<rootDir>/integration/tsconfig.json' }),
      rootDir: __dirname,
      roots: ['<rootDir>/integration'],
      testEnvironment: '<rootDir>/integration/environment.cjs',
      setupFilesAfterEnv: ['<rootDir>/projects/ngx-user-token/setup-jest.ts'],
      moduleNameMapper: {
        '^ngx-user-token$': '<rootDir>/projects/ngx-user-token/src/public-api.ts',
      },
    },
  ],
};
