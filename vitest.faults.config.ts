import { defineConfig } from 'vitest/config';

/** The fault-injection suite (`npm run test:faults`): slow, real processes and pseudo-terminals. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    // Kill loops and PTYs compete for the CPU: one file at a time keeps timing-sensitive faults honest.
    fileParallelism: false,
  },
});
