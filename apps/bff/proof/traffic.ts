/**
 * What the proof's shoppers, admin and WeChat do, over real HTTP: the BFF's public routes, the
 * sandbox's shopper confirmation (`POST /sandbox/pay`), its faults and its read-only views.
 */
import { randomUUID } from 'node:crypto';
import { TEST_ADDRESS } from '../test/support/shop.js';
import { PROOF_ADMIN, type Shop } from './world.js';

export interface Answer<T = any> {
  status: number;
  body: T;
}

export async function call<T = any>(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const res = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed as T };
}

/** A call that may meet a dead process or a cut database: a refused connection is an answer too. */
export async function attempt<T = any>(
  url: string,
  method: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<Answer<T>> {
  try {
    return await call<T>(url, method, body, headers);
  } catch (err) {
    return { status: 0, body: { error: { code: 'NO_ANSWER', message: (err as Error).message } } as T };
  }
}

export interface Shopper {
  openid: string;
  token: string;
}

export async function login(bffUrl: string, openid = 'o' + randomUUID().replace(/-/g, '').slice(0, 27)) {
  const res = await call(`${bffUrl}/api/auth/login`, 'POST', { code: `sandbox:${openid}` });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
  return { openid, token: res.body.token as string };
}

export async function adminToken(bffUrl: string): Promise<string> {
  const res = await call(`${bffUrl}/api/admin/login`, 'POST', PROOF_ADMIN);
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface PlacedOrder {
  orderNo: string;
  totalFen: number;
  shopper: Shopper;
}

export function createOrder(bffUrl: string, shopper: Shopper, skuId: string, quantity = 1) {
  return attempt(
    `${bffUrl}/api/orders`,
    'POST',
    { items: [{ skuId, quantity }], address: TEST_ADDRESS },
    { ...bearer(shopper.token), 'idempotency-key': randomUUID() },
  );
}

export async function placeOrder(bffUrl: string, skuId: string, quantity = 1): Promise<PlacedOrder> {
  const shopper = await login(bffUrl);
  const res = await createOrder(bffUrl, shopper, skuId, quantity);
  if (res.status !== 201) throw new Error(`create order: ${res.status} ${JSON.stringify(res.body)}`);
  return { orderNo: res.body.orderNo, totalFen: res.body.totalFen, shopper };
}

export async function requestPayment(bffUrl: string, order: PlacedOrder) {
  const res = await call(`${bffUrl}/api/orders/${order.orderNo}/pay`, 'POST', undefined, bearer(order.shopper.token));
  if (res.status !== 200) throw new Error(`pay ${order.orderNo}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, string>;
}

/** The shopper confirms in WeChat: the sandbox verifies paySign, takes the money and notifies. */
export async function confirmInWechat(shop: Shop, order: PlacedOrder, params: Record<string, string>) {
  const res = await call(`${shop.world.sandboxUrl}/sandbox/pay`, 'POST', { ...params, openid: order.shopper.openid });
  if (res.status !== 200) throw new Error(`sandbox pay ${order.orderNo}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function setFaults(shop: Shop, patch: Record<string, unknown>) {
  const res = await call(`${shop.world.sandboxUrl}/sandbox/faults`, 'POST', patch);
  if (res.status !== 200) throw new Error(`sandbox faults: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function resetFaults(shop: Shop) {
  await call(`${shop.world.sandboxUrl}/sandbox/faults`, 'DELETE');
}

export interface SandboxTransaction {
  out_trade_no: string;
  trade_state: string;
  transaction_id?: string;
  amount: { total: number };
  [k: string]: unknown;
}

export async function sandboxTransactions(shop: Shop): Promise<SandboxTransaction[]> {
  return (await call(`${shop.world.sandboxUrl}/sandbox/api/transactions`, 'GET')).body.items;
}

export async function sandboxRefunds(
  shop: Shop,
): Promise<{ out_trade_no: string; out_refund_no: string; status: string; amount: { refund: number } }[]> {
  return (await call(`${shop.world.sandboxUrl}/sandbox/api/refunds`, 'GET')).body.items;
}

export async function sandboxNotifications(
  shop: Shop,
): Promise<{ out_trade_no: string; event_type: string; state: string; attempts: { status: number | null }[] }[]> {
  return (await call(`${shop.world.sandboxUrl}/sandbox/api/notifications`, 'GET')).body.items;
}

/**
 * Orders paid at WeChat whose notification never came (the sandbox drops it): the state a lost
 * notification, a crash or an outage leaves behind, for a scenario to recover from.
 */
export async function paidWithoutNotification(shop: Shop, bffUrl: string, skuId: string, n: number) {
  const orders: PlacedOrder[] = [];
  await setFaults(shop, { dropNotifications: n });
  try {
    await Promise.all(
      Array.from({ length: n }, async () => {
        const order = await placeOrder(bffUrl, skuId);
        await confirmInWechat(shop, order, await requestPayment(bffUrl, order));
        orders.push(order);
      }),
    );
  } finally {
    await resetFaults(shop);
  }
  return orders;
}

/** Waits until `done` holds, polling; fails with `what` after `timeoutMs`. */
export async function until(what: string, done: () => Promise<boolean>, timeoutMs = 30_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Status of these orders, from the shop's database. */
export async function statuses(shop: Shop, orderNos: string[]): Promise<Map<string, string>> {
  const rows = await shop.sql<{ orderNo: string; status: string }>(
    `SELECT "orderNo", status FROM "Order" WHERE "orderNo" = ANY($1)`,
    [orderNos],
  );
  return new Map(rows.map((r) => [r.orderNo, r.status]));
}

export async function allInStatus(shop: Shop, orderNos: string[], wanted: string[]) {
  const s = await statuses(shop, orderNos);
  return orderNos.every((no) => wanted.includes(s.get(no) ?? ''));
}

/** A SKU of the seed with plenty of stock, by position; `untouched`: one no order has. */
export async function seededSku(
  shop: Shop,
  n = 0,
  { untouched = false } = {},
): Promise<{ id: string; priceFen: number; stock: number }> {
  const rows = await shop.sql<{ id: string; priceFen: number; stock: number }>(
    `SELECT id, "priceFen", stock FROM "Sku" s WHERE active AND stock >= 100
     ${untouched ? `AND NOT EXISTS (SELECT 1 FROM "OrderItem" i WHERE i."skuId" = s.id)` : ''} ORDER BY id`,
  );
  const sku = rows[n % rows.length];
  if (!sku) throw new Error('the seeded catalog has no SKU with stock');
  return sku;
}
