import { defineConfig } from 'vitest/config';

// One run for the whole workspace: each package is a project with its own tests.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/bff', 'test'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
