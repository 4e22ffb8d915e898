/**
 * Two projects, one per test command:
 * - `unit` (`npm run test:unit`): the workflow, runtime, infra, deployments, policy and serialization suites, and
 *   the local cloud's emulators driven in-process (tests/emulators). No process outlives its test and
 *   nothing waits on a clock.
 * - `e2e` (`npm run test:e2e`): everything that starts a local cloud, a local function's sandboxes or the
 *   interpreter behind them (tests/local). Their waits end on signals (a ready line, an exit, a status);
 *   the only bound is the hang guard in tests/support/localCloud.ts, and the timeout below sits above it.
 * Type checking is done once by `tsc --noEmit`; jest only transpiles (ts-jest reads `isolatedModules` from tsconfig.json).
 */
const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
};

module.exports = {
  // A hang guard, not a speed target: the slowest unit test takes seconds even beside busy loops.
  testTimeout: 5 * 60_000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      roots: ['<rootDir>/tests'],
      testMatch: ['<rootDir>/tests/{workflow,runtime,infra,deployments,serialization,emulators,policy,ops,cost,model}/**/*.test.ts'],
    },
    {
      ...base,
      displayName: 'e2e',
      roots: ['<rootDir>/tests'],
      testMatch: ['<rootDir>/tests/local/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/tests/support/e2eTimeout.ts'],
    },
  ],
};
