/**
 * The 我的 page's counts and its 退款售后 list over real HTTP: a shopper's orders counted by what
 * they wait for, each count the length of the list its filter answers, nobody else's orders in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderSummarySchema } from '@uni-checkout/shared';
import { startHarness, type Harness } from '../support/harness.js';
import { paidOrder, placeOrder } from '../refunds/paid-order.js';

describe('GET /api/orders/summary and the afterSale filter', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(async () => h?.close());

  it('counts 待支付, 待发货, 待收货 and 退款售后 as the lists filter them', async () => {
    const shopper = await h.shopper();
    const admin = await h.admin();
    const empty = await shopper.get('/api/orders/summary');
    expect([empty.status, empty.body]).toEqual([200, { pendingPayment: 0, toShip: 0, toReceive: 0, afterSale: 0 }]);

    const unpaid = await placeOrder(h, shopper);
    const toShip = await paidOrder(h, shopper);
    const shipped = await paidOrder(h, shopper);
    const ship = await admin.post(`/api/admin/orders/${shipped.orderNo}/ship`, {
      logisticsType: 'EXPRESS',
      expressCompany: 'SF',
      trackingNo: 'SF1000000001',
    });
    expect(ship.status).toBe(201);
    const asked = await paidOrder(h, shopper);
    const request = await shopper.post(`/api/orders/${asked.orderNo}/refund-requests`, { reason: '不想要了' });
    expect(request.status).toBeLessThan(300);
    // someone else's order counts for them only
    await placeOrder(h, await h.shopper());

    const summary = orderSummarySchema.parse((await shopper.get('/api/orders/summary')).body);
    // the order with a refund request is still paid and unshipped: it is 待发货 and 退款售后 at once
    expect(summary).toEqual({ pendingPayment: 1, toShip: 2, toReceive: 1, afterSale: 1 });

    const list = async (query: string) =>
      ((await shopper.get(`/api/orders?${query}`)).body.items as { orderNo: string }[]).map((o) => o.orderNo);
    expect(await list('status=PENDING_PAYMENT')).toEqual([unpaid.orderNo]);
    expect((await list('fulfilmentStatus=UNSHIPPED')).sort()).toEqual([toShip.orderNo, asked.orderNo].sort());
    expect(await list('fulfilmentStatus=SHIPPED')).toEqual([shipped.orderNo]);
    expect(await list('afterSale=true')).toEqual([asked.orderNo]);

    const bad = await shopper.get('/api/orders?afterSale=yes');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await h.anonymous.get('/api/orders/summary')).status).toBe(401);
  }, 60_000);
});
