import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'cross-app',
    include: ['**/*.test.ts'],
    environment: 'node',
    // the uni-app builds start with the run, beside the other projects' tests (see prebuild.ts)
    globalSetup: ['miniapp/support/prebuild.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
