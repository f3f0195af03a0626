import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests share one Redis; each uses its own queue names, so files may run in parallel.
    pool: 'forks',
    maxWorkers: 2,
  },
});
