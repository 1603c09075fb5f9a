import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { runPaymentJobs } from './jobs.js';
import { transactionNotifyRoutes } from './notify-routes.js';
import { orderRoutes } from './routes.js';

/** The order lifecycle: create, pay, cancel/close, settle (notification or query), and the jobs that never miss a payment. */
export function ordersModule(ctx: AppContext): DomainModule {
  return {
    name: 'orders',
    rawRoutes: [transactionNotifyRoutes(ctx)],
    routes: [orderRoutes(ctx)],
    jobs: [{ name: 'payments', run: () => runPaymentJobs(ctx) }],
  };
}
