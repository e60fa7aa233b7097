// `npm run bench:smoke`: every benchmark scenario at a tiny size, so the bench code cannot rot
// unnoticed. Apart from `npm test`: it builds the library and four apps, which took most of
// `npm test`'s time and failed it on a busy machine. CI runs it as a step of its own.
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'bench',
  rootDir: '..',
  roots: ['<rootDir>/bench'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/bench/tsconfig.spec.json' }],
  },
};
