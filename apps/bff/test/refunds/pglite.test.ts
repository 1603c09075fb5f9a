import { beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '@uni-checkout/shared';
import { useHarness, type ApiClient } from '../support/harness.js';
import { paidOrder, refundNotified } from './paid-order.js';

/** The embedded default database runs the same row locks, advisory lock and raw SQL as PostgreSQL. */
describe('refunds, admin views and reconciliation on PGlite', { timeout: 30_000 }, () => {
  const h = useHarness({ db: 'pglite' });
  let admin: ApiClient;
  beforeAll(async () => {
    admin = await h.admin();
  });

  it('refunds part then the rest, and the day reconciles clean', async () => {
    const order = await paidOrder(h, undefined, { quantity: 2 });
    const part = Math.floor(order.totalFen / 2);
    const concurrent = await Promise.all([
      admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: part, reason: 'a' }),
      admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: order.totalFen, reason: 'b' }),
    ]);
    const accepted = concurrent.filter((r) => r.status === 201);
    expect(accepted).toHaveLength(1);
    await refundNotified(h, accepted[0]!.body.outRefundNo);
    const left = order.totalFen - accepted[0]!.body.amountFen;
    if (left > 0) {
      const rest = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: left, reason: 'rest' });
      expect(rest.status).toBe(201);
      await refundNotified(h, rest.body.outRefundNo);
    }
    const detail = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(detail.body).toMatchObject({ status: 'REFUNDED', refundedFen: order.totalFen });
    expect(detail.body.events.map((e: { type: string }) => e.type)).toContain('REFUND_SETTLED');

    const stats = await admin.get('/api/admin/stats');
    expect(stats.body.today).toEqual({ paidCount: 1, gmvFen: order.totalFen, refundedFen: order.totalFen });

    const run = await admin.post('/api/admin/reconciliations', { billDate: shanghaiDate(new Date()) });
    expect(run.body).toMatchObject({ status: 'DONE', diffCount: 0, localCount: 1 });
  }, 60_000);
});
