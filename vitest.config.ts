import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'reports/**'],
    // Property tests print their seed on failure (fast-check does this); FC_NUM_RUNS scales them up.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
