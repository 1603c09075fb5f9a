import type { Prisma, PrismaClient } from '../db/index.js';

/** Every exchange with WeChat and every decision about an order, kept as its trail (全流程日志). */
export type OrderEventType =
  | 'ORDER_CREATED'
  | 'PREPAY_REQUESTED'
  | 'PREPAY_CREATED'
  | 'PREPAY_REUSED'
  | 'PREPAY_FAILED'
  | 'NOTIFY_RECEIVED'
  | 'NOTIFY_REJECTED'
  | 'NOTIFY_DUPLICATE'
  | 'QUERY_SENT'
  | 'QUERY_RESULT'
  | 'QUERY_FAILED'
  | 'PAYMENT_SETTLED'
  | 'PAYMENT_MISMATCH'
  | 'PAID_AFTER_CLOSE'
  | 'CLOSE_REQUESTED'
  | 'CLOSE_RESULT'
  | 'ORDER_CLOSED'
  | 'STOCK_RELEASED'
  | 'REFUND_REQUESTED_BY_SHOPPER'
  | 'REFUND_REQUEST_REJECTED'
  | 'REFUND_REQUESTED'
  | 'REFUND_RESULT'
  | 'REFUND_FAILED'
  | 'REFUND_NOTIFY_RECEIVED'
  | 'REFUND_SETTLED'
  | 'RECONCILIATION_DIFF'
  | 'SHIPPED'
  | 'SHIPPING_UPLOAD_SENT'
  | 'SHIPPING_UPLOADED'
  | 'SHIPPING_UPLOAD_FAILED'
  | 'SHIPPING_ORDER_QUERIED'
  | 'SHIPPING_ORDER_QUERY_FAILED'
  | 'RECEIVED';

type Tx = PrismaClient | Prisma.TransactionClient;

/** Payloads must never carry secrets: no keys, no signatures, no ciphertext, no session keys. */
export async function recordEvent(
  tx: Tx,
  orderId: string,
  type: OrderEventType,
  payload: Record<string, unknown> = {},
) {
  await tx.orderEvent.create({ data: { orderId, type, payload: payload as Prisma.InputJsonValue } });
}
