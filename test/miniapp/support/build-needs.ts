import type { Target } from './build';

/**
 * Which builds a test file waits for (paths from the repository root). A file missing here still
 * gets its build, made when it asks for it; the list only lets the run start the builds early and
 * start these files late enough not to hold a worker while they wait.
 */
const NEEDS: [RegExp, Target[]][] = [
  [/^test\/e2e\//, ['h5']],
  [/^test\/miniapp\/miniapp\.test\.ts$/, ['h5', 'mp-weixin']],
  [/^test\/miniapp\/code-quality\.test\.ts$/, ['mp-weixin']],
  [/^test\/miniapp\/mp-weixin\/purchase\.test\.ts$/, ['mp-weixin']],
  [/^test\/miniapp\/mp-weixin\/sandbox\.test\.ts$/, ['mp-weixin-sandbox']],
];

/** The builds the test file at `rel` (from the repository root, forward slashes) waits for. */
export function buildsNeeded(rel: string): Target[] {
  return NEEDS.find(([pattern]) => pattern.test(rel))?.[1] ?? [];
}
