import { defineConfig } from 'vitest/config';

// One run for the whole workspace: each package is a project with its own tests.
export default defineConfig({
  test: {
    // timeouts live in each project's own config
    projects: ['packages/*', 'apps/bff', 'apps/miniapp', 'test'],
    // vitest would run one file at a time on 2 cores (cores - 1); these files mostly wait on
    // PostgreSQL, HTTP and the sandbox's clocks, so two at once (one per core) keep both cores busy
    maxWorkers: 2,
  },
});
