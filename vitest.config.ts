import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'reports/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Tests that run the CLI must not append to the step summary of a GitHub Actions job running the tests
    // (harness/report/step-summary.ts); the tests of that feature set it to a file of their own.
    env: { GITHUB_STEP_SUMMARY: '' },
    // The default reporter, plus one plain closing line `tests: N passed, N failed, N skipped` for CI.
    reporters: ['default', './harness/testing/summary-reporter.ts'],
  },
});
