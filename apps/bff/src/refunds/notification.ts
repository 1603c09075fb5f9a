import type { AppContext } from '../context.js';
import type { Logger } from '../logger.js';
import { recordEvent } from '../orders/events.js';
import type { RefundNotificationResource, VerifiedNotification } from '../payments/wechatpay-types.js';
import { applyRefundReport } from './settle.js';

const REFUND_EVENTS = new Set(['REFUND.SUCCESS', 'REFUND.ABNORMAL', 'REFUND.CLOSED']);

type RefundNotification = VerifiedNotification<RefundNotificationResource>;
interface RefundOfOrder {
  amountFen: number;
  order: { orderNo: string; totalFen: number };
}

/** How a verified refund notification ended: the route answers 204 to each (WeChat must not resend it). */
export type RefundNotificationOutcome = 'unknown' | 'mismatch' | 'applied' | 'duplicate';

/** Why this signed report cannot settle this refund, or undefined when it can. */
function mismatchOf(ctx: AppContext, n: RefundNotification, refund: RefundOfOrder): string | undefined {
  const r = n.resource;
  if (!REFUND_EVENTS.has(n.eventType)) return `unexpected event_type ${n.eventType}`;
  if (r.mchid !== ctx.merchant.mchid) return 'mchid is not ours';
  if (r.out_trade_no !== refund.order.orderNo) return 'out_trade_no is not the order of this refund';
  if (r.amount?.total !== refund.order.totalFen || r.amount?.refund !== refund.amountFen)
    return 'amount differs from the refund';
  if (r.refund_status !== n.eventType.slice('REFUND.'.length)) return 'refund_status differs from event_type';
  return undefined;
}

/**
 * 退款结果通知, verified and decrypted: find our refund → check the report is about it → keep the
 * notification (a redelivery is marked duplicate) → apply the report once.
 */
export async function applyRefundNotification(
  ctx: AppContext,
  notification: RefundNotification,
  log: Logger,
): Promise<RefundNotificationOutcome> {
  const r = notification.resource;
  const refund = r.out_refund_no
    ? await ctx.prisma.refund.findUnique({ where: { outRefundNo: r.out_refund_no }, include: { order: true } })
    : null;
  if (!refund) {
    log.warn(
      { eventType: notification.eventType },
      'refund notification for a refund this shop never created: acknowledged, ignored',
    );
    return 'unknown';
  }
  const mismatch = mismatchOf(ctx, notification, refund);
  const inserted = await ctx.prisma.processedNotification.createMany({
    data: [{ id: notification.id, eventType: notification.eventType, orderNo: refund.order.orderNo }],
    skipDuplicates: true,
  });
  await recordEvent(ctx.prisma, refund.orderId, 'REFUND_NOTIFY_RECEIVED', {
    notificationId: notification.id,
    eventType: notification.eventType,
    outRefundNo: r.out_refund_no,
    refundId: r.refund_id,
    refundStatus: r.refund_status,
    amount: r.amount,
    duplicate: inserted.count === 0,
    ...(mismatch ? { decision: `ignored: ${mismatch}` } : {}),
  });
  if (mismatch) {
    log.error({ mismatch }, 'refund notification does not match the refund: nothing settled');
    return 'mismatch';
  }
  const changed = await applyRefundReport(
    ctx,
    refund,
    {
      status: r.refund_status,
      refundId: r.refund_id,
      outRefundNo: r.out_refund_no,
      outTradeNo: r.out_trade_no,
      refundFen: r.amount.refund,
      successTime: r.success_time,
    },
    'notify',
  );
  log.info({ refundStatus: r.refund_status, changed }, 'refund notification handled');
  return changed ? 'applied' : 'duplicate';
}
