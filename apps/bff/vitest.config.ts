import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'bff',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // template databases and the sandbox identity, made once per run
    globalSetup: ['test/support/global-setup.ts'],
    // sized for a loaded 2-core machine: each file starts PostgreSQL databases, the sandbox and BFFs
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
