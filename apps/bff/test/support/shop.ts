/** Test steps of a purchase through the real routes, WeChat being the sandbox. */
import { randomUUID } from 'node:crypto';
import type { ApiClient, Harness } from './harness.js';

export type Shopper = ApiClient & { openid: string };

/** A shipping address every test order goes to (the fields uni.chooseAddress gives, renamed). */
export const TEST_ADDRESS = {
  name: '张三',
  phone: '13800001234',
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  detail: '科技园路 1 号 A 座 101',
  postalCode: '518057',
} as const;

export interface CatalogSku {
  id: string;
  productId: string;
  title: string;
  priceFen: number;
  stock: number;
}

export async function catalogSkus(h: Harness): Promise<CatalogSku[]> {
  const res = await h.anonymous.get('/api/products?limit=50');
  if (res.status !== 200) throw new Error(`products: ${res.status}`);
  return (res.body.items as { id: string; skus: Omit<CatalogSku, 'productId'>[] }[]).flatMap((p) =>
    p.skus.map((s) => ({ ...s, productId: p.id })),
  );
}

/** A SKU of the seeded catalog with plenty of stock (the n-th one). */
export async function anySku(h: Harness, n = 0): Promise<CatalogSku> {
  const skus = (await catalogSkus(h)).filter((s) => s.stock >= 100);
  const sku = skus[n % skus.length];
  if (!sku) throw new Error('the seeded catalog has no SKU with stock');
  return sku;
}

export async function createOrder(
  shopper: Shopper,
  items: { skuId: string; quantity: number }[],
  key: string = randomUUID(),
  address: unknown = TEST_ADDRESS,
) {
  return shopper.post('/api/orders', { items, address }, { 'idempotency-key': key });
}

export async function placeOrder(h: Harness, shopper: Shopper, quantity = 1, n = 0) {
  const sku = await anySku(h, n);
  const res = await createOrder(shopper, [{ skuId: sku.id, quantity }]);
  if (res.status !== 201) throw new Error(`create order: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { orderNo: string; totalFen: number; status: string; expiresAt: string };
}

export async function requestPayment(shopper: Shopper, orderNo: string) {
  const res = await shopper.post(`/api/orders/${orderNo}/pay`);
  if (res.status !== 200) throw new Error(`pay: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as {
    appId: string;
    timeStamp: string;
    nonceStr: string;
    package: string;
    signType: 'RSA';
    paySign: string;
  };
}

/** Resolves when the sandbox has finished delivering the payment notification of this order. */
export function paymentNotification(
  h: Harness,
  orderNo: string,
  state: 'delivered' | 'dropped' | 'failed' = 'delivered',
  /** wait until this many delivery attempts (duplicates included) have been answered */
  answeredAttempts = state === 'dropped' ? 0 : 1,
) {
  return h.sandbox.waitForNotification(
    (n) =>
      n.outTradeNo === orderNo &&
      n.eventType === 'TRANSACTION.SUCCESS' &&
      n.state === state &&
      n.attempts.filter((a) => a.status !== null || a.error !== null).length >= answeredAttempts,
    20_000,
  );
}

export async function eventsOf(h: Harness, orderNo: string) {
  const order = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo } });
  return h.bff.ctx.prisma.orderEvent.findMany({ where: { orderId: order.id }, orderBy: { id: 'asc' } });
}

export async function orderRow(h: Harness, orderNo: string) {
  return h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo } });
}

export async function skuStock(h: Harness, skuId: string): Promise<number> {
  return (await h.bff.ctx.prisma.sku.findUniqueOrThrow({ where: { id: skuId } })).stock;
}
