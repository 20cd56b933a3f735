import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    // Integration tests start real PostgreSQL, Redis and cgroups: they share ports and the
    // memory hierarchy, so files run one at a time.
    fileParallelism: false,
    // A folder for the suite's shared real runs (test/helpers/shared-runs.ts): a stack that two files
    // assert on is started once.
    globalSetup: ['test/helpers/suite-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
