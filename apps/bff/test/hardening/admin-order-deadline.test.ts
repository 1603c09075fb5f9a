/**
 * Opening an admin order asks WeChat about its unfinished refunds — all at once, and no longer than
 * a shopper's read waits: a WeChat that hangs never holds the admin's page for a client timeout
 * per refund; the order is answered as stored.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVE_QUERY_WAIT_MS } from '../../src/orders/queries.js';
import { DEFAULT_TIMEOUT_MS as CLIENT_TIMEOUT_MS } from '../../src/payments/wechatpay.js';
import { useHarness } from '../support/harness.js';
import { paidOrder } from '../refunds/paid-order.js';

const h = useHarness();

describe('GET /api/admin/orders/:orderNo with refunds in flight', { timeout: 90_000 }, () => {
  it('queries them in parallel and answers the stored state once the short deadline passes', async () => {
    const admin = await h.admin();
    const order = await paidOrder(h, undefined, { quantity: 3 });
    // three refunds WeChat accepted whose results never arrive (notifications lost)
    h.sandbox.faults.set({ dropNotifications: 3 });
    for (let i = 0; i < 3; i++) {
      const res = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 1, reason: `r${i}` });
      expect(res.status).toBeLessThan(300);
    }
    const stored = await h.bff.ctx.prisma.refund.findMany({ where: { order: { orderNo: order.orderNo } } });
    expect(stored.map((r) => r.status)).toEqual(['PROCESSING', 'PROCESSING', 'PROCESSING']);

    // WeChat now hangs on every refund query, longer than the client waits
    h.sandbox.faults.set({
      failApi: { count: 3, mode: 'timeout', pathPrefix: '/v3/refund/domestic/refunds/', timeoutMs: 30_000 },
    });
    const started = Date.now();
    const res = await admin.get(`/api/admin/orders/${order.orderNo}`);
    const elapsed = Date.now() - started;

    expect(res.status).toBe(200);
    expect(res.body.refunds.map((r: { status: string }) => r.status)).toEqual([
      'PROCESSING',
      'PROCESSING',
      'PROCESSING',
    ]);
    expect(res.body.refundableFen).toBe(order.totalFen - 3);
    // all three queries reached WeChat (the fault's count is used up): they ran side by side
    expect(h.sandbox.faults.get().failApi).toBeNull();
    // answered at the deadline, not after a client timeout per refund (sequential: ≥ 3 × 10 s)
    expect(elapsed).toBeGreaterThanOrEqual(ACTIVE_QUERY_WAIT_MS - 50);
    expect(elapsed).toBeLessThan(CLIENT_TIMEOUT_MS);
  });
});
