import express, { type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { recordEvent } from '../orders/events.js';
import {
  WechatPayError,
  type NotificationHeaders,
  type RefundNotificationResource,
} from '../payments/wechatpay-types.js';
import { REFUND_NOTIFY_PATH } from './refunds.js';
import { applyRefundReport } from './settle.js';
import { notifyErrorHandler, refuseNotification } from '../payments/notify-answer.js';

const REFUND_EVENTS = new Set(['REFUND.SUCCESS', 'REFUND.ABNORMAL', 'REFUND.CLOSED']);

/** The fields of 退款结果通知's resource this route reads; anything else is not a refund result. */
const refundResourceSchema = z.object({
  mchid: z.string(),
  out_trade_no: z.string(),
  out_refund_no: z.string(),
  refund_id: z.string(),
  refund_status: z.string(),
  amount: z.object({ total: z.number().int(), refund: z.number().int() }),
});

/**
 * 退款结果通知: verify the signature over the raw body → decrypt → check it is ours → apply once.
 * 204 when handled (or already handled, or knowingly ignored); 401 when it does not verify;
 * a 5xx when it could not be stored, so that WeChat delivers it again.
 */
export function refundNotifyRoutes(ctx: AppContext): Router {
  const router = express.Router();
  router.post(REFUND_NOTIFY_PATH, express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let notification;
    try {
      notification = await ctx.wechatpay.verifyNotification<RefundNotificationResource>(
        req.headers as NotificationHeaders,
        raw,
      );
    } catch (err) {
      const code = err instanceof WechatPayError ? err.code : 'BAD_RESOURCE';
      req.log.warn({ code }, 'refund notification rejected: it does not verify');
      ctx.metrics.notifications.inc({ kind: 'refund', outcome: 'rejected' });
      if (code === 'BAD_RESOURCE')
        refuseNotification(res, 400, 'NOTIFICATION_REJECTED', `notification rejected: ${code}`);
      else refuseNotification(res, 401, 'NOTIFICATION_SIGNATURE_INVALID', `notification rejected: ${code}`);
      return;
    }
    const shape = refundResourceSchema.safeParse(notification.resource);
    if (!shape.success) {
      req.log.warn({ notificationId: notification.id }, 'refund notification resource is not a refund: rejected');
      ctx.metrics.notifications.inc({ kind: 'refund', outcome: 'rejected' });
      refuseNotification(res, 400, 'NOTIFICATION_REJECTED', 'notification resource is not a refund result');
      return;
    }
    const r = notification.resource;
    const log = req.log.child({ notificationId: notification.id, outRefundNo: r.out_refund_no });
    const refund = r.out_refund_no
      ? await ctx.prisma.refund.findUnique({ where: { outRefundNo: r.out_refund_no }, include: { order: true } })
      : null;
    if (!refund) {
      log.warn(
        { eventType: notification.eventType },
        'refund notification for a refund this shop never created: acknowledged, ignored',
      );
      ctx.metrics.notifications.inc({ kind: 'refund', outcome: 'unknown' });
      res.status(204).end();
      return;
    }
    const mismatch = !REFUND_EVENTS.has(notification.eventType)
      ? `unexpected event_type ${notification.eventType}`
      : r.mchid !== ctx.merchant.mchid
        ? 'mchid is not ours'
        : r.out_trade_no !== refund.order.orderNo
          ? 'out_trade_no is not the order of this refund'
          : r.amount?.total !== refund.order.totalFen || r.amount?.refund !== refund.amountFen
            ? 'amount differs from the refund'
            : r.refund_status !== notification.eventType.slice('REFUND.'.length)
              ? 'refund_status differs from event_type'
              : undefined;
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
      ctx.metrics.notifications.inc({ kind: 'refund', outcome: 'mismatch' });
      res.status(204).end();
      return;
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
    ctx.metrics.notifications.inc({ kind: 'refund', outcome: changed ? 'applied' : 'duplicate' });
    res.status(204).end();
  });
  // only for its own path: mounted at the root, a bare router.use would also answer other routes' errors
  router.use(REFUND_NOTIFY_PATH, notifyErrorHandler);
  return router;
}
