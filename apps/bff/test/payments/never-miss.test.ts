import { describe, expect, it, vi } from 'vitest';
import { runJobsOnce } from '../../src/orders/jobs.js';
import { releaseStock } from '../../src/orders/stock.js';
import { useHarness } from '../support/harness.js';
import {
  anySku,
  createOrder,
  eventsOf,
  orderRow,
  paymentNotification,
  placeOrder,
  requestPayment,
  skuStock,
  type Shopper,
} from '../support/shop.js';
import { postNotification, signedNotification, successResource } from '../support/wechat-notify.js';

describe('never missing a payment', () => {
  const h = useHarness();

  /** The shopper pays in WeChat, and the notification is lost on the way. */
  async function paidButNotNotified(shopper: Shopper, quantity = 1) {
    const order = await placeOrder(h, shopper, quantity);
    const params = await requestPayment(shopper, order.orderNo);
    h.sandbox.faults.set({ dropNotifications: 1 });
    const dropped = paymentNotification(h, order.orderNo, 'dropped');
    const paid = h.sandbox.pay({ ...params, openid: shopper.openid });
    await dropped;
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PENDING_PAYMENT' });
    return { order, transactionId: paid.transaction.transaction_id as string };
  }

  const types = async (orderNo: string) => (await eventsOf(h, orderNo)).map((e) => e.type);

  it('reading the order asks WeChat and settles a payment whose notification was dropped', async () => {
    const shopper = await h.shopper();
    const { order, transactionId } = await paidButNotNotified(shopper);
    const res = await shopper.get(`/api/orders/${order.orderNo}`);
    expect(res.body).toMatchObject({ status: 'PAID', transactionId });
    expect((await types(order.orderNo)).slice(-2)).toEqual(['QUERY_RESULT', 'PAYMENT_SETTLED']);
    expect((await eventsOf(h, order.orderNo)).at(-1)?.payload).toMatchObject({
      source: 'query',
      tradeState: 'SUCCESS',
    });
  });

  it('asks WeChat at most once per few seconds per order, however many read it', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    const other = await h.startAnotherBff();
    const reads = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2
          ? fetch(`${other.url}/api/orders/${order.orderNo}`, {
              headers: { authorization: `Bearer ${shopper.token}` },
            }).then((r) => r.status)
          : shopper.get(`/api/orders/${order.orderNo}`).then((r) => r.status),
      ),
    );
    expect(reads).toEqual(Array(10).fill(200));
    expect((await types(order.orderNo)).filter((t) => t === 'QUERY_RESULT')).toHaveLength(1);
  });

  it('answers a read within a few seconds when WeChat is slow, and records the query when it ends', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    h.sandbox.faults.set({
      failApi: { count: 1, mode: 'timeout', timeoutMs: 4_000, pathPrefix: '/v3/pay/transactions/out-trade-no' },
    });
    const started = Date.now();
    const res = await shopper.get(`/api/orders/${order.orderNo}`);
    expect(Date.now() - started).toBeLessThan(3_500);
    expect(res.body).toMatchObject({ status: 'PENDING_PAYMENT' });
    await vi.waitFor(async () => expect(await types(order.orderNo)).toContain('QUERY_FAILED'), {
      timeout: 15_000,
      interval: 100,
    });
  });

  it('does not ask WeChat about orders without a prepay', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await shopper.get(`/api/orders/${order.orderNo}`);
    expect(await types(order.orderNo)).toEqual(['ORDER_CREATED']);
  });

  it('the job settles a payment whose notification is late', async () => {
    const shopper = await h.shopper();
    const { order, transactionId } = await paidButNotNotified(shopper);
    // not late yet: left alone
    expect((await runJobsOnce(h.bff.ctx)).latePayments.settled).toBe(0);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PENDING_PAYMENT' });

    const result = await runJobsOnce(h.bff.ctx, { lateAfterMs: 0 });
    expect(result.latePayments.settled).toBeGreaterThanOrEqual(1);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PAID', transactionId });
    // and asks again only after requeryAfterMs
    const again = await runJobsOnce(h.bff.ctx, { lateAfterMs: 0 });
    expect(again.latePayments.queried).toBe(0);
  });

  it('a close racing a payment ends PAID: the expiry job meets ORDERPAID and settles instead', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const stock = await skuStock(h, sku.id);
    const { order, transactionId } = await paidButNotNotified(shopper, 2);
    await h.bff.ctx.prisma.order.update({
      where: { orderNo: order.orderNo },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    const result = await runJobsOnce(h.bff.ctx);
    expect(result.expiredOrders.paid).toBe(1);
    expect(await orderRow(h, order.orderNo)).toMatchObject({
      status: 'PAID',
      transactionId,
      paidAfterClose: false,
      stockReleasedAt: null,
    });
    expect(await skuStock(h, sku.id)).toBe(stock - 2);
    const trail = await types(order.orderNo);
    expect(trail.slice(-4)).toEqual(['CLOSE_REQUESTED', 'CLOSE_RESULT', 'QUERY_RESULT', 'PAYMENT_SETTLED']);
    expect(trail).not.toContain('ORDER_CLOSED');
  });

  it('a payment that lands on an order already closed here is recorded PAID and flagged', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const stock = await skuStock(h, sku.id);
    const order = await placeOrder(h, shopper, 2);
    await requestPayment(shopper, order.orderNo);
    // closed here (stock back) while WeChat still took the money
    const row = await orderRow(h, order.orderNo);
    await h.bff.ctx.prisma.$transaction(async (tx) => {
      await tx.order.update({ where: { id: row.id }, data: { status: 'CLOSED', closedAt: new Date() } });
      await releaseStock(tx, row.id, new Date(), 'close');
    });
    expect(await skuStock(h, sku.id)).toBe(stock);

    const res = await postNotification(h.bff.url, signedNotification(h, successResource(h, order, shopper.openid)));
    expect(res.status).toBe(204);
    expect(await orderRow(h, order.orderNo)).toMatchObject({
      status: 'PAID',
      paidAfterClose: true,
      stockReleasedAt: null,
    });
    expect(await skuStock(h, sku.id)).toBe(stock - 2); // the sold goods are taken from stock again
    expect((await types(order.orderNo)).slice(-3)).toEqual(['NOTIFY_RECEIVED', 'PAYMENT_SETTLED', 'PAID_AFTER_CLOSE']);
    expect(h.logs.some((l) => l.orderNo === order.orderNo && l.paidAfterClose === true)).toBe(true);
  });

  it('the expiry job closes unpaid orders at WeChat and here, once, with several processes running it at once', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h, 1);
    const stock = await skuStock(h, sku.id);
    const orders: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await createOrder(shopper, [{ skuId: sku.id, quantity: 1 }]);
      orders.push(res.body.orderNo);
      if (i % 2) await requestPayment(shopper, res.body.orderNo); // half of them went to WeChat
    }
    expect(await skuStock(h, sku.id)).toBe(stock - 6);
    await h.bff.ctx.prisma.order.updateMany({
      where: { orderNo: { in: orders } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    const others = [await h.startAnotherBff(), await h.startAnotherBff()];
    const results = await Promise.all([h.bff, ...others, h.bff, ...others].map((b) => runJobsOnce(b.ctx)));
    expect(results.reduce((n, r) => n + r.expiredOrders.closed, 0)).toBe(6);

    expect(await skuStock(h, sku.id)).toBe(stock);
    for (const [i, orderNo] of orders.entries()) {
      const trail = await types(orderNo);
      expect(await orderRow(h, orderNo)).toMatchObject({ status: 'CLOSED' });
      expect(trail.filter((t) => t === 'ORDER_CLOSED')).toHaveLength(1);
      expect(trail.filter((t) => t === 'STOCK_RELEASED')).toHaveLength(1);
      expect(trail.filter((t) => t === 'CLOSE_REQUESTED')).toHaveLength(i % 2 ? 1 : 0);
      if (i % 2) expect(await h.bff.ctx.wechatpay.queryByOutTradeNo(orderNo)).toMatchObject({ trade_state: 'CLOSED' });
    }
  });

  it('the expiry job leaves an order open while WeChat cannot be reached, and closes it on a later run', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    await h.bff.ctx.prisma.order.update({
      where: { orderNo: order.orderNo },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    h.sandbox.faults.set({ failApi: { count: 1, mode: '500', pathPrefix: '/v3/pay/transactions/out-trade-no' } });
    expect((await runJobsOnce(h.bff.ctx)).expiredOrders.failed).toBe(1);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PENDING_PAYMENT' });
    expect((await runJobsOnce(h.bff.ctx, { requeryAfterMs: 0 })).expiredOrders.closed).toBe(1);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'CLOSED' });
  });

  it('runs the jobs on an interval when JOBS_ENABLED, and stops cleanly', async () => {
    const worker = await h.startAnotherBff({ JOBS_ENABLED: 'true', JOB_INTERVAL_MS: '100' });
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await h.bff.ctx.prisma.order.update({
      where: { orderNo: order.orderNo },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await vi.waitFor(async () => expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'CLOSED' }), {
      timeout: 10_000,
      interval: 50,
    });
    await worker.stop();
  });
});
