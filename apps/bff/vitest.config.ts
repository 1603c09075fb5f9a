import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'bff',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // template databases and the sandbox identity, made once per run
    globalSetup: ['test/support/global-setup.ts'],
    // the files of a worker share one module graph: the BFF, Prisma's client and its WASM query
    // compiler are imported once per worker instead of once per file (about half of this
    // project's time). Every file starts its own database, sandbox and BFF, and nothing in src
    // keeps module-level state between them, so files stay independent.
    isolate: false,
    // sized for a loaded 2-core machine: each file starts PostgreSQL databases, the sandbox and BFFs
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
