import type { RefundRequestStatus } from '../db/index.js';
import type { AppContext } from '../context.js';
import { NEWEST_FIRST, newestFirstAfter, newestFirstPage } from '../http/cursor.js';
import { serializeRefundRequest } from './serialize.js';

/** Where an order stands after a refund: what the admin who issued it sees beside it. */
export function refundedOrderSummary(ctx: AppContext, orderId: string) {
  return ctx.prisma.order.findUniqueOrThrow({
    where: { id: orderId },
    select: { orderNo: true, status: true, refundedFen: true, totalFen: true },
  });
}

/** Shoppers' refund requests, newest first, with the order each is about. */
export async function listRefundRequests(
  ctx: AppContext,
  q: { status?: RefundRequestStatus | undefined; cursor?: string | undefined; limit: number },
) {
  const after = newestFirstAfter(q.cursor);
  const rows = await ctx.prisma.refundRequest.findMany({
    where: {
      ...(q.status ? { status: q.status } : {}),
      ...after,
    },
    include: {
      order: {
        select: {
          orderNo: true,
          status: true,
          totalFen: true,
          refundedFen: true,
          user: { select: { openid: true } },
        },
      },
    },
    orderBy: NEWEST_FIRST,
    take: q.limit + 1,
  });
  const { page, nextCursor } = newestFirstPage(rows, q.limit);
  return {
    items: page.map((r) => ({
      ...serializeRefundRequest(r),
      orderNo: r.order.orderNo,
      orderStatus: r.order.status,
      totalFen: r.order.totalFen,
      refundedFen: r.order.refundedFen,
      openid: r.order.user.openid,
    })),
    nextCursor,
  };
}

/** How many shoppers' refund requests wait for an admin: the badge on the admin's pages. */
export async function refundRequestsSummary(ctx: AppContext): Promise<{ requested: number }> {
  return { requested: await ctx.prisma.refundRequest.count({ where: { status: 'REQUESTED' } }) };
}
