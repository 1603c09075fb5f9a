import type { AppContext } from '../context.js';
import { closeExpiredOrders, DEFAULT_JOB_SETTINGS, queryLatePayments, type JobSettings } from './payment-jobs.js';

export interface JobsRunResult {
  latePayments: { queried: number; settled: number };
  expiredOrders: { closed: number; paid: number; failed: number };
}

/** One pass of every payment job. Safe to run in every BFF process at once (see payment-jobs.ts). */
export async function runJobsOnce(ctx: AppContext, settings: Partial<JobSettings> = {}): Promise<JobsRunResult> {
  const s = { ...DEFAULT_JOB_SETTINGS, ...settings };
  const latePayments = await queryLatePayments(ctx, s);
  const expiredOrders = await closeExpiredOrders(ctx, s);
  return { latePayments, expiredOrders };
}

export interface JobRunner {
  stop(): Promise<void>;
}

/**
 * Runs the jobs every `intervalMs` (JOB_INTERVAL_MS) — the next pass is scheduled when one ends,
 * so passes never overlap in a process. stop() waits for a pass in flight.
 */
export function startJobRunner(ctx: AppContext, intervalMs: number = ctx.config.jobIntervalMs): JobRunner {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    running = (async () => {
      try {
        const result = await runJobsOnce(ctx);
        const busy =
          result.latePayments.queried +
          result.expiredOrders.closed +
          result.expiredOrders.paid +
          result.expiredOrders.failed;
        if (busy > 0) ctx.logger.info(result, 'payment jobs ran');
      } catch (err) {
        ctx.logger.error({ err }, 'payment jobs failed; retrying on the next interval');
      }
    })();
    void running.finally(() => {
      running = undefined;
      if (!stopped) {
        timer = setTimeout(tick, intervalMs);
        timer.unref();
      }
    });
  };
  timer = setTimeout(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
