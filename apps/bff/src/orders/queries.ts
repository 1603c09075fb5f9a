import type { FulfilmentStatus, OrderStatus, OrderSummary } from '@uni-checkout/shared';
import { fulfilmentWhere } from './fulfilment-view.js';
import type { AppContext } from '../context.js';
import type { Prisma } from '../db/index.js';
import { notFound } from '../errors.js';
import { NEWEST_FIRST, newestFirstAfter, newestFirstPage } from '../http/cursor.js';
import { LATE, withinDeadline } from '../http/deadline.js';
import { queryAndSettle } from './sync.js';
import { orderInclude, type OrderWithLines } from './dto.js';

/** The shopper's own order; anyone else's is "not found", never "forbidden" (no existence leak). */
export async function findOwnOrder(ctx: AppContext, userId: string, orderNo: string): Promise<OrderWithLines> {
  const order = await ctx.prisma.order.findUnique({ where: { orderNo }, include: orderInclude });
  if (!order || order.userId !== userId) throw notFound('order');
  return order;
}

/** 退款售后: money went back (in part or in whole), or the shopper's refund request waits for an answer. */
const AFTER_SALE: Prisma.OrderWhereInput = {
  OR: [{ status: { in: ['PARTIALLY_REFUNDED', 'REFUNDED'] } }, { refundRequests: { some: { status: 'REQUESTED' } } }],
};

export async function listOwnOrders(
  ctx: AppContext,
  userId: string,
  opts: {
    status?: OrderStatus;
    fulfilmentStatus?: FulfilmentStatus;
    afterSale?: boolean;
    cursor?: string;
    limit: number;
  },
): Promise<{ items: OrderWithLines[]; nextCursor: string | null }> {
  const after = newestFirstAfter(opts.cursor);
  const where: Prisma.OrderWhereInput = {
    userId,
    ...fulfilmentWhere(opts.fulfilmentStatus),
    ...(opts.status ? { status: opts.status } : {}),
    ...(opts.afterSale ? { AND: [AFTER_SALE] } : {}),
    ...after,
  };
  const rows = await ctx.prisma.order.findMany({
    where,
    include: orderInclude,
    orderBy: NEWEST_FIRST,
    take: opts.limit + 1,
  });
  const { page, nextCursor } = newestFirstPage(rows, opts.limit);
  return { items: page, nextCursor };
}

/** The shopper's orders counted as the list's filters count them: 待支付, 待发货, 待收货, 退款售后. */
export async function summarizeOwnOrders(ctx: AppContext, userId: string): Promise<OrderSummary> {
  const count = (where: Prisma.OrderWhereInput) => ctx.prisma.order.count({ where: { userId, ...where } });
  const [pendingPayment, toShip, toReceive, afterSale] = await Promise.all([
    count({ status: 'PENDING_PAYMENT' }),
    count(fulfilmentWhere('UNSHIPPED')),
    count(fulfilmentWhere('SHIPPED')),
    count(AFTER_SALE),
  ]);
  return { pendingPayment, toShip, toReceive, afterSale };
}

/** How long a read waits for WeChat's answer before answering with what it has. */
export const ACTIVE_QUERY_WAIT_MS = 2_500;

/** Ask WeChat about an unpaid order at most this often (per order, across all BFF processes). */
export const ACTIVE_QUERY_INTERVAL_MS = 3_000;

/**
 * While an order is unpaid and has a prepay, reading it asks WeChat (the seed's step 20) so a
 * lost notification never leaves a paid order unpaid. Throttled per order with a conditional
 * update of lastQueriedAt: of many concurrent readers, one asks; and per shopper
 * (SHOPPER_WECHAT_QUERIES_PER_MINUTE), so polling many orders cannot multiply WeChat Pay calls.
 */
export async function refreshFromWechat(ctx: AppContext, order: OrderWithLines): Promise<OrderWithLines> {
  if (order.status !== 'PENDING_PAYMENT' || !order.prepayId) return order;
  const now = ctx.now();
  // WeChat takes no payment after time_expire (= expiresAt); past it, the expiry job asks once
  // more when it closes the order, and a reader polling on must not keep renewing its lease
  if (now.getTime() > order.expiresAt.getTime() + ACTIVE_QUERY_INTERVAL_MS) return order;
  const claimed = await ctx.prisma.order.updateMany({
    where: {
      id: order.id,
      status: 'PENDING_PAYMENT',
      OR: [{ lastQueriedAt: null }, { lastQueriedAt: { lt: new Date(now.getTime() - ACTIVE_QUERY_INTERVAL_MS) } }],
    },
    data: { lastQueriedAt: now },
  });
  if (claimed.count === 0) return order;
  // and at most so often per shopper, whatever number of orders they poll: beyond it the read
  // answers what is stored (the notification, or the payment jobs' query, settles it meanwhile)
  if (!(await ctx.limits.shopperWechatQueries.take(order.userId)).allowed) return order;
  const query = queryAndSettle(ctx, order, 'query').catch((err: unknown) => {
    ctx.logger.warn({ err, orderNo: order.orderNo }, 'active query failed');
    return undefined;
  });
  // a result page polls this route: a slow WeChat must not hold it up — the query carries on
  // and settles in the background, and the next poll sees the result
  const outcome = await withinDeadline(query, ACTIVE_QUERY_WAIT_MS);
  if (outcome === LATE || (outcome?.kind !== 'settled' && outcome?.kind !== 'already')) return order;
  return (await ctx.prisma.order.findUnique({ where: { id: order.id }, include: orderInclude }))!;
}
