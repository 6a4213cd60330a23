import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every temporary file of the run under one folder, removed at its end (test/global-temp.ts).
    globalSetup: ['test/global-temp.ts'],
    // One test file a core. Most of the suite's time is commands the tests start and wait for,
    // each on a core of its own; vitest's default (one core left free) ran the files one at a time
    // on a 2-core machine, with the second core mostly idle (13.0 min against 10.4, wall).
    maxWorkers: availableParallelism(),
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]],
  },
});
