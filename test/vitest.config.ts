import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'cross-app', include: ['**/*.test.ts'], environment: 'node', fileParallelism: false },
});
