import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { name: 'bff', include: ['test/**/*.test.ts'], environment: 'node' },
});
