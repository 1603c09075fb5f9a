import type { AppContext } from '../context.js';
import type { Order } from '../db/index.js';
import { closeOrder, queryAndSettle } from './sync.js';
import { WechatPayError } from '../payments/wechatpay-types.js';

export interface JobSettings {
  /** an unpaid order with a prepay this old has a late notification: ask WeChat */
  lateAfterMs: number;
  /** and ask again no sooner than this (also the lease one process holds on an order) */
  requeryAfterMs: number;
  /** orders claimed per run and job */
  batchSize: number;
}

export const DEFAULT_JOB_SETTINGS: JobSettings = { lateAfterMs: 60_000, requeryAfterMs: 60_000, batchSize: 50 };

/**
 * Claims up to `batchSize` orders for this process: SELECT … FOR UPDATE SKIP LOCKED picks rows no
 * other process is claiming at this instant, and stamping lastQueriedAt in the same transaction
 * keeps them ours (a lease of requeryAfterMs) while WeChat is called outside any transaction.
 */
async function claim(ctx: AppContext, kind: 'late' | 'expired', now: Date, s: JobSettings): Promise<string[]> {
  const leaseBefore = new Date(now.getTime() - s.requeryAfterMs);
  return ctx.prisma.$transaction(async (tx) => {
    const rows =
      kind === 'late'
        ? await tx.$queryRaw<{ id: string }[]>`
            SELECT id FROM "Order"
            WHERE status = 'PENDING_PAYMENT' AND "prepayId" IS NOT NULL
              AND "expiresAt" > ${now}
              AND "createdAt" <= ${new Date(now.getTime() - s.lateAfterMs)}
              AND ("lastQueriedAt" IS NULL OR "lastQueriedAt" < ${leaseBefore})
            ORDER BY "createdAt" LIMIT ${s.batchSize}
            FOR UPDATE SKIP LOCKED`
        : await tx.$queryRaw<{ id: string }[]>`
            SELECT id FROM "Order"
            WHERE status = 'PENDING_PAYMENT' AND "expiresAt" <= ${now}
              AND ("lastQueriedAt" IS NULL OR "lastQueriedAt" < ${leaseBefore})
            ORDER BY "expiresAt" LIMIT ${s.batchSize}
            FOR UPDATE SKIP LOCKED`;
    const ids = rows.map((r) => r.id);
    if (ids.length) await tx.order.updateMany({ where: { id: { in: ids } }, data: { lastQueriedAt: now } });
    return ids;
  });
}

async function claimed(ctx: AppContext, ids: string[]): Promise<Order[]> {
  return ids.length ? ctx.prisma.order.findMany({ where: { id: { in: ids } } }) : [];
}

/** Unpaid orders whose notification is late: ask WeChat, settle what was paid. */
export async function queryLatePayments(ctx: AppContext, s: JobSettings = DEFAULT_JOB_SETTINGS) {
  const now = ctx.now();
  let settled = 0;
  const orders = await claimed(ctx, await claim(ctx, 'late', now, s));
  for (const order of orders) {
    const outcome = await queryAndSettle(ctx, order, 'query');
    if (outcome?.kind === 'settled') settled += 1;
  }
  return { queried: orders.length, settled };
}

/** Expired unpaid orders: closed at WeChat, then here (stock back); "already paid" settles instead. */
export async function closeExpiredOrders(ctx: AppContext, s: JobSettings = DEFAULT_JOB_SETTINGS) {
  const now = ctx.now();
  let closed = 0;
  let paid = 0;
  let failed = 0;
  for (const order of await claimed(ctx, await claim(ctx, 'expired', now, s))) {
    try {
      const outcome = await closeOrder(ctx, order, 'close');
      if (outcome.kind === 'closed') closed += 1;
      if (outcome.kind === 'paid') paid += 1;
    } catch (err) {
      failed += 1;
      // the lease runs out and a later run tries again
      ctx.logger.warn(
        {
          orderNo: order.orderNo,
          code: err instanceof WechatPayError ? err.code : undefined,
          err: err instanceof WechatPayError ? undefined : err,
        },
        'closing an expired order failed; it will be retried',
      );
    }
  }
  return { closed, paid, failed };
}

export interface JobsRunResult {
  latePayments: { queried: number; settled: number };
  expiredOrders: { closed: number; paid: number; failed: number };
}

/** One pass of every payment job. Safe to run in every BFF process at once (see claim above). */
export async function runJobsOnce(ctx: AppContext, settings: Partial<JobSettings> = {}): Promise<JobsRunResult> {
  const s = { ...DEFAULT_JOB_SETTINGS, ...settings };
  const latePayments = await queryLatePayments(ctx, s);
  const expiredOrders = await closeExpiredOrders(ctx, s);
  return { latePayments, expiredOrders };
}

/** The payment jobs as the scheduler runs them: a pass that did something is logged. */
export async function runPaymentJobs(ctx: AppContext): Promise<void> {
  const result = await runJobsOnce(ctx);
  const busy =
    result.latePayments.queried + result.expiredOrders.closed + result.expiredOrders.paid + result.expiredOrders.failed;
  if (busy > 0) ctx.logger.info(result, 'payment jobs ran');
}
