import { isPaidStatus, refundableFen, type OrderStatus } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Refund } from '../db/index.js';
import { AppError } from '../errors.js';
import { recordEvent } from '../orders/events.js';
import { WechatPayError, type RefundResult } from '../payments/wechatpay-types.js';
import { newOutRefundNo } from './out-refund-no.js';
import { applyRefundReport, lockOrder, RESERVING_REFUND_STATUSES, type RefundSource } from './settle.js';

export const REFUND_NOTIFY_PATH = '/api/pay/notify/refund';

export function reportOf(r: RefundResult) {
  return {
    status: r.status,
    refundId: r.refund_id,
    outRefundNo: r.out_refund_no,
    outTradeNo: r.out_trade_no,
    refundFen: r.amount.refund,
    successTime: r.success_time,
  };
}

/**
 * WeChat certainly did not take the refund: a verified 4xx answer that is not "try again later".
 * An answer that fails verification proves nothing (WeChat may have accepted): it stays PENDING.
 */
function definitelyRefused(err: unknown): err is WechatPayError {
  return (
    err instanceof WechatPayError &&
    err.status >= 400 &&
    err.status < 500 &&
    !err.retryable &&
    err.code !== 'BAD_SIGNATURE'
  );
}

function describe(err: unknown) {
  return err instanceof WechatPayError
    ? { code: err.code, status: err.status, message: err.message, retryable: err.retryable }
    : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

/**
 * An admin refunds part or all of a paid order. The amount is reserved first — in one transaction
 * with the order row locked, refunds still in flight counted — so no number of concurrent requests
 * can refund more than was paid; only then is WeChat asked.
 */
export async function createAdminRefund(
  ctx: AppContext,
  input: { orderNo: string; amountFen: number; reason: string; adminUsername: string },
): Promise<{ refund: Refund; accepted: boolean }> {
  const refund = await ctx.prisma.$transaction(async (tx) => {
    const order = await lockOrder(tx, { orderNo: input.orderNo });
    if (!order) throw new AppError('NOT_FOUND', 404, `order ${input.orderNo} not found`);
    if (!isPaidStatus(order.status as OrderStatus)) {
      throw new AppError(
        'REFUND_NOT_ALLOWED',
        409,
        `order ${order.orderNo} is ${order.status}: only paid orders can be refunded`,
      );
    }
    const inFlight = await tx.refund.findMany({
      where: { orderId: order.id, status: { in: [...RESERVING_REFUND_STATUSES] } },
      select: { status: true, amountFen: true },
    });
    const refundable = refundableFen(
      { status: order.status as OrderStatus, totalFen: order.totalFen, refundedFen: order.refundedFen },
      inFlight,
    );
    if (input.amountFen > refundable) {
      const inFlightFen = inFlight.reduce((sum, r) => sum + r.amountFen, 0);
      throw new AppError(
        'REFUND_EXCEEDS_PAID',
        422,
        `refund of ${input.amountFen} fen exceeds what is left to refund (${refundable} fen: paid ${order.totalFen}, refunded ${order.refundedFen}, in progress ${inFlightFen})`,
        { refundableFen: refundable },
      );
    }
    const created = await tx.refund.create({
      data: {
        orderId: order.id,
        outRefundNo: newOutRefundNo(ctx.now()),
        amountFen: input.amountFen,
        reason: input.reason,
        requestedBy: `admin:${input.adminUsername}`,
      },
    });
    const approved = await tx.refundRequest.updateMany({
      where: { orderId: order.id, status: 'REQUESTED' },
      data: { status: 'APPROVED', decidedAt: ctx.now() },
    });
    await recordEvent(tx, order.id, 'REFUND_REQUESTED', {
      outRefundNo: created.outRefundNo,
      amountFen: created.amountFen,
      reason: created.reason,
      by: input.adminUsername,
      refundableFenBefore: refundable,
      shopperRequestsApproved: approved.count,
    });
    return created;
  });
  const accepted = await submitRefund(ctx, refund, input.orderNo, 'create');
  const latest = await ctx.prisma.refund.findUniqueOrThrow({ where: { id: refund.id } });
  return { refund: latest, accepted };
}

/**
 * Sends (or re-sends: WeChat dedupes by out_refund_no) a PENDING refund. A refusal closes it and
 * frees its amount; no answer at all leaves it PENDING for the refund query to resolve.
 */
async function submitRefund(ctx: AppContext, refund: Refund, orderNo: string, source: RefundSource): Promise<boolean> {
  const order = await ctx.prisma.order.findUniqueOrThrow({ where: { id: refund.orderId }, select: { totalFen: true } });
  let result: RefundResult;
  try {
    result = await ctx.wechatpay.createRefund({
      outTradeNo: orderNo,
      outRefundNo: refund.outRefundNo,
      reason: refund.reason,
      notifyUrl: ctx.publicBaseUrl + REFUND_NOTIFY_PATH,
      refundFen: refund.amountFen,
      totalFen: order.totalFen,
    });
  } catch (err) {
    const refused = definitelyRefused(err);
    await recordEvent(ctx.prisma, refund.orderId, 'REFUND_FAILED', {
      outRefundNo: refund.outRefundNo,
      source,
      error: describe(err),
      decision: refused
        ? 'refused by WeChat: refund closed, its amount is refundable again'
        : 'no answer: stays PENDING, the refund query resolves it',
    });
    if (!refused) {
      ctx.logger.warn(
        { outRefundNo: refund.outRefundNo, err: describe(err) },
        'refund not confirmed by WeChat; left PENDING',
      );
      return false;
    }
    await ctx.prisma.refund.updateMany({ where: { id: refund.id, status: 'PENDING' }, data: { status: 'CLOSED' } });
    if (source !== 'create') return false;
    throw mapRefusal(err);
  }
  await recordEvent(ctx.prisma, refund.orderId, 'REFUND_RESULT', {
    outRefundNo: refund.outRefundNo,
    source,
    refundId: result.refund_id,
    status: result.status,
    amount: result.amount,
  });
  await applyRefundReport(ctx, refund, reportOf(result), source);
  return true;
}

function mapRefusal(err: WechatPayError): AppError {
  if (err.code === 'NOT_ENOUGH') {
    return new AppError(
      'REFUND_BALANCE_INSUFFICIENT',
      409,
      'the merchant account balance cannot cover this refund now (WeChat Pay NOT_ENOUGH): top it up and retry',
    );
  }
  return new AppError('WECHATPAY_REJECTED', 409, `WeChat Pay refused the refund (${err.code}): ${err.message}`);
}

/**
 * Asks WeChat how an unfinished refund stands and applies the answer. A PENDING refund WeChat does
 * not know is sent again once it is old enough for the first attempt to have ended.
 * Claimed by a conditional update on lastQueriedAt, so several processes never query one refund at once.
 */
export async function syncRefund(
  ctx: AppContext,
  refund: Refund,
  opts: { throttleMs: number; resubmitAfterMs: number },
): Promise<boolean> {
  const now = ctx.now();
  const claimed = await ctx.prisma.refund.updateMany({
    where: {
      id: refund.id,
      status: { in: ['PENDING', 'PROCESSING'] },
      OR: [{ lastQueriedAt: null }, { lastQueriedAt: { lte: new Date(now.getTime() - opts.throttleMs) } }],
    },
    data: { lastQueriedAt: now },
  });
  if (claimed.count === 0) return false;
  const order = await ctx.prisma.order.findUniqueOrThrow({ where: { id: refund.orderId }, select: { orderNo: true } });
  let result: RefundResult;
  try {
    result = await ctx.wechatpay.queryRefund(refund.outRefundNo);
  } catch (err) {
    const unknownAtWechat = err instanceof WechatPayError && (err.code === 'RESOURCE_NOT_EXISTS' || err.status === 404);
    if (
      unknownAtWechat &&
      refund.status === 'PENDING' &&
      now.getTime() - refund.createdAt.getTime() >= opts.resubmitAfterMs
    ) {
      await recordEvent(ctx.prisma, refund.orderId, 'REFUND_RESULT', {
        outRefundNo: refund.outRefundNo,
        source: 'query',
        status: 'NOT_FOUND',
        decision: 'WeChat never received it: sending it again with the same out_refund_no',
      });
      return submitRefund(ctx, refund, order.orderNo, 'query');
    }
    await recordEvent(ctx.prisma, refund.orderId, 'REFUND_FAILED', {
      outRefundNo: refund.outRefundNo,
      source: 'query',
      error: describe(err),
    });
    return false;
  }
  await recordEvent(ctx.prisma, refund.orderId, 'REFUND_RESULT', {
    outRefundNo: refund.outRefundNo,
    source: 'query',
    refundId: result.refund_id,
    status: result.status,
    amount: result.amount,
  });
  return applyRefundReport(ctx, refund, reportOf(result), 'query');
}

/** One round of the refund query job: unfinished refunds older than minAgeMs, oldest first. */
export async function runRefundQueries(
  ctx: AppContext,
  opts: { minAgeMs?: number; throttleMs?: number; resubmitAfterMs?: number; batch?: number } = {},
): Promise<{ checked: number; changed: number }> {
  const now = ctx.now().getTime();
  const due = await ctx.prisma.refund.findMany({
    where: {
      status: { in: ['PENDING', 'PROCESSING'] },
      createdAt: { lte: new Date(now - (opts.minAgeMs ?? 60_000)) },
      OR: [{ lastQueriedAt: null }, { lastQueriedAt: { lte: new Date(now - (opts.throttleMs ?? 60_000)) } }],
    },
    orderBy: { createdAt: 'asc' },
    take: opts.batch ?? 50,
  });
  let changed = 0;
  for (const refund of due) {
    try {
      if (
        await syncRefund(ctx, refund, {
          throttleMs: opts.throttleMs ?? 60_000,
          resubmitAfterMs: opts.resubmitAfterMs ?? 60_000,
        })
      )
        changed++;
    } catch (err) {
      ctx.logger.error({ err, outRefundNo: refund.outRefundNo }, 'refund query failed');
    }
  }
  return { checked: due.length, changed };
}

/** A shopper asks for a refund of their paid order; admins decide. One open request per order. */
export async function requestRefundByShopper(
  ctx: AppContext,
  input: { orderNo: string; userId: string; reason: string },
) {
  return ctx.prisma.$transaction(async (tx) => {
    const locked = await lockOrder(tx, { orderNo: input.orderNo });
    const order = locked && (await tx.order.findFirst({ where: { id: locked.id, userId: input.userId } }));
    if (!locked || !order) throw new AppError('NOT_FOUND', 404, `order ${input.orderNo} not found`);
    if (!isPaidStatus(order.status as OrderStatus) || order.refundedFen >= order.totalFen) {
      throw new AppError(
        'REFUND_NOT_ALLOWED',
        409,
        `order ${order.orderNo} is ${order.status}: there is nothing to refund`,
      );
    }
    const open = await tx.refundRequest.findFirst({ where: { orderId: order.id, status: 'REQUESTED' } });
    if (open) throw new AppError('CONFLICT', 409, 'a refund request for this order is already waiting for an answer');
    const request = await tx.refundRequest.create({ data: { orderId: order.id, reason: input.reason } });
    await recordEvent(tx, order.id, 'REFUND_REQUESTED_BY_SHOPPER', { requestId: request.id, reason: input.reason });
    return request;
  });
}

/** An admin turns a shopper's open refund request down; the shopper may ask again later. */
export async function rejectRefundRequest(
  ctx: AppContext,
  input: { requestId: string; reason: string; adminUsername: string },
) {
  return ctx.prisma.$transaction(async (tx) => {
    const request = await tx.refundRequest.findUnique({ where: { id: input.requestId } });
    if (!request) throw new AppError('NOT_FOUND', 404, 'refund request not found');
    const decided = await tx.refundRequest.updateMany({
      where: { id: request.id, status: 'REQUESTED' },
      data: { status: 'REJECTED', decidedAt: ctx.now() },
    });
    if (decided.count === 0)
      throw new AppError('CONFLICT', 409, `this refund request was already ${request.status.toLowerCase()}`);
    await recordEvent(tx, request.orderId, 'REFUND_REQUEST_REJECTED', {
      requestId: request.id,
      reason: input.reason,
      by: input.adminUsername,
    });
    return tx.refundRequest.findUniqueOrThrow({ where: { id: request.id } });
  });
}
