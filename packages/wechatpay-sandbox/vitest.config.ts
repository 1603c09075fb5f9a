import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'wechatpay-sandbox',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // one sandbox identity (RSA keys) for the run, copied by the files' sandboxes
    globalSetup: ['test/global-setup.ts'],
    // sized for a loaded 2-core machine: each file starts PostgreSQL databases, the sandbox and BFFs
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
