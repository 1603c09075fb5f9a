import { defineConfig } from 'vitest/config';

// The mini-program's pure rules (stores, helpers, copy) run in Node with a fake `uni`; the builds and
// the browser tests live in the root `test/` project.
export default defineConfig({
  test: { name: 'miniapp', include: ['test/**/*.test.ts'], environment: 'node' },
});
