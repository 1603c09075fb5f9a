/** Test helper: a shopper buys and pays through the real routes, WeChat being the sandbox. */
import { randomUUID } from 'node:crypto';
import type { ApiClient, Harness } from '../support/harness.js';
import { TEST_ADDRESS } from '../support/shop.js';

export type Shopper = ApiClient & { openid: string };

let skuCache: { id: string; priceFen: number }[] | undefined;

export async function skus(h: Harness) {
  if (skuCache) return skuCache;
  const res = await h.anonymous.get('/api/products?limit=50');
  if (res.status !== 200) throw new Error(`products: ${res.status}`);
  skuCache = (res.body.items as { skus: { id: string; priceFen: number; stock: number }[] }[])
    .flatMap((p) => p.skus)
    .filter((s) => s.stock > 100);
  return skuCache;
}

/** Places an order (one line, the given quantity of the n-th SKU); answers the order as returned. */
export async function placeOrder(h: Harness, shopper: Shopper, opts: { sku?: number; quantity?: number } = {}) {
  const all = await skus(h);
  const sku = all[(opts.sku ?? 0) % all.length]!;
  const res = await shopper.post(
    '/api/orders',
    { items: [{ skuId: sku.id, quantity: opts.quantity ?? 1 }], address: TEST_ADDRESS },
    { 'idempotency-key': randomUUID() },
  );
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`create order: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { orderNo: string; totalFen: number; status: string };
}

/** Places and pays an order, and waits until the payment notification has been answered 2xx. */
export async function paidOrder(h: Harness, shopper?: Shopper, opts: { sku?: number; quantity?: number } = {}) {
  const buyer = shopper ?? (await h.shopper());
  const order = await placeOrder(h, buyer, opts);
  const pay = await buyer.post(`/api/orders/${order.orderNo}/pay`);
  if (pay.status !== 200) throw new Error(`pay: ${pay.status} ${JSON.stringify(pay.body)}`);
  const delivered = h.sandbox.waitForNotification(
    (n) => n.outTradeNo === order.orderNo && n.eventType === 'TRANSACTION.SUCCESS' && n.state === 'delivered',
  );
  const paid = h.sandbox.pay({ ...pay.body, openid: buyer.openid });
  if (paid.result !== 'SUCCESS') throw new Error(`sandbox pay: ${paid.result}`);
  await delivered;
  const row = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
  if (row.status !== 'PAID') throw new Error(`order ${order.orderNo} is ${row.status} after payment`);
  return { ...order, shopper: buyer, transactionId: row.transactionId! };
}

/** Resolves once the sandbox has delivered (2xx) a refund notification for this out_refund_no. */
export function refundNotified(h: Harness, outRefundNo: string, state: 'delivered' | 'dropped' = 'delivered') {
  return h.sandbox.waitForNotification(
    (n) => n.outRefundNo === outRefundNo && n.eventType.startsWith('REFUND.') && n.state === state,
  );
}
