import type { Router } from 'express';

/** Work a module wants done in the background, every JOB_INTERVAL_MS (see jobs/scheduler.ts). */
export interface Job {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * The one face every domain folder shows from its index.ts; app.ts mounts them all in one list.
 * - rawRoutes: mounted before the JSON body parser (WeChat Pay notifications are verified over the
 *   raw body; health answers whatever the body)
 * - routes: mounted after it
 * - jobs: started by server.ts once the server listens, when JOBS_ENABLED
 */
export interface DomainModule {
  name: string;
  rawRoutes?: Router[];
  routes?: Router[];
  jobs?: Job[];
}
