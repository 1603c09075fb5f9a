import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'cross-app',
    include: ['**/*.test.ts'],
    environment: 'node',
    // the uni-app builds start with the run, beside the other projects' tests (see prebuild.ts)
    globalSetup: ['miniapp/support/prebuild.ts'],
    // Files run beside each other and beside the other projects' files: each starts its own BFF,
    // database, static server and browser on free ports; the builds they share are made once.
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
