import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'cross-app',
    include: ['**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 300_000,
  },
});
