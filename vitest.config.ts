import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/sequencer.ts';

// One run for the whole workspace: each package is a project with its own tests.
export default defineConfig({
  test: {
    // timeouts live in each project's own config
    projects: ['packages/*', 'apps/bff', 'apps/miniapp', 'test'],
    // vitest would run one file at a time on 2 cores (cores - 1); these files mostly wait on
    // PostgreSQL, HTTP and the sandbox's clocks, so two at once (one per core) keep both cores busy
    maxWorkers: 2,
    // every project's files share the two workers, longest first (see the sequencer)
    sequence: { sequencer: LongestFirstSequencer },
  },
});
