import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the reliability and security suite (docs/RELIABILITY.md). Files run
 * one after another in one fork — each scenario owns the machine's two cores, its own redis-server
 * and its own worker processes, and its figures are only meaningful without a neighbour.
 * `RELIABILITY_PROFILE=ci` shortens durations and counts (test/reliability/support/profile.ts).
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts', 'test/nemesis/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 15 * 60_000,
    hookTimeout: 2 * 60_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    sequence: { concurrent: false },
    // Figures are printed with console.log: show them as they come, not buffered per test.
    disableConsoleIntercept: true,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
