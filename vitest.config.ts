import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/longestFirst';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // tfjs holds one global engine per process: isolate test files in forks, run two at a time
    // (this machine has two cores).
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    sequence: { sequencer: LongestFirst },
  },
});
