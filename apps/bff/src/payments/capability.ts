import type { Router } from 'express';
import type { AppContext } from '../context.js';
import { startJobRunner, type JobRunner } from '../jobs/runner.js';
import { orderRoutes } from '../orders/routes.js';
import { transactionNotifyRoutes } from './notify-routes.js';

/** Orders, prepay, payment notifications and the jobs that never miss a payment. */
export function paymentsCapability(ctx: AppContext): {
  rawBody: Router[];
  json: Router[];
  startBackground(): void;
  stopBackground(): Promise<void>;
} {
  let runner: JobRunner | undefined;
  return {
    rawBody: [transactionNotifyRoutes(ctx)],
    json: [orderRoutes(ctx)],
    startBackground() {
      if (ctx.config.jobsEnabled) runner ??= startJobRunner(ctx, ctx.config.jobIntervalMs);
    },
    async stopBackground() {
      await runner?.stop();
      runner = undefined;
    },
  };
}
