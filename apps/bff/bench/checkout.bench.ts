/**
 * `pnpm bench`: figures for the checkout's hot paths, each measured side by side in one run so the
 * ratios mean something on any machine. Prints a table; asserts nothing about time.
 *
 *  1. order creation (server pricing + atomic stock reservation + idempotency key), PostgreSQL vs PGlite
 *  2. a payment notification: first delivery (verify, decrypt, settle) vs a duplicate (verify, decrypt, dedupe)
 *  3. the BFF's heap before and after a burst of notifications
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import type { DbKind } from '../src/db/index.js';
import { startHarness, type Harness } from '../test/support/harness.js';
import { anySku, createOrder, placeOrder } from '../test/support/shop.js';
import { postNotification, signedNotification, successResource } from '../test/support/wechat-notify.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const NOTIFICATIONS = Number(process.env.BENCH_NOTIFICATIONS ?? 200);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function timed<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: n / seconds, p50: pct(latencies, 50), p95: pct(latencies, 95) };
}

// the bench buys far more than the seeded stock
const restock = (h: Harness) => h.bff.ctx.prisma.sku.updateMany({ data: { stock: 1_000_000 } });

async function benchOrders(kind: DbKind) {
  const h = await startHarness({ db: kind });
  try {
    await restock(h);
    const shopper = await h.shopper();
    const sku = await anySku(h);
    return await timed(ORDERS, CONCURRENCY, async () => {
      const res = await createOrder(shopper, [{ skuId: sku.id, quantity: 1 }]);
      if (res.status !== 201) throw new Error(`order: ${res.status} ${JSON.stringify(res.body)}`);
    });
  } finally {
    await h.close();
  }
}

async function benchNotifications(h: Harness) {
  await restock(h);
  const shopper = await h.shopper();
  const orders = [];
  for (let i = 0; i < NOTIFICATIONS; i++) orders.push(await placeOrder(h, shopper));
  const notes = orders.map((o) => signedNotification(h, successResource(h, o, shopper.openid), { id: randomUUID() }));
  const send = async (i: number) => {
    const res = await postNotification(h.bff.url, notes[i]!);
    if (res.status !== 204 && res.status !== 200) throw new Error(`notify: ${res.status} ${JSON.stringify(res.body)}`);
  };
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const first = await timed(NOTIFICATIONS, CONCURRENCY, send);
  const duplicate = await timed(NOTIFICATIONS, CONCURRENCY, send);
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  return { first, duplicate, heapDeltaMiB: (heapAfter - heapBefore) / 2 ** 20 };
}

const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);

const pg = await benchOrders('postgres');
const lite = await benchOrders('pglite');
const h = await startHarness({ db: 'postgres' });
let notify;
try {
  notify = await benchNotifications(h);
} finally {
  await h.close();
}

console.log(
  `\nuni-checkout bench — ${ORDERS} orders, ${NOTIFICATIONS} notifications, concurrency ${CONCURRENCY}, Node ${process.version}\n`,
);
console.log('| path | per second | p50 ms | p95 ms |');
console.log('|---|---|---|---|');
console.log(`| create order, PostgreSQL | ${fmt(pg.perSecond)} | ${fmt(pg.p50)} | ${fmt(pg.p95)} |`);
console.log(`| create order, PGlite | ${fmt(lite.perSecond)} | ${fmt(lite.p50)} | ${fmt(lite.p95)} |`);
console.log(
  `| notification, first (settle) | ${fmt(notify.first.perSecond)} | ${fmt(notify.first.p50)} | ${fmt(notify.first.p95)} |`,
);
console.log(
  `| notification, duplicate (dedupe) | ${fmt(notify.duplicate.perSecond)} | ${fmt(notify.duplicate.p50)} | ${fmt(notify.duplicate.p95)} |`,
);
console.log(
  `\nratios: PostgreSQL/PGlite order throughput ${(pg.perSecond / lite.perSecond).toFixed(2)}x; duplicate/first notification throughput ${(notify.duplicate.perSecond / notify.first.perSecond).toFixed(2)}x`,
);
console.log(
  `heap growth across ${NOTIFICATIONS * 2} notifications: ${notify.heapDeltaMiB.toFixed(1)} MiB${global.gc ? '' : ' (run with --expose-gc for a settled figure)'}`,
);
