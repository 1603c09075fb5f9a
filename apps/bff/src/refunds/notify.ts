import express, { type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import {
  WechatPayError,
  type NotificationHeaders,
  type RefundNotificationResource,
} from '../payments/wechatpay-types.js';
import { REFUND_NOTIFY_PATH } from './refunds.js';
import { applyRefundNotification } from './notification.js';
import { notifyErrorHandler, refuseNotification } from '../payments/notify-answer.js';

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
    const log = req.log.child({ notificationId: notification.id, outRefundNo: notification.resource.out_refund_no });
    const outcome = await applyRefundNotification(ctx, notification, log);
    ctx.metrics.notifications.inc({ kind: 'refund', outcome });
    res.status(204).end();
  });
  // only for its own path: mounted at the root, a bare router.use would also answer other routes' errors
  router.use(REFUND_NOTIFY_PATH, notifyErrorHandler);
  return router;
}
