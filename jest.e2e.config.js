/**
 * Browser tests: Debian's Chromium driven by playwright-core against the real server
 * (`node dist/src/server.js`, embedded database in memory). `npm run test:e2e` builds first.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Each test file starts its own server and browser; two at a time keeps CI machines responsive.
  maxWorkers: 2,
  testTimeout: 60000,
};
