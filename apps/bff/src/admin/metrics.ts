import { Counter, type Registry } from 'prom-client';
import type { AppContext } from '../context.js';

function create(registry: Registry) {
  return {
    adminLogins: new Counter({
      name: 'admin_logins_total',
      help: 'Admin login attempts by outcome (ok, invalid, locked, rate_limited)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    refunds: new Counter({
      name: 'refunds_total',
      help: 'Refund transitions applied, by new status and by source (create, notify, query)',
      labelNames: ['status', 'source'] as const,
      registers: [registry],
    }),
    reconciliationRuns: new Counter({
      name: 'reconciliation_runs_total',
      help: 'Reconciliation runs by final status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    reconciliationDiffs: new Counter({
      name: 'reconciliation_diffs_total',
      help: 'Differences found between the trade bill and local orders, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
}

const byRegistry = new WeakMap<Registry, ReturnType<typeof create>>();

/** Counters of the admin, refund and reconciliation capabilities, on the app's own registry. */
export function adminMetrics(ctx: AppContext): ReturnType<typeof create> {
  let m = byRegistry.get(ctx.metrics.registry);
  if (!m) {
    m = create(ctx.metrics.registry);
    byRegistry.set(ctx.metrics.registry, m);
  }
  return m;
}
