import type { AppContext } from '../context.js';

export interface Job {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Runs each job every intervalMs, one round at a time (a round never overlaps the previous one).
 * Jobs are written to be safe in every BFF process at once; stop() waits for running rounds.
 */
export function startJobs(ctx: AppContext, jobs: Job[], intervalMs: number): { stop: () => Promise<void> } {
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
          (err: unknown) => ctx.logger.error({ err, job: job.name }, 'background job failed'),
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
