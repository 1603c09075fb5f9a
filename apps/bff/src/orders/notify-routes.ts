import express, { type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { insertEvents, sqlOn } from '../db/sql.js';
import { TRANSACTION_NOTIFY_PATH } from './pay-order.js';
import { settlePayment } from './settle.js';
import { notifyErrorHandler, refuseNotification } from '../payments/notify-answer.js';
import { WechatPayError, type NotificationHeaders, type Transaction } from '../payments/wechatpay-types.js';

/**
 * 支付成功通知, kept short as a webhook should be: verify (over the raw body, before parsing) →
 * decrypt → settle once → answer. WeChat treats any 2xx as delivered and anything else as "retry
 * on the 15s…6h schedule", and wants `{ code: "FAIL", message }` with a failure.
 *
 * - does not verify (signature, serial, timestamp): 401, nothing stored — a forger gets nothing
 * - settled, already settled, duplicate, or genuine but not matching the order: 204 — a signed
 *   report never changes on redelivery, so a mismatch is recorded and logged for people instead
 * - could not be stored (database down): 500, so WeChat delivers it again
 */
/** The fields of 支付成功通知's resource that settlement reads; amount is checked against the order there. */
const transactionResourceSchema = z.object({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string(),
  trade_state: z.string(),
  transaction_id: z.string().optional(),
  amount: z.object({ total: z.number().int() }).partial().optional(),
});

export function transactionNotifyRoutes(ctx: AppContext): Router {
  const router = express.Router();
  router.post(TRANSACTION_NOTIFY_PATH, express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let notification;
    try {
      notification = await ctx.wechatpay.verifyNotification<Transaction>(req.headers as NotificationHeaders, raw);
    } catch (err) {
      const code = err instanceof WechatPayError ? err.code : 'BAD_RESOURCE';
      ctx.metrics.notifications.inc({ kind: 'transaction', outcome: 'rejected' });
      // nothing identifies an order before decryption: the log is the trail
      req.log.warn(
        { code, serial: req.get('wechatpay-serial') ?? null, timestamp: req.get('wechatpay-timestamp') ?? null },
        'payment notification rejected',
      );
      const message = err instanceof Error ? err.message : 'notification rejected';
      if (code === 'BAD_RESOURCE') refuseNotification(res, 400, 'NOTIFICATION_REJECTED', message);
      else refuseNotification(res, 401, 'NOTIFICATION_SIGNATURE_INVALID', message);
      return;
    }
    if (!transactionResourceSchema.safeParse(notification.resource).success) {
      ctx.metrics.notifications.inc({ kind: 'transaction', outcome: 'rejected' });
      req.log.warn({ notificationId: notification.id }, 'payment notification resource is not a transaction: rejected');
      refuseNotification(res, 400, 'NOTIFICATION_REJECTED', 'notification resource is not a transaction');
      return;
    }
    const t = notification.resource;
    const about = { notificationId: notification.id, outTradeNo: t.out_trade_no };
    try {
      const outcome = await settlePayment(ctx, t, 'notify', {
        notificationId: notification.id,
        eventType: notification.eventType,
      });
      if (outcome.kind === 'duplicate' && outcome.order) {
        await insertEvents(sqlOn(ctx.db), [
          {
            orderId: outcome.order.id,
            type: 'NOTIFY_DUPLICATE',
            payload: {
              notificationId: notification.id,
              eventType: notification.eventType,
              decision: 'notification id already handled',
            },
          },
        ]);
      }
      ctx.metrics.notifications.inc({ kind: 'transaction', outcome: outcome.kind });
      // the one line a notification leaves (settling it logs nothing more)
      req.log.info(
        {
          ...about,
          eventType: notification.eventType,
          tradeState: t.trade_state,
          transactionId: t.transaction_id ?? null,
          outcome: outcome.kind,
        },
        'payment notification handled',
      );
      res.status(204).end();
    } catch (err) {
      ctx.metrics.notifications.inc({ kind: 'transaction', outcome: 'error' });
      req.log.error({ ...about, err }, 'payment notification could not be stored: WeChat Pay will deliver it again');
      refuseNotification(res, 500, 'INTERNAL', 'could not process the notification, please retry');
    }
  });
  // only for its own path: mounted at the root, a bare router.use would also answer other routes' errors
  router.use(TRANSACTION_NOTIFY_PATH, notifyErrorHandler);
  return router;
}
