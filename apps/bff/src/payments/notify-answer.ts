import type { ErrorRequestHandler, Response } from 'express';
import type { ErrorCode } from '@uni-checkout/shared';

/**
 * How a WeChat Pay callback is refused. WeChat reads only the status (2xx: delivered; anything
 * else: retry on its schedule) and documents a `{ code: "FAIL", message }` body; the rest of this
 * API answers `{ error: { code, message } }`. The body carries both, so either reader understands it.
 */
export function refuseNotification(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ code: 'FAIL', message, error: { code, message } });
}

/** Anything a notify route did not handle itself (the database being down): 500, so WeChat retries. */
export const notifyErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  req.log.error({ err }, 'notification could not be processed: WeChat Pay will deliver it again');
  if (!res.headersSent) refuseNotification(res, 500, 'INTERNAL', 'could not process the notification, please retry');
};
