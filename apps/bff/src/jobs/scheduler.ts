import type { Logger } from '../logger.js';
import type { Job } from '../module.js';

export interface JobScheduler {
  stop(): Promise<void>;
}

/**
 * Runs each job every intervalMs (JOB_INTERVAL_MS): the next round is scheduled when one ends, so
 * a job's rounds never overlap in a process. Jobs are written to be safe in every BFF process at
 * once; a failed round is logged and retried on the next interval. stop() waits for running rounds.
 */
export function startJobs(logger: Logger, jobs: Job[], intervalMs: number): JobScheduler {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  for (const job of jobs) {
    const tick = () => {
      if (stopped) return;
      const round = job
        .run()
        .then(
          () => undefined,
          (err: unknown) =>
            logger.error({ err, job: job.name }, 'background job failed; retrying on the next interval'),
        )
        .finally(() => {
          running.delete(round);
          schedule();
        });
      running.add(round);
    };
    const schedule = () => {
      if (stopped) return;
      const t = setTimeout(() => {
        timers.delete(t);
        tick();
      }, intervalMs);
      t.unref();
      timers.add(t);
    };
    schedule();
  }
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.all([...running]);
    },
  };
}
