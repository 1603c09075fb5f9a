import type { OrderEventType } from '@uni-checkout/shared';
import type { Prisma, PrismaClient } from '../db/index.js';

/** Every exchange with WeChat and every decision about an order, kept as its trail (全流程日志). */
export type { OrderEventType };

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
