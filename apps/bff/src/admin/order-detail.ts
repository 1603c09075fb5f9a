import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { withinDeadline } from '../http/deadline.js';
import { ACTIVE_QUERY_WAIT_MS } from '../orders/queries.js';
import { syncRefund } from '../refunds/refunds.js';
import { orderRelations, serializeAdminOrder } from './serialize.js';

// opening an order asks WeChat about its unfinished refunds, at most this often
const DETAIL_REFUND_QUERY_THROTTLE_MS = 5_000;

/** One order as an admin opens it: its unfinished refunds asked about at WeChat (briefly), then the order with its trail. */
export async function adminOrderDetail(
  ctx: AppContext,
  orderNo: string,
  log: Logger,
): Promise<ReturnType<typeof serializeAdminOrder>> {
  const first = await ctx.prisma.order.findUnique({ where: { orderNo }, include: { refunds: true } });
  if (!first) throw new AppError('NOT_FOUND', 404, `order ${orderNo} not found`);
  const unfinished = first.refunds.filter((r) => r.status === 'PENDING' || r.status === 'PROCESSING');
  // all at once, and the admin waits no longer than a shopper's read does: past the deadline the
  // order is answered as stored, and the queries land in the database for the next look
  const queries = Promise.all(
    unfinished.map((refund) =>
      syncRefund(ctx, refund, { throttleMs: DETAIL_REFUND_QUERY_THROTTLE_MS, resubmitAfterMs: 60_000 }).catch(
        (err: unknown) => log.warn({ err, outRefundNo: refund.outRefundNo }, 'refund query on order view failed'),
      ),
    ),
  );
  if (unfinished.length) await withinDeadline(queries, ACTIVE_QUERY_WAIT_MS);
  const order = await ctx.prisma.order.findUniqueOrThrow({ where: { id: first.id }, include: orderRelations });
  const events = await ctx.prisma.orderEvent.findMany({ where: { orderId: first.id }, orderBy: { id: 'asc' } });
  return serializeAdminOrder(order, events);
}
