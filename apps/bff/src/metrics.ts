import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The one metrics registry of the BFF (per app instance, so several BFFs in one test process do not collide). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    wechatCalls: new Counter({
      name: 'wechat_calls_total',
      help: 'Calls to WeChat / WeChat Pay by operation and outcome',
      labelNames: ['operation', 'outcome'] as const,
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'wechatpay_notifications_total',
      help: 'WeChat Pay notifications received by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [registry],
    }),
    settlements: new Counter({
      name: 'order_settlements_total',
      help: 'Orders settled as paid, by source (notify, query, close)',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
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

export type Metrics = ReturnType<typeof createMetrics>;
