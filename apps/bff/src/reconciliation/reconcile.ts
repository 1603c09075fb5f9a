import { isPaidStatus, shanghaiDate, shanghaiDayStart, type OrderStatus } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Prisma, ReconciliationRun } from '../db/index.js';
import { recordEvent } from '../orders/events.js';
import { parseTradeBill, type BillPayment, type BillRefund } from './bill.js';

export type DiffKind = 'MISSING_LOCAL' | 'MISSING_REMOTE' | 'AMOUNT_MISMATCH' | 'STATE_MISMATCH';

export interface Diff {
  orderNo: string;
  kind: DiffKind;
  local: Record<string, unknown> | null;
  remote: Record<string, unknown> | null;
}

export const BILL_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar date, not in the future of Asia/Shanghai (WeChat has no bill for it yet). */
export function checkBillDate(billDate: string, now: Date): string | undefined {
  if (
    !BILL_DATE_PATTERN.test(billDate) ||
    Number.isNaN(Date.parse(`${billDate}T00:00:00Z`)) ||
    new Date(`${billDate}T00:00:00Z`).toISOString().slice(0, 10) !== billDate
  ) {
    return 'billDate must be a date as YYYY-MM-DD';
  }
  if (billDate > shanghaiDate(now)) return 'billDate is in the future: WeChat Pay has no bill for it';
  return undefined;
}

/**
 * 对账: download the day's trade bill (its SHA1 checked by the client), compare it with the orders
 * paid and the refunds accepted (not settled) that Asia/Shanghai day, as the bill lists them, store the run and its differences, and leave
 * a RECONCILIATION_DIFF event on every order concerned.
 */
export async function reconcile(
  ctx: AppContext,
  billDate: string,
  startedBy: string,
  existingRun?: ReconciliationRun,
): Promise<ReconciliationRun> {
  const run =
    existingRun ?? (await ctx.prisma.reconciliationRun.create({ data: { billDate, status: 'RUNNING', startedBy } }));
  try {
    const bill = await ctx.wechatpay.downloadTradeBill(billDate);
    const parsed = bill ? parseTradeBill(bill.csv) : { payments: [], refunds: [], summary: {} };
    const diffs = [
      ...(await comparePayments(ctx, billDate, parsed.payments)),
      ...(await compareRefunds(ctx, billDate, parsed.refunds)),
    ];
    const localCount = await ctx.prisma.order.count({ where: paidOnDay(billDate) });
    const done = await ctx.prisma.$transaction(async (tx) => {
      if (diffs.length) {
        await tx.reconciliationDiff.createMany({
          data: diffs.map((d) => ({
            runId: run.id,
            orderNo: d.orderNo,
            kind: d.kind,
            local: json(d.local),
            remote: json(d.remote),
          })),
        });
      }
      const orders = await tx.order.findMany({
        where: { orderNo: { in: [...new Set(diffs.map((d) => d.orderNo))] } },
        select: { id: true, orderNo: true },
      });
      for (const o of orders) {
        for (const d of diffs.filter((x) => x.orderNo === o.orderNo)) {
          await recordEvent(tx, o.id, 'RECONCILIATION_DIFF', {
            runId: run.id,
            billDate,
            kind: d.kind,
            local: d.local,
            remote: d.remote,
          });
        }
      }
      return tx.reconciliationRun.update({
        where: { id: run.id },
        data: {
          status: 'DONE',
          billSha1: bill?.sha1 ?? null,
          remoteCount: parsed.payments.length + parsed.refunds.length,
          localCount,
          diffCount: diffs.length,
          finishedAt: ctx.now(),
        },
      });
    });
    const metrics = ctx.metrics;
    metrics.reconciliationRuns.inc({ status: 'DONE' });
    for (const d of diffs) metrics.reconciliationDiffs.inc({ kind: d.kind });
    if (diffs.length)
      ctx.logger.warn({ billDate, runId: run.id, diffs: diffs.length }, 'reconciliation found differences');
    return done;
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    ctx.logger.error({ err, billDate, runId: run.id }, 'reconciliation failed');
    ctx.metrics.reconciliationRuns.inc({ status: 'FAILED' });
    return ctx.prisma.reconciliationRun.update({
      where: { id: run.id },
      data: { status: 'FAILED', error: message.slice(0, 500), finishedAt: ctx.now() },
    });
  }
}

const json = (v: Record<string, unknown> | null) => (v === null ? undefined : (v as Prisma.InputJsonValue));

function dayRange(billDate: string) {
  const gte = shanghaiDayStart(billDate);
  return { gte, lt: new Date(gte.getTime() + 86_400_000) };
}

const paidOnDay = (billDate: string): Prisma.OrderWhereInput => ({ paidAt: dayRange(billDate) });

async function comparePayments(ctx: AppContext, billDate: string, remote: BillPayment[]): Promise<Diff[]> {
  const diffs: Diff[] = [];
  const paidThatDay = await ctx.prisma.order.findMany({
    where: paidOnDay(billDate),
    select: { orderNo: true, status: true, totalFen: true, transactionId: true, paidAt: true },
  });
  const remoteNos = [...new Set(remote.map((p) => p.outTradeNo))];
  const known = await ctx.prisma.order.findMany({
    where: { orderNo: { in: remoteNos } },
    select: { orderNo: true, status: true, totalFen: true, transactionId: true, paidAt: true },
  });
  const localByNo = new Map([...paidThatDay, ...known].map((o) => [o.orderNo, o]));
  const view = (o: (typeof known)[number]) => ({
    status: o.status,
    totalFen: o.totalFen,
    transactionId: o.transactionId,
    paidAt: o.paidAt?.toISOString() ?? null,
  });
  const remoteView = (p: BillPayment) => ({
    tradeState: p.tradeState,
    totalFen: p.totalFen,
    transactionId: p.transactionId,
    tradeTime: p.tradeTime,
  });

  for (const p of remote) {
    const local = localByNo.get(p.outTradeNo);
    if (!local) {
      diffs.push({ orderNo: p.outTradeNo, kind: 'MISSING_LOCAL', local: null, remote: remoteView(p) });
      continue;
    }
    const paidHere = isPaidStatus(local.status as OrderStatus);
    const paidThere = p.tradeState === 'SUCCESS';
    if (paidHere !== paidThere || (p.transactionId && local.transactionId && p.transactionId !== local.transactionId)) {
      diffs.push({ orderNo: p.outTradeNo, kind: 'STATE_MISMATCH', local: view(local), remote: remoteView(p) });
    } else if (p.totalFen !== local.totalFen) {
      diffs.push({ orderNo: p.outTradeNo, kind: 'AMOUNT_MISMATCH', local: view(local), remote: remoteView(p) });
    }
  }
  const inBill = new Set(remoteNos);
  for (const o of paidThatDay) {
    if (!inBill.has(o.orderNo))
      diffs.push({ orderNo: o.orderNo, kind: 'MISSING_REMOTE', local: view(o), remote: null });
  }
  return diffs;
}

/**
 * A day's bill lists the refunds WeChat accepted that day, settled or not, with 退款状态 as it was
 * when the bill was made and never updated (交易账单详细说明,
 * https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html: 当天发起退款成功的
 * 退款单，退款发起成功就会出账，出账后退款状态不会更新). So a refund settled the next day is in the day
 * it was accepted, and a bill's PROCESSING is no difference with a refund that has settled, or failed,
 * since. What the bill does prove is a settled refund: SUCCESS there while here it is still open
 * (its result never reached us) or closed/abnormal is a difference.
 */
async function compareRefunds(ctx: AppContext, billDate: string, remote: BillRefund[]): Promise<Diff[]> {
  const diffs: Diff[] = [];
  // a refund reaches the bill once WeChat accepted it, i.e. once it has WeChat's refund_id
  const acceptedThatDay = await ctx.prisma.refund.findMany({
    where: { createdAt: dayRange(billDate), refundId: { not: null } },
    include: { order: { select: { orderNo: true } } },
  });
  const known = await ctx.prisma.refund.findMany({
    where: { outRefundNo: { in: remote.map((r) => r.outRefundNo) } },
    include: { order: { select: { orderNo: true } } },
  });
  const localByNo = new Map([...acceptedThatDay, ...known].map((r) => [r.outRefundNo, r]));
  const view = (r: (typeof known)[number]) => ({
    outRefundNo: r.outRefundNo,
    refundId: r.refundId,
    amountFen: r.amountFen,
    status: r.status,
  });
  const remoteView = (r: BillRefund) => ({
    outRefundNo: r.outRefundNo,
    refundId: r.refundId,
    refundFen: r.refundFen,
    refundStatus: r.refundStatus,
    tradeTime: r.tradeTime,
  });
  for (const r of remote) {
    const local = localByNo.get(r.outRefundNo);
    if (!local) diffs.push({ orderNo: r.outTradeNo, kind: 'MISSING_LOCAL', local: null, remote: remoteView(r) });
    else if (
      local.order.orderNo !== r.outTradeNo ||
      (local.status === 'CLOSED' && !local.refundId) ||
      (r.refundStatus === 'SUCCESS' && local.status !== 'SUCCESS')
    ) {
      diffs.push({ orderNo: r.outTradeNo, kind: 'STATE_MISMATCH', local: view(local), remote: remoteView(r) });
    } else if (local.amountFen !== r.refundFen) {
      diffs.push({ orderNo: r.outTradeNo, kind: 'AMOUNT_MISMATCH', local: view(local), remote: remoteView(r) });
    }
  }
  const inBill = new Set(remote.map((r) => r.outRefundNo));
  for (const r of acceptedThatDay) {
    if (!inBill.has(r.outRefundNo))
      diffs.push({ orderNo: r.order.orderNo, kind: 'MISSING_REMOTE', local: view(r), remote: null });
  }
  return diffs;
}
