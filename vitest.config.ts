import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'reports/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The default reporter, plus one plain closing line `tests: N passed, N failed, N skipped` for CI.
    reporters: ['default', './harness/testing/summary-reporter.ts'],
  },
});
