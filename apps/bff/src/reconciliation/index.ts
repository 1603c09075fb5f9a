import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { runDailyReconciliation } from './daily.js';
import { reconciliationRoutes } from './routes.js';

/** Reconciliation against WeChat Pay's trade bill: on demand and once a day. */
export function reconciliationModule(ctx: AppContext): DomainModule {
  return {
    name: 'reconciliation',
    routes: [reconciliationRoutes(ctx)],
    jobs: [{ name: 'daily-reconciliation', run: () => runDailyReconciliation(ctx) }],
  };
}
