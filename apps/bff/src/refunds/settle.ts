import { statusAfterRefunds } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Prisma, Refund } from '../db/index.js';
import { recordEvent } from '../orders/events.js';
import type { RefundStatusAtWechat } from '../payments/wechatpay-types.js';

/** Refund statuses whose money is (or may still be) on its way back: they hold their amount. */
export const RESERVING_REFUND_STATUSES = ['PENDING', 'PROCESSING', 'ABNORMAL'] as const;

export type RefundSource = 'create' | 'notify' | 'query';

/** What WeChat says about one refund, from the create answer, a query or a notification. */
export interface RefundReport {
  status: RefundStatusAtWechat;
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  refundFen: number;
  successTime?: string | undefined;
}

type Tx = Prisma.TransactionClient;

/** Locks the order row: every change of refunds and refundedFen of one order is serialised on it. */
export async function lockOrder(tx: Tx, where: { id: string } | { orderNo: string }) {
  const rows =
    'id' in where
      ? await tx.$queryRaw<
          LockedOrder[]
        >`SELECT id, "orderNo", status::text AS status, "totalFen", "refundedFen" FROM "Order" WHERE id = ${where.id}::uuid FOR UPDATE`
      : await tx.$queryRaw<
          LockedOrder[]
        >`SELECT id, "orderNo", status::text AS status, "totalFen", "refundedFen" FROM "Order" WHERE "orderNo" = ${where.orderNo} FOR UPDATE`;
  return rows[0];
}

export interface LockedOrder {
  id: string;
  orderNo: string;
  status: string;
  totalFen: number;
  refundedFen: number;
}

/**
 * Applies WeChat's word on a refund, exactly once per transition: the refund row moves only by a
 * conditional update on its current status, and refundedFen grows only on the move to SUCCESS,
 * in the same transaction, with the order row locked. Answers whether anything changed.
 */
export async function applyRefundReport(
  ctx: AppContext,
  refund: Refund,
  report: RefundReport,
  source: RefundSource,
): Promise<boolean> {
  const changed = await applyOnce(ctx, refund, report, source);
  if (changed) ctx.metrics.refunds.inc({ status: report.status, source });
  return changed;
}

async function applyOnce(
  ctx: AppContext,
  refund: Refund,
  report: RefundReport,
  source: RefundSource,
): Promise<boolean> {
  if (report.outRefundNo !== refund.outRefundNo || report.refundFen !== refund.amountFen) {
    await recordEvent(ctx.prisma, refund.orderId, 'REFUND_FAILED', {
      outRefundNo: refund.outRefundNo,
      source,
      decision: 'ignored: WeChat reports another refund number or amount',
      reported: { outRefundNo: report.outRefundNo, refundFen: report.refundFen, status: report.status },
      expected: { outRefundNo: refund.outRefundNo, amountFen: refund.amountFen },
    });
    ctx.logger.error({ outRefundNo: refund.outRefundNo, source }, 'refund report does not match the local refund');
    return false;
  }
  switch (report.status) {
    case 'SUCCESS':
      return settleRefund(ctx, refund, report, source);
    case 'PROCESSING': {
      const moved = await ctx.prisma.refund.updateMany({
        where: { id: refund.id, status: 'PENDING' },
        data: { status: 'PROCESSING', refundId: report.refundId },
      });
      return moved.count > 0;
    }
    case 'CLOSED':
    case 'ABNORMAL':
      return ctx.prisma.$transaction(async (tx) => {
        await lockOrder(tx, { id: refund.orderId });
        const from = report.status === 'CLOSED' ? ['PENDING', 'PROCESSING', 'ABNORMAL'] : ['PENDING', 'PROCESSING'];
        const moved = await tx.refund.updateMany({
          where: { id: refund.id, status: { in: from as Refund['status'][] } },
          data: { status: report.status, refundId: report.refundId },
        });
        if (moved.count === 0) return false;
        await recordEvent(tx, refund.orderId, 'REFUND_FAILED', {
          outRefundNo: refund.outRefundNo,
          refundId: report.refundId,
          status: report.status,
          source,
          decision:
            report.status === 'CLOSED'
              ? 'refund closed by WeChat: its amount is refundable again'
              : 'refund abnormal (e.g. the card is closed): handle it on the merchant platform; its amount stays reserved',
        });
        return true;
      });
  }
}

async function settleRefund(
  ctx: AppContext,
  refund: Refund,
  report: RefundReport,
  source: RefundSource,
): Promise<boolean> {
  const succeededAt = report.successTime ? new Date(report.successTime) : ctx.now();
  return ctx.prisma.$transaction(async (tx) => {
    const order = await lockOrder(tx, { id: refund.orderId });
    if (!order) throw new Error(`order ${refund.orderId} of refund ${refund.outRefundNo} is missing`);
    const moved = await tx.refund.updateMany({
      where: { id: refund.id, status: { in: [...RESERVING_REFUND_STATUSES] } },
      data: {
        status: 'SUCCESS',
        refundId: report.refundId,
        succeededAt: Number.isNaN(succeededAt.getTime()) ? ctx.now() : succeededAt,
      },
    });
    if (moved.count === 0) return false;
    const refundedFen = order.refundedFen + refund.amountFen;
    const status = statusAfterRefunds(order.totalFen, refundedFen);
    await tx.order.update({ where: { id: order.id }, data: { refundedFen, status, version: { increment: 1 } } });
    await recordEvent(tx, order.id, 'REFUND_SETTLED', {
      outRefundNo: refund.outRefundNo,
      refundId: report.refundId,
      amountFen: refund.amountFen,
      refundedFen,
      status,
      source,
    });
    return true;
  });
}
