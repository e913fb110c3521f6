import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/temp-root.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most files wait on real HTTP servers and child processes, not the CPU: vitest's default
    // (one worker fewer than the cores) runs them one at a time on a 2-core runner.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
