import { defineConfig } from 'vitest/config';

// One run for the whole workspace: each package is a project with its own tests.
export default defineConfig({
  test: {
    // timeouts live in each project's own config
    projects: ['packages/*', 'apps/bff', 'apps/miniapp', 'test'],
  },
});
