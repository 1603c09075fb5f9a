import type { AppContext } from '../context.js';
import { recordEvent } from '../orders/events.js';
import { failureOf, shippingClient } from './wechat-adapter.js';

/** Ask WeChat about one shipped order at most this often (per order, across all BFF processes). */
export const RECEIPT_CHECK_INTERVAL_MS = 5_000;
const JOB_CHECK_INTERVAL_MS = 10 * 60_000;

export type ReceiptOutcome = 'received' | 'already' | 'not-yet' | 'unknown';

async function markReceived(
  ctx: AppContext,
  orderId: string,
  via: 'WECHAT' | 'AUTO',
  payload: Record<string, unknown>,
) {
  const now = ctx.now();
  return ctx.prisma.$transaction(async (tx) => {
    // the conditional update makes RECEIVED happen once, whoever notices first
    const moved = await tx.order.updateMany({
      where: { id: orderId, fulfilmentStatus: 'SHIPPED' },
      data: { fulfilmentStatus: 'RECEIVED', version: { increment: 1 } },
    });
    if (moved.count === 0) return false;
    await tx.shipment.update({ where: { orderId }, data: { receivedAt: now, receivedVia: via } });
    await recordEvent(tx, orderId, 'RECEIVED', { via, ...payload });
    return true;
  });
}

/**
 * 确认收货 is WeChat's to say: the shopper confirms in WeChat's own component (or WeChat confirms
 * on its own after its deadline), and the BFF believes it when get_order reports order_state
 * 3 (确认收货), 4 (交易完成) or 6 (资金待结算).
 */
export async function checkReceipt(
  ctx: AppContext,
  order: { id: string; orderNo: string },
  reason: 'shopper' | 'job',
): Promise<ReceiptOutcome> {
  let found: Awaited<ReturnType<ReturnType<typeof shippingClient>['getShippingOrder']>>;
  try {
    found = await shippingClient(ctx).getShippingOrder({ outTradeNo: order.orderNo });
  } catch (err) {
    await recordEvent(ctx.prisma, order.id, 'SHIPPING_ORDER_QUERY_FAILED', { reason, ...failureOf(err) });
    return 'unknown';
  }
  await recordEvent(ctx.prisma, order.id, 'SHIPPING_ORDER_QUERIED', {
    orderState: found.orderState,
    state: found.state,
    reason,
  });
  if (!found.received) return 'not-yet';
  return (await markReceived(ctx, order.id, 'WECHAT', { orderState: found.orderState })) ? 'received' : 'already';
}

/**
 * The receipt job: reads get_order for shipped orders whose upload landed (a receipt confirmed
 * in WeChat, or WeChat's automatic one, lands here), and marks RECEIVED whatever WeChat says
 * once AUTO_RECEIVE_DAYS have passed since shipping.
 */
export async function runReceiptChecks(
  ctx: AppContext,
  batch = 20,
): Promise<{ checked: number; received: number; auto: number }> {
  const now = ctx.now();
  let auto = 0;
  const overdue = await ctx.prisma.shipment.findMany({
    where: {
      receivedAt: null,
      order: { fulfilmentStatus: 'SHIPPED' },
      shippedAt: { lte: new Date(now.getTime() - ctx.config.autoReceiveDays * 86_400_000) },
    },
    take: batch,
    select: { orderId: true, shippedAt: true },
  });
  for (const s of overdue) {
    if (await markReceived(ctx, s.orderId, 'AUTO', { autoReceiveDays: ctx.config.autoReceiveDays })) auto++;
  }

  const due = await ctx.prisma.shipment.findMany({
    where: {
      receivedAt: null,
      uploadState: 'UPLOADED',
      order: { fulfilmentStatus: 'SHIPPED' },
      OR: [{ lastCheckedAt: null }, { lastCheckedAt: { lt: new Date(now.getTime() - JOB_CHECK_INTERVAL_MS) } }],
    },
    orderBy: { shippedAt: 'asc' },
    take: batch,
    include: { order: { select: { id: true, orderNo: true } } },
  });
  let checked = 0;
  let received = 0;
  for (const s of due) {
    if (!(await claimCheck(ctx, s.id, s.lastCheckedAt, JOB_CHECK_INTERVAL_MS))) continue;
    checked++;
    if ((await checkReceipt(ctx, s.order, 'job')) === 'received') received++;
  }
  return { checked, received, auto };
}

/** One process asks WeChat about a shipment per interval: a conditional update of lastCheckedAt. */
export async function claimCheck(ctx: AppContext, shipmentId: string, seen: Date | null, intervalMs: number) {
  const now = ctx.now();
  const claimed = await ctx.prisma.shipment.updateMany({
    where: {
      id: shipmentId,
      OR: [{ lastCheckedAt: null }, { lastCheckedAt: { lt: new Date(now.getTime() - intervalMs) } }],
      ...(seen ? { lastCheckedAt: seen } : {}),
    },
    data: { lastCheckedAt: now },
  });
  return claimed.count === 1;
}
