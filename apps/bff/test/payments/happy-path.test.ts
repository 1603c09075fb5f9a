import { orderSchema, requestPaymentParamsSchema } from '@uni-checkout/shared';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { runJobsOnce } from '../../src/orders/jobs.js';
import {
  anySku,
  createOrder,
  eventsOf,
  orderRow,
  paymentNotification,
  placeOrder,
  requestPayment,
  skuStock,
} from '../support/shop.js';

describe.each(['postgres', 'pglite'] as const)('the payment loop on %s', (db) => {
  const h = useHarness({ db });

  it('takes a shopper from login to a PAID order with the full trail', async () => {
    // given a logged-in shopper and a SKU
    const shopper = await h.shopper();
    const sku = await anySku(h);

    // when they order two of it
    const created = await createOrder(shopper, [{ skuId: sku.id, quantity: 2 }]);
    expect(created.status).toBe(201);
    const order = orderSchema.parse(created.body);
    expect(order).toMatchObject({
      status: 'PENDING_PAYMENT',
      totalFen: sku.priceFen * 2,
      refundedFen: 0,
      paidAt: null,
    });
    expect(order.orderNo).toMatch(/^UC\d{24}$/);
    expect(created.body.actions).toMatchObject({ pay: true, cancel: true });

    // and ask to pay: the params uni.requestPayment takes, signed for the sandbox's WeChat client
    const params = requestPaymentParamsSchema.parse(await requestPayment(shopper, order.orderNo));
    expect(params.appId).toBe(h.sandbox.credentials.appid);

    // and confirm in WeChat
    const delivered = paymentNotification(h, order.orderNo);
    const paid = h.sandbox.pay({ ...params, openid: shopper.openid });
    expect(paid.result).toBe('SUCCESS');
    const notification = await delivered;
    expect(notification.attempts.at(-1)?.status).toBe(204);

    // then the order is PAID with WeChat's transaction id
    const read = await shopper.get(`/api/orders/${order.orderNo}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      status: 'PAID',
      transactionId: paid.transaction.transaction_id,
      totalFen: order.totalFen,
    });
    expect(read.body.paidAt).not.toBeNull();
    expect(read.body.actions).toMatchObject({ pay: false, cancel: false, requestRefund: true });

    // and every step is in the trail, without secrets
    const events = await eventsOf(h, order.orderNo);
    expect(events.map((e) => e.type)).toEqual([
      'ORDER_CREATED',
      'PREPAY_REQUESTED',
      'PREPAY_CREATED',
      'NOTIFY_RECEIVED',
      'PAYMENT_SETTLED',
    ]);
    const trail = JSON.stringify(events.map((e) => e.payload));
    expect(trail).not.toContain(h.sandbox.credentials.apiV3Key);
    expect(trail).not.toContain(params.paySign);
    expect(trail).not.toContain('ciphertext');

    // and it lists as the shopper's newest order
    const list = await shopper.get('/api/orders?status=PAID');
    expect(list.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([order.orderNo]);
  });

  it('stays exactly-once under concurrency: duplicate notifications, racing orders for scarce stock', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const params = await requestPayment(shopper, order.orderNo);
    h.sandbox.faults.set({ duplicateNotifications: 10, duplicateConcurrently: true });
    const delivered = paymentNotification(h, order.orderNo, 'delivered', 11);
    h.sandbox.pay({ ...params, openid: shopper.openid });
    expect((await delivered).attempts.map((a) => a.status)).toEqual(Array(11).fill(204));
    h.sandbox.faults.reset();
    expect((await eventsOf(h, order.orderNo)).filter((e) => e.type === 'PAYMENT_SETTLED')).toHaveLength(1);

    const sku = await anySku(h, 3);
    await h.bff.ctx.prisma.sku.update({ where: { id: sku.id }, data: { stock: 3 } });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => createOrder(shopper, [{ skuId: sku.id, quantity: 1 }])),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(await skuStock(h, sku.id)).toBe(0);
    await h.bff.ctx.prisma.sku.update({ where: { id: sku.id }, data: { stock: 1000 } });
  });

  it('closes an expired order at WeChat and here with the background job, stock back once', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const stock = await skuStock(h, sku.id);
    const order = await placeOrder(h, shopper, 2);
    await requestPayment(shopper, order.orderNo);
    await h.bff.ctx.prisma.order.update({
      where: { orderNo: order.orderNo },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    const [first, second] = [await runJobsOnce(h.bff.ctx), await runJobsOnce(h.bff.ctx, { requeryAfterMs: 0 })];
    expect(first.expiredOrders.closed).toBe(1);
    expect(second.expiredOrders.closed).toBe(0);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'CLOSED' });
    expect(await h.bff.ctx.wechatpay.queryByOutTradeNo(order.orderNo)).toMatchObject({ trade_state: 'CLOSED' });
    expect(await skuStock(h, sku.id)).toBe(stock);
  });
});
