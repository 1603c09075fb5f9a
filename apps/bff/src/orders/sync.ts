import { statusesInto } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Order } from '../db/index.js';
import { AppError } from '../errors.js';
import { recordEvent } from './events.js';
import { releaseStock } from './stock.js';
import { settlePayment, type SettleOutcome, type SettleSource } from './settle.js';
import { asWechatPayError, WechatPayError } from '../payments/wechatpay-types.js';

/**
 * 查询订单 (the seed's step 20): asks WeChat how the order stands and settles it when the money
 * arrived. Every exchange is an event. Returns undefined when WeChat could not be asked.
 */
export async function queryAndSettle(
  ctx: AppContext,
  order: Order,
  source: SettleSource,
): Promise<SettleOutcome | undefined> {
  let transaction;
  try {
    transaction = await ctx.wechatpay.queryByOutTradeNo(order.orderNo);
  } catch (err) {
    const e = err instanceof WechatPayError ? err : undefined;
    await recordEvent(ctx.prisma, order.id, 'QUERY_FAILED', {
      source,
      code: e?.code ?? 'UNKNOWN',
      status: e?.status ?? 0,
    });
    if (e?.code === 'ORDER_NOT_EXIST') return { kind: 'not_paid', order };
    ctx.logger.warn({ orderNo: order.orderNo, source, code: e?.code }, 'query at WeChat Pay failed');
    return undefined;
  }
  await recordEvent(ctx.prisma, order.id, 'QUERY_RESULT', {
    source,
    tradeState: transaction.trade_state,
    transactionId: transaction.transaction_id ?? null,
    amountTotal: transaction.amount?.total ?? null,
  });
  return settlePayment(ctx, transaction, source);
}

export type CloseOutcome =
  | { kind: 'closed'; order: Order }
  /** WeChat answered ORDERPAID: the order was settled instead */
  | { kind: 'paid'; order: Order }
  /** already CLOSED or paid before we got to it */
  | { kind: 'unchanged'; order: Order };

/**
 * 关闭订单: at WeChat first, so nobody can pay it afterwards; then locally, releasing stock once.
 * "Already paid" (ORDERPAID) settles the order instead: WeChat's answer wins.
 * Throws WechatPayError when WeChat could not be reached (the caller retries later).
 */
export async function closeOrder(ctx: AppContext, order: Order, source: 'close' | 'cancel'): Promise<CloseOutcome> {
  // no prepay asked for (the mark is set by a conditional update before WeChat is called):
  // nothing can exist at WeChat, so closing here alone is safe
  const local = await closeLocally(ctx, order, source, true);
  if (local.kind === 'closed' || local.order.status !== 'PENDING_PAYMENT') return local;
  await recordEvent(ctx.prisma, order.id, 'CLOSE_REQUESTED', { source });
  try {
    await ctx.wechatpay.close(order.orderNo);
    await recordEvent(ctx.prisma, order.id, 'CLOSE_RESULT', { source, result: 'CLOSED' });
  } catch (err) {
    const e = asWechatPayError(err);
    await recordEvent(ctx.prisma, order.id, 'CLOSE_RESULT', {
      source,
      result: 'FAILED',
      code: e.code,
      status: e.status,
    });
    if (e.code === 'ORDERPAID') {
      const settled = await queryAndSettle(ctx, order, source);
      const current = (await ctx.prisma.order.findUnique({ where: { id: order.id } }))!;
      if (current.status !== 'PENDING_PAYMENT' && current.status !== 'CLOSED') return { kind: 'paid', order: current };
      // WeChat said paid but its query could not confirm it yet: leave the order open, retry later
      throw new WechatPayError(
        'ORDERPAID',
        e.status,
        `order is paid at WeChat Pay; settlement pending (${settled?.kind ?? 'query failed'})`,
        true,
      );
    }
    // ORDER_NOT_EXIST: the prepay never reached WeChat, or is still on its way (its request then
    // finds the order closed and closes it at WeChat itself)
    if (e.code !== 'ORDER_NOT_EXIST' && e.code !== 'ORDER_CLOSED') throw e;
  }
  return closeLocally(ctx, order, source, false);
}

/** The local close: CLOSED once, stock released once; `unsent` = only if no prepay was asked for. */
async function closeLocally(
  ctx: AppContext,
  order: Order,
  source: 'close' | 'cancel',
  unsent: boolean,
): Promise<CloseOutcome> {
  const now = ctx.now();
  return ctx.prisma.$transaction(async (tx) => {
    const closed = await tx.order.updateMany({
      where: {
        id: order.id,
        status: { in: statusesInto('CLOSED') },
        ...(unsent ? { prepayRequestedAt: null, prepayId: null } : {}),
      },
      data: { status: 'CLOSED', closedAt: now, version: { increment: 1 } },
    });
    if (closed.count === 0)
      return { kind: 'unchanged', order: (await tx.order.findUnique({ where: { id: order.id } }))! };
    await recordEvent(tx, order.id, 'ORDER_CLOSED', {
      source,
      reason: source === 'cancel' ? 'cancelled by shopper' : 'payment time limit passed',
    });
    await releaseStock(tx, order.id, now, source);
    return { kind: 'closed', order: (await tx.order.findUnique({ where: { id: order.id } }))! };
  });
}

/** Maps a WeChat Pay failure on a shopper's request to the error they see. */
export function wechatPayAppError(err: WechatPayError): AppError {
  if (err.retryable || err.code === 'BAD_SIGNATURE' || err.code === 'BAD_RESPONSE') {
    return new AppError('WECHATPAY_UNAVAILABLE', 502, 'WeChat Pay is unavailable right now, please retry in a moment');
  }
  return new AppError('WECHATPAY_REJECTED', 502, `WeChat Pay refused the request (${err.code})`);
}
