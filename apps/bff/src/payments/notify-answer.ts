import type { ErrorRequestHandler, Response } from 'express';
import type { ErrorCode } from '@uni-checkout/shared';
import { isUndecodableBody, undecodableBodyMessage } from '../errors.js';

/**
 * How a WeChat Pay callback is refused. WeChat reads only the status (2xx: delivered; anything
 * else: retry on its schedule) and documents a `{ code: "FAIL", message }` body; the rest of this
 * API answers `{ error: { code, message } }`. The body carries both, so either reader understands it.
 */
export function refuseNotification(res: Response, status: number, code: ErrorCode, message: string): void {
  res.status(status).json({ code: 'FAIL', message, error: { code, message } });
}

/**
 * Anything a notify route did not handle itself. A body the raw parser refused (too large, cut
 * short) is not a notification WeChat sent: a 4xx, logged as a warning. The rest (the database
 * being down) is a 500, so that WeChat delivers the notification again.
 */
export const notifyErrorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const parser = err as { type?: unknown; status?: unknown };
  if (isUndecodableBody(err)) {
    req.log.warn({ encoding: req.get('content-encoding') }, `notification refused: ${undecodableBodyMessage}`);
    if (!res.headersSent) refuseNotification(res, 400, 'BODY_ENCODING_INVALID', undecodableBodyMessage);
    return;
  }
  if (
    typeof parser?.type === 'string' &&
    typeof parser.status === 'number' &&
    parser.status >= 400 &&
    parser.status < 500
  ) {
    req.log.warn({ type: parser.type, status: parser.status }, 'notification body refused before verification');
    if (res.headersSent) return;
    if (parser.type === 'entity.too.large')
      refuseNotification(res, 413, 'PAYLOAD_TOO_LARGE', 'notification body is too large');
    else refuseNotification(res, 400, 'NOTIFICATION_REJECTED', 'notification body could not be read');
    return;
  }
  req.log.error({ err }, 'notification could not be processed: WeChat Pay will deliver it again');
  if (!res.headersSent) refuseNotification(res, 500, 'INTERNAL', 'could not process the notification, please retry');
};
