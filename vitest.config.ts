import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'test/nemesis/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2-core machines: run files in a few forks so Redis/simulator heavy files do not starve each other.
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
