import type { Router } from 'express';
import type { AppContext } from '../context.js';
import { refundNotifyRoutes } from '../refunds/notify.js';
import { refundRoutes } from '../refunds/routes.js';
import { runRefundQueries } from '../refunds/refunds.js';
import { reconciliationRoutes } from '../reconciliation/routes.js';
import { runDailyReconciliation } from '../reconciliation/daily.js';
import { adminRoutes } from './routes.js';
import { startJobs } from './background.js';

export { createAdminLogin } from './login.js';
export { reconcile } from '../reconciliation/reconcile.js';
export { runDailyReconciliation } from '../reconciliation/daily.js';
export { runRefundQueries } from '../refunds/refunds.js';

/** Admin API, refunds (shopper requests, admin refunds, refund notifications) and reconciliation. */
export function adminCapability(ctx: AppContext): {
  rawBody: Router[];
  json: Router[];
  startBackground: () => void;
  stopBackground: () => Promise<void>;
} {
  let jobs: { stop: () => Promise<void> } | undefined;
  return {
    rawBody: [refundNotifyRoutes(ctx)],
    json: [adminRoutes(ctx), refundRoutes(ctx), reconciliationRoutes(ctx)],
    startBackground() {
      if (!ctx.config.jobsEnabled) return;
      jobs = startJobs(
        ctx,
        [
          { name: 'refund-query', run: () => runRefundQueries(ctx) },
          { name: 'daily-reconciliation', run: () => runDailyReconciliation(ctx) },
        ],
        ctx.config.jobIntervalMs,
      );
    },
    async stopBackground() {
      await jobs?.stop();
    },
  };
}
