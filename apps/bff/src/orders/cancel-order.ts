import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { closeOrder, wechatPayAppError } from './sync.js';
import { WechatPayError } from '../payments/wechatpay-types.js';
import type { OrderWithLines } from './dto.js';

/**
 * 取消订单: only an unpaid order. Closed at WeChat first when it was sent there; WeChat saying
 * "already paid" settles it and the shopper sees the paid order. Cancelling a closed order again
 * is a success (idempotent), not an error.
 */
export async function cancelOrder(ctx: AppContext, order: OrderWithLines): Promise<void> {
  if (order.status === 'CLOSED') return;
  if (order.status !== 'PENDING_PAYMENT') {
    throw new AppError('ORDER_NOT_CANCELLABLE', 409, `order ${order.orderNo} is paid: ask for a refund instead`);
  }
  try {
    await closeOrder(ctx, order, 'cancel');
  } catch (err) {
    if (err instanceof WechatPayError) throw wechatPayAppError(err);
    throw err;
  }
}
