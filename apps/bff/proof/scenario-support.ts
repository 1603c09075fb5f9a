/**
 * What every scenario is made of: its context and shape, expectations that fail its row, answer
 * tallies for its figure, and the shop set-ups most scenarios start from.
 */
import type { StockSnapshot } from './invariants.js';
import {
  allInStatus,
  confirmInWechat,
  placeOrder,
  requestPayment,
  seededSku,
  until,
  type Answer,
  type PlacedOrder,
} from './traffic.js';
import type { Bff, Shop } from './world.js';

export interface ScenarioContext {
  shop: Shop;
  quick: boolean;
  /**
   * stock before the scenario (of a shared shop: before its first scenario); a scenario that sets
   * stock on purpose records it here
   */
  stockBefore: StockSnapshot;
}

export interface Scenario {
  id: string;
  title: string;
  /** returns the figure of its row; throws when what it saw is not what it expects */
  run(ctx: ScenarioContext): Promise<string>;
}

export const PAID_STATES = ['PAID', 'PARTIALLY_REFUNDED', 'REFUNDED'];
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const pick = <T>(list: T[], i: number) => list[i % list.length]!;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** `{ 204: 48, 500: 2 }` → "204 ×48, 500 ×2" */
export function tally(answers: Answer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = a.status === 0 ? 'no answer' : `${a.status}${a.body?.error?.code ? ` ${a.body.error.code}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
}

export async function startBffs(shop: Shop, n: number, opts?: Parameters<Shop['startBff']>[0]): Promise<Bff[]> {
  // the first creates the bootstrap admin alone; the others start together
  const first = await shop.startBff(opts);
  const rest = await Promise.all(Array.from({ length: n - 1 }, () => shop.startBff(opts)));
  return [first, ...rest];
}

/** n BFF processes on the shop's database, and a seeded SKU with plenty of stock */
export async function processesAndSku(
  shop: Shop,
  n: number,
  opts?: Parameters<Shop['startBff']>[0],
  skuOpts?: Parameters<typeof seededSku>[2],
) {
  const [bffs, sku] = await Promise.all([startBffs(shop, n, opts), seededSku(shop, 0, skuOpts)]);
  return { bffs, sku };
}

/** Orders placed and paid the normal way (WeChat notifies through the balancer), once all are paid. */
export async function paidOrders(shop: Shop, bffs: Bff[], skuId: string, n: number): Promise<PlacedOrder[]> {
  const orders = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const url = pick(bffs, i).url;
      const order = await placeOrder(url, skuId);
      await confirmInWechat(shop, order, await requestPayment(url, order));
      return order;
    }),
  );
  const nos = orders.map((o) => o.orderNo);
  await until(`${n} orders paid`, () => allInStatus(shop, nos, ['PAID']));
  return orders;
}
