/**
 * Jest configuration: TypeScript through ts-jest (transpile only; `npm run typecheck` checks types).
 *
 * Two projects, so that the inner loop can leave out the tests that start, kill and restart real
 * processes or fill disks and memory: everything in tests/durability/ (SIGKILL rounds, PID
 * namespaces, lock leases running out, a full tmpfs), crash.test.ts (15 s), server.test.ts (35 s:
 * 20,000 idle sockets against the built server, graceful shutdown, `npm start`; like the built-
 * server durability tests it first rebuilds dist/ when src/ changed, another 25 s), the two
 * size-limit suites of the embedded server (16 MiB documents, connection floods), and two of
 * tests/topology/ (a multi-second command against 100,000 documents; several real processes).
 * - `npm test` (`jest --coverage`) runs both, with coverage and its 90 % line gate: CI and the README.
 * - `npm run test:quick` (`jest --selectProjects quick --coverage=false`) runs the quick one,
 *   without coverage. `--selectProjects` takes a list, so it must not be the script's last
 *   option: it would swallow the paths in `npm run test:quick -- tests/api`.
 * Browser tests have their own configuration (jest.e2e.config.js).
 */

/** The slow tests, chosen by measurement (`npx jest --json` per-file times); all others are quick. */
const SLOW_DIRS = ['tests/durability/'];
const SLOW_FILES = [
  'tests/embedded-mongo/storage/crash.test.ts',
  'tests/embedded-mongo/storage/limits.test.ts',
  'tests/embedded-mongo/limits.test.ts',
  'tests/server.test.ts',
  // Seeds 100,000 documents twice and runs a multi-second command against each (about 35 s).
  'tests/topology/slowCommand.test.ts',
  // `npm run db`, two API processes, TN_WORKERS=2 under `npm start` (built server, about 60 s).
  'tests/topology/processes.test.ts',
  // Issue 17: `npm run db`, 4 API processes, 2,000 concurrent creates, SIGKILL rounds (built server, about 30 s).
  'tests/topology/idBlocks.test.ts',
  // Issue 15: the README's walkthrough run twice against the built server (about 15 s), and the
  // built server in development (pretty JSON, the kept JWT key; about 10 s); both may rebuild dist/ first.
  'tests/api/readmeWalkthrough.test.ts',
  'tests/api/developmentServer.test.ts',
  // Issue 17: the bench's scale-out phase from the build (`npm run db`, TN_WORKERS=1 and 2; about
  // 30 s, and it may rebuild dist/ first).
  'tests/bench/scaleOutRun.test.ts',
];

/**
 * Coverage of src/ outside the embedded server. Needed twice: each project's decides which files
 * are instrumented, the top-level one which files the report lists (untested ones at 0 %).
 */
// Also left out, like server.ts: code that runs only in the threads and processes the tests start
// (the embedded server's worker thread, the cluster primary and its link to the API processes),
// where jest's instrumentation does not reach; tests/topology/ and tests/server.test.ts drive it.
const collectCoverageFrom = ['src/**/*.ts', '!src/embedded-mongo/**', '!src/server.ts', '!src/cluster.ts', '!src/db/embeddedWorker.ts', '!src/db/primaryLink.ts'];

const shared = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  collectCoverageFrom,
  // Issue 14: every supertest answer of the API tests is checked against /openapi.json.
  setupFilesAfterEnv: ['<rootDir>/tests/helpers/openapiHook.ts'],
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'quick',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/e2e/', ...[...SLOW_DIRS, ...SLOW_FILES].map((p) => `<rootDir>/${p}`)],
    },
    {
      ...shared,
      displayName: 'slow',
      testMatch: [...SLOW_DIRS.map((dir) => `<rootDir>/${dir}**/*.test.ts`), ...SLOW_FILES.map((file) => `<rootDir>/${file}`)],
    },
  ],
  testTimeout: 30000,
  collectCoverageFrom,
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: { global: { lines: 90 } },
};
