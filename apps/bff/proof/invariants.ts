/**
 * The database invariants checked after every scenario, in SQL on the scenario's own database, and
 * the books compared with WeChat's (the sandbox): nothing lost (every payment WeChat took is paid
 * here, every refund it made is counted) and nothing doubled (one settlement per paid order, stock
 * released once, never more refunded than paid).
 */
import type { Shop } from './world.js';
import { sandboxRefunds, sandboxTransactions } from './traffic.js';

export interface InvariantResult {
  name: string;
  /** one line per offending row; empty when the invariant holds */
  violations: string[];
}

export interface Books {
  orders: number;
  paid: number;
  settlements: number;
  closed: number;
  refundedFen: number;
  /** payments WeChat (the sandbox) holds for this shop's orders */
  paidAtWechat: number;
}

export interface InvariantReport {
  results: InvariantResult[];
  books: Books;
  ok: boolean;
}

/** Stock per SKU before the scenario (stock it sets itself on purpose is recorded here too). */
export type StockSnapshot = Map<string, number>;

export async function stockSnapshot(shop: Shop): Promise<StockSnapshot> {
  const rows = await shop.sql<{ id: string; stock: number }>(`SELECT id, stock FROM "Sku"`);
  return new Map(rows.map((r) => [r.id, r.stock]));
}

const PAID = `('PAID','PARTIALLY_REFUNDED','REFUNDED')`;

/** Each query returns the offending rows as `what`. */
const SQL_INVARIANTS: { name: string; sql: string }[] = [
  { name: 'no negative stock', sql: `SELECT id || ': ' || stock AS what FROM "Sku" WHERE stock < 0` },
  {
    name: 'one settlement per paid order, none for an unpaid one',
    sql: `SELECT o."orderNo" || ' ' || o.status || ' settled ' || count(e.id) AS what
          FROM "Order" o LEFT JOIN "OrderEvent" e ON e."orderId" = o.id AND e.type = 'PAYMENT_SETTLED'
          GROUP BY o.id
          HAVING count(e.id) <> CASE WHEN o."paidAt" IS NOT NULL THEN 1 ELSE 0 END`,
  },
  {
    name: 'paid status iff a transaction',
    sql: `SELECT "orderNo" || ' ' || status AS what FROM "Order"
          WHERE (status IN ${PAID}) <> ("transactionId" IS NOT NULL AND "paidAt" IS NOT NULL)`,
  },
  {
    name: 'refunded ≤ paid, and equal to the successful refunds',
    sql: `SELECT o."orderNo" || ' total ' || o."totalFen" || ' refundedFen ' || o."refundedFen"
                 || ' succeeded ' || coalesce(sum(r."amountFen") FILTER (WHERE r.status = 'SUCCESS'), 0)
                 || ' open or succeeded ' || coalesce(sum(r."amountFen") FILTER (WHERE r.status IN ('PENDING','PROCESSING','SUCCESS')), 0) AS what
          FROM "Order" o LEFT JOIN "Refund" r ON r."orderId" = o.id
          GROUP BY o.id
          HAVING o."refundedFen" > o."totalFen"
              OR o."refundedFen" <> coalesce(sum(r."amountFen") FILTER (WHERE r.status = 'SUCCESS'), 0)
              OR coalesce(sum(r."amountFen") FILTER (WHERE r.status IN ('PENDING','PROCESSING','SUCCESS')), 0) > o."totalFen"
              OR (count(r.id) > 0 AND o."paidAt" IS NULL)`,
  },
  {
    name: 'status follows the refunded amount',
    sql: `SELECT "orderNo" || ' ' || status || ' refunded ' || "refundedFen" || '/' || "totalFen" AS what FROM "Order"
          WHERE status IN ${PAID} AND status::text <> CASE WHEN "refundedFen" = 0 THEN 'PAID'
                WHEN "refundedFen" < "totalFen" THEN 'PARTIALLY_REFUNDED' ELSE 'REFUNDED' END`,
  },
  {
    name: "every closed order's stock released, once",
    sql: `SELECT o."orderNo" || ' ' || o.status || ' released ' || count(e.id) AS what
          FROM "Order" o LEFT JOIN "OrderEvent" e ON e."orderId" = o.id AND e.type = 'STOCK_RELEASED'
          GROUP BY o.id
          HAVING (o.status = 'CLOSED' AND o."stockReleasedAt" IS NULL)
              OR count(e.id) > CASE WHEN o."paidAfterClose" THEN 2 ELSE 1 END
              OR (o."stockReleasedAt" IS NOT NULL AND count(e.id) = 0)`,
  },
  {
    name: 'a settled notification belongs to a paid order',
    sql: `SELECT n.id || ' ' || coalesce(o.status::text, 'no order') AS what FROM "ProcessedNotification" n
          LEFT JOIN "Order" o ON o."orderNo" = n."orderNo"
          WHERE n."eventType" = 'TRANSACTION.SUCCESS' AND (o.id IS NULL OR o."paidAt" IS NULL)
            AND NOT EXISTS (SELECT 1 FROM "OrderEvent" e WHERE e."orderId" = o.id AND e.type = 'PAYMENT_MISMATCH')`,
  },
];

export async function checkInvariants(shop: Shop, before: StockSnapshot): Promise<InvariantReport> {
  const results: InvariantResult[] = [];
  for (const inv of SQL_INVARIANTS) {
    const rows = await shop.sql<{ what: string }>(inv.sql);
    results.push({ name: inv.name, violations: rows.map((r) => r.what) });
  }

  // stock is conserved: what left each SKU is exactly what orders still hold
  const held = await shop.sql<{ skuId: string; stock: number; held: string }>(
    `SELECT s.id AS "skuId", s.stock,
            coalesce(sum(i.quantity) FILTER (WHERE o."stockReleasedAt" IS NULL), 0) AS held
     FROM "Sku" s LEFT JOIN "OrderItem" i ON i."skuId" = s.id LEFT JOIN "Order" o ON o.id = i."orderId"
     GROUP BY s.id`,
  );
  results.push({
    name: 'stock conserved (before = now + held by orders)',
    violations: held
      .filter((r) => (before.get(r.skuId) ?? NaN) !== r.stock + Number(r.held))
      .map((r) => `${r.skuId}: before ${before.get(r.skuId)}, now ${r.stock}, held ${r.held}`),
  });

  // the books against WeChat's
  const local = await shop.sql<{
    orderNo: string;
    status: string;
    paid: boolean;
    refundedFen: number;
    transactionId: string | null;
  }>(`SELECT "orderNo", status, "paidAt" IS NOT NULL AS paid, "refundedFen", "transactionId" FROM "Order"`);
  const mine = new Map(local.map((o) => [o.orderNo, o]));
  const remote = (await sandboxTransactions(shop)).filter((t) => mine.has(t.out_trade_no));
  const lost = remote
    .filter(
      (t) =>
        ['SUCCESS', 'REFUND'].includes(t.trade_state) &&
        (!mine.get(t.out_trade_no)!.paid || mine.get(t.out_trade_no)!.transactionId !== t.transaction_id),
    )
    .map((t) => `${t.out_trade_no} paid at WeChat (${t.transaction_id}), ${mine.get(t.out_trade_no)!.status} here`);
  const paidRemotely = new Set(
    remote.filter((t) => ['SUCCESS', 'REFUND'].includes(t.trade_state)).map((t) => t.out_trade_no),
  );
  const phantom = local
    .filter((o) => o.paid && !paidRemotely.has(o.orderNo))
    .map((o) => `${o.orderNo} paid here, not at WeChat`);
  results.push({ name: 'every payment WeChat took is paid here, and only those', violations: [...lost, ...phantom] });

  const refundedRemotely = new Map<string, number>();
  for (const r of await sandboxRefunds(shop))
    if (mine.has(r.out_trade_no) && r.status === 'SUCCESS')
      refundedRemotely.set(r.out_trade_no, (refundedRemotely.get(r.out_trade_no) ?? 0) + r.amount.refund);
  results.push({
    name: 'refunded here = refunded by WeChat',
    violations: local
      .filter((o) => o.refundedFen !== (refundedRemotely.get(o.orderNo) ?? 0))
      .map((o) => `${o.orderNo}: ${o.refundedFen} here, ${refundedRemotely.get(o.orderNo) ?? 0} at WeChat`),
  });

  const [books] = await shop.sql<{
    orders: string;
    paid: string;
    settlements: string;
    closed: string;
    refunded: string;
  }>(
    `SELECT (SELECT count(*) FROM "Order") AS orders,
            (SELECT count(*) FROM "Order" WHERE "paidAt" IS NOT NULL) AS paid,
            (SELECT count(*) FROM "OrderEvent" WHERE type = 'PAYMENT_SETTLED') AS settlements,
            (SELECT count(*) FROM "Order" WHERE status = 'CLOSED') AS closed,
            (SELECT coalesce(sum("refundedFen"), 0) FROM "Order") AS refunded`,
  );
  return {
    results,
    books: {
      orders: Number(books!.orders),
      paid: Number(books!.paid),
      settlements: Number(books!.settlements),
      closed: Number(books!.closed),
      refundedFen: Number(books!.refunded),
      paidAtWechat: paidRemotely.size,
    },
    ok: results.every((r) => r.violations.length === 0),
  };
}
