import type { AppContext } from '../context.js';
import { Prisma, type Order } from '../db/index.js';
import { insertEvents, isTransactionConflict, sqlQuery, sqlTransaction, type EventRow } from '../db/sql.js';
import { recordEvent } from './events.js';
import { reReserveStock } from './stock.js';
import type { Transaction } from '../payments/wechatpay-types.js';

export type SettleSource = 'notify' | 'query' | 'close' | 'cancel';

export type SettleOutcome =
  /** this call moved the order to PAID */
  | { kind: 'settled'; order: Order; paidAfterClose: boolean }
  /** the order already holds this transaction (a duplicate, a retry, a racing query) */
  | { kind: 'already'; order: Order }
  /** WeChat reports no money for it (NOTPAY, CLOSED, PAYERROR …): nothing to do */
  | { kind: 'not_paid'; order: Order | null }
  /** the transaction does not belong to this order as we know it: nothing settled, logged */
  | { kind: 'mismatch'; order: Order | null; reason: string }
  /** a notification id already handled (notify only) */
  | { kind: 'duplicate'; order: Order | null };

export interface SettleOptions {
  /** the notification's id: stored with the settlement, so a redelivery is recognised */
  notificationId?: string;
  eventType?: string;
}

/** trade_state values that mean the money arrived (REFUND: it arrived and a refund followed). */
const PAID_STATES = new Set(['SUCCESS', 'REFUND']);

/** Why this transaction cannot settle this order, or undefined when it can. */
export function mismatchReason(ctx: AppContext, order: Order | null, t: Transaction): string | undefined {
  if (!order) return `out_trade_no ${t.out_trade_no} is not an order of this shop`;
  if (t.mchid !== ctx.merchant.mchid) return `mchid ${t.mchid} is not ours`;
  if (t.appid !== ctx.merchant.appid) return `appid ${t.appid} is not ours`;
  if (t.amount?.total !== order.totalFen)
    return `amount.total ${String(t.amount?.total)} differs from the order total ${order.totalFen}`;
  if (t.amount?.currency !== undefined && t.amount.currency !== 'CNY')
    return `currency ${t.amount.currency} is not CNY`;
  if (!t.transaction_id) return 'the transaction has no transaction_id';
  return undefined;
}

/**
 * The one place an order becomes PAID. Idempotent: the move is a conditional update
 * (status PENDING_PAYMENT or CLOSED, no transaction yet) in one transaction with its events and,
 * for a notification, its ProcessedNotification row — any number of duplicate, concurrent or late
 * reports from any number of processes settle an order once. Money received wins: a payment
 * landing on an order closed here is recorded PAID and flagged paidAfterClose.
 */
export async function settlePayment(
  ctx: AppContext,
  t: Transaction,
  source: SettleSource,
  opts: SettleOptions = {},
): Promise<SettleOutcome> {
  const order =
    (await sqlQuery<Order>(ctx.db, 'SELECT * FROM "Order" WHERE "orderNo" = $1', [t.out_trade_no])).rows[0] ?? null;
  const report = {
    source,
    ...(opts.notificationId ? { notificationId: opts.notificationId, eventType: opts.eventType } : {}),
    tradeState: t.trade_state,
    transactionId: t.transaction_id ?? null,
    amountTotal: t.amount?.total ?? null,
    successTime: t.success_time ?? null,
  };

  if (!PAID_STATES.has(t.trade_state)) {
    if (order && opts.notificationId) {
      const fresh = await markNotification(ctx, opts, t.out_trade_no, (tx) =>
        recordEvent(tx, order.id, 'NOTIFY_RECEIVED', { ...report, decision: 'no payment to settle' }),
      );
      if (!fresh) return { kind: 'duplicate', order };
    }
    return { kind: 'not_paid', order };
  }

  const reason = mismatchReason(ctx, order, t);
  if (reason) {
    ctx.logger.error(
      { ...report, orderNo: t.out_trade_no, reason },
      'payment does not match the order: nothing settled',
    );
    if (order) {
      const fresh = await markNotification(ctx, opts, t.out_trade_no, async (tx) => {
        if (opts.notificationId) await recordEvent(tx, order.id, 'NOTIFY_RECEIVED', report);
        await recordEvent(tx, order.id, 'PAYMENT_MISMATCH', { ...report, reason, orderTotalFen: order.totalFen });
      });
      if (!fresh) return { kind: 'duplicate', order };
    }
    return { kind: 'mismatch', order, reason };
  }
  const known = order!;

  const fast = await settleFast(ctx, known, t, source, opts, report);
  if (fast.kind !== 'slow') {
    if (fast.kind === 'settled') {
      ctx.metrics.settlements.inc({ source });
      // a notification's one line is the route's; a query or a close that settles says so here
      if (source !== 'notify')
        ctx.logger.info({ orderNo: known.orderNo, transactionId: t.transaction_id, source }, 'order paid');
    }
    return fast;
  }

  let result: SettleOutcome | undefined;
  const fresh = await markNotification(ctx, opts, t.out_trade_no, async (tx) => {
    result = await settleInTx(ctx, tx, known, t, source, report);
  });
  if (!fresh) return { kind: 'duplicate', order: known };
  if (result?.kind === 'settled') {
    ctx.metrics.settlements.inc({ source });
    ctx.logger.info(
      { orderNo: known.orderNo, transactionId: t.transaction_id, source, paidAfterClose: result.paidAfterClose },
      result.paidAfterClose ? 'payment landed on a closed order: recorded as paid, flagged' : 'order paid',
    );
  }
  return result!;
}

/**
 * The common cases in plain SQL, one transaction and no re-read: an unpaid order moving to PAID
 * (the notification id, the conditional update and its events — one INSERT — commit together),
 * a redelivered notification id, and a report of the transaction the order already holds.
 * The same guarantees as settleInTx (the dedupe row's primary key, the update's conditions, the
 * update taking the row lock before any event insert); anything else — a payment landing on a
 * closed order, a second transaction — is rolled back here and left to settleInTx.
 */
async function settleFast(
  ctx: AppContext,
  order: Order,
  t: Transaction,
  source: SettleSource,
  opts: SettleOptions,
  report: Record<string, unknown>,
): Promise<SettleOutcome | { kind: 'slow' }> {
  const paidAt = t.success_time ? new Date(t.success_time) : ctx.now();
  const validPaidAt = Number.isNaN(paidAt.getTime()) ? ctx.now() : paidAt;
  const events = (...rows: [string, Record<string, unknown>][]): EventRow[] =>
    rows.map(([type, payload]) => ({ orderId: order.id, type, payload }));
  const received: [string, Record<string, unknown>][] = opts.notificationId ? [['NOTIFY_RECEIVED', report]] : [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await sqlTransaction(ctx.db, async (sql) => {
        if (opts.notificationId) {
          const inserted = await sql.query(
            `INSERT INTO "ProcessedNotification" (id, "eventType", "orderNo") VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
            [opts.notificationId, opts.eventType ?? 'TRANSACTION.SUCCESS', order.orderNo],
          );
          if (inserted.rowCount === 0) return { kind: 'duplicate', order } as const;
        }
        const paid = await sql.query<Order>(
          `UPDATE "Order" SET status = 'PAID', "transactionId" = $2, "paidAt" = $3, version = version + 1, "updatedAt" = $4
           WHERE id = $1 AND status = 'PENDING_PAYMENT' AND "transactionId" IS NULL RETURNING *`,
          [order.id, t.transaction_id, validPaidAt, ctx.now()],
        );
        const settled = paid.rows[0];
        if (settled) {
          await insertEvents(sql, events(...received, ['PAYMENT_SETTLED', { ...report, paidAfterClose: false }]));
          return { kind: 'settled', order: settled, paidAfterClose: false } as const;
        }
        const current = (await sql.query<Order>('SELECT * FROM "Order" WHERE id = $1 FOR UPDATE', [order.id])).rows[0];
        if (current && current.transactionId !== null && current.transactionId === t.transaction_id) {
          const duplicate: [string, Record<string, unknown>][] = opts.notificationId
            ? [['NOTIFY_DUPLICATE', { ...report, decision: 'already paid' }]]
            : [];
          await insertEvents(sql, events(...received, ...duplicate));
          return { kind: 'already', order: current } as const;
        }
        throw new SlowPath();
      });
    } catch (err) {
      if (err instanceof SlowPath) return { kind: 'slow' };
      if (!isTransactionConflict(err) || attempt >= 3) throw err;
      ctx.logger.warn({ orderNo: order.orderNo, attempt }, 'settlement transaction conflicted; retrying');
    }
  }
}

/** Rolls the fast path's transaction back: the case is settleInTx's. */
class SlowPath extends Error {}

async function settleInTx(
  ctx: AppContext,
  tx: Prisma.TransactionClient,
  order: Order,
  t: Transaction,
  source: SettleSource,
  report: Record<string, unknown>,
): Promise<SettleOutcome> {
  const paidAt = t.success_time ? new Date(t.success_time) : ctx.now();
  const data = {
    transactionId: t.transaction_id!,
    paidAt: Number.isNaN(paidAt.getTime()) ? ctx.now() : paidAt,
    version: { increment: 1 },
  };
  // The conditional update comes first in the transaction: it takes the order's row lock before
  // any event insert takes a key-share lock on it (two transactions each holding the share lock
  // and wanting the update lock would deadlock).
  const fromPending = await tx.order.updateMany({
    where: { id: order.id, status: 'PENDING_PAYMENT', transactionId: null },
    data: { ...data, status: 'PAID' },
  });
  let paidAfterClose = false;
  if (fromPending.count === 0) {
    const fromClosed = await tx.order.updateMany({
      where: { id: order.id, status: 'CLOSED', transactionId: null },
      data: { ...data, status: 'PAID', paidAfterClose: true },
    });
    paidAfterClose = fromClosed.count === 1;
  }
  if (report.notificationId) await recordEvent(tx, order.id, 'NOTIFY_RECEIVED', report);
  if (fromPending.count === 0) {
    if (!paidAfterClose) {
      const current = (await tx.order.findUnique({ where: { id: order.id } }))!;
      if (current.transactionId === t.transaction_id) {
        if (report.notificationId)
          await recordEvent(tx, order.id, 'NOTIFY_DUPLICATE', { ...report, decision: 'already paid' });
        return { kind: 'already', order: current };
      }
      // a second, different transaction for one out_trade_no: WeChat does not do this; keep it for admins
      const reason = `order already paid by transaction ${current.transactionId ?? '(none)'}`;
      ctx.logger.error(
        { ...report, orderNo: order.orderNo, reason },
        'payment does not match the order: nothing settled',
      );
      await recordEvent(tx, order.id, 'PAYMENT_MISMATCH', { ...report, reason });
      return { kind: 'mismatch', order: current, reason };
    }
  }
  await recordEvent(tx, order.id, 'PAYMENT_SETTLED', { ...report, paidAfterClose });
  if (paidAfterClose) {
    const short = await reReserveStock(tx, order.id);
    await recordEvent(tx, order.id, 'PAID_AFTER_CLOSE', {
      ...report,
      closedAt: order.closedAt?.toISOString() ?? null,
      stockShort: short,
    });
  }
  const settled = (await tx.order.findUnique({ where: { id: order.id } }))!;
  return { kind: 'settled', order: settled, paidAfterClose };
}

/**
 * Runs `work` in one transaction that first stores the notification id (when there is one).
 * Returns false when that id was already stored: a redelivery, nothing done.
 */
async function markNotification(
  ctx: AppContext,
  opts: SettleOptions,
  orderNo: string,
  work: (tx: Prisma.TransactionClient) => Promise<void>,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(ctx, opts, orderNo, work);
    } catch (err) {
      // P2034: PostgreSQL chose this transaction as a deadlock victim or saw a write conflict;
      // the whole transaction rolled back, so running it again is safe
      if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2034') || attempt >= 3) throw err;
      ctx.logger.warn({ orderNo, attempt }, 'settlement transaction conflicted; retrying');
    }
  }
}

function inTransaction(
  ctx: AppContext,
  opts: SettleOptions,
  orderNo: string,
  work: (tx: Prisma.TransactionClient) => Promise<void>,
): Promise<boolean> {
  return ctx.prisma.$transaction(
    async (tx) => {
      if (opts.notificationId) {
        const inserted = await tx.processedNotification.createMany({
          data: [{ id: opts.notificationId, eventType: opts.eventType ?? 'TRANSACTION.SUCCESS', orderNo }],
          skipDuplicates: true,
        });
        if (inserted.count === 0) return false;
      }
      await work(tx);
      return true;
    },
    { maxWait: 10_000, timeout: 20_000 },
  );
}
