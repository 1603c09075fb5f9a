import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { refundNotifyRoutes } from './notify.js';
import { runRefundQueries } from './refunds.js';
import { refundRoutes } from './routes.js';

/** Shopper refund requests, admin refunds, refund notifications and the refund query job. */
export function refundsModule(ctx: AppContext): DomainModule {
  return {
    name: 'refunds',
    rawRoutes: [refundNotifyRoutes(ctx)],
    routes: [refundRoutes(ctx)],
    jobs: [{ name: 'refund-query', run: () => runRefundQueries(ctx) }],
  };
}
