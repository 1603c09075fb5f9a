/**
 * Global setup of the cross-app project: starts the uni-app builds its test files need as soon as
 * the run starts, in the background, so that they are made while the other projects' tests run
 * instead of inside the first test file that needs each one. The test files still call
 * `cachedBuild`, which waits for a build in progress and fails with its output if it failed.
 */
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { cachedBuild, releaseFailedBuilds, repoRoot, stopBuilds, type Target } from './build';
import { buildsNeeded } from './build-needs';
import { TEST_BUILD_ENV } from './build-env';

/** h5 first: the longest browser tests need it. */
const ORDER: Target[] = ['h5', 'mp-weixin', 'mp-weixin-sandbox'];

export default async function prebuild(project: TestProject) {
  // the file filters of this run (`vitest run <filter>…`), so that a run of one file starts only its build
  const filters = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  const { testFiles } = await project.globTestFiles(
    Array.isArray(filters) ? filters.filter((f) => typeof f === 'string') : [],
  );
  const needed = new Set(
    testFiles.flatMap((file) => buildsNeeded(path.relative(repoRoot, file).split(path.sep).join('/'))),
  );
  let stopped = false;
  // One after another: on two cores a build beside the other projects' tests is enough.
  const builds = (async () => {
    for (const target of ORDER.filter((t) => needed.has(t))) {
      if (stopped) return;
      // a failure is reported by the test files that need the build (cachedBuild hands them its output)
      await cachedBuild(target, TEST_BUILD_ENV).catch(() => {});
    }
  })();

  return async () => {
    stopped = true;
    stopBuilds();
    await builds;
    await releaseFailedBuilds();
  };
}
