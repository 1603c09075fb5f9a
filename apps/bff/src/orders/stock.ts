import type { Prisma } from '../db/index.js';
import { recordEvent } from './events.js';

/**
 * Gives an order's reserved stock back, exactly once: the stockReleasedAt guard is a conditional
 * update, so a cancel racing the expiry job (or a retry) releases nothing the second time.
 * Call inside the transaction that closes the order.
 */
export async function releaseStock(
  tx: Prisma.TransactionClient,
  orderId: string,
  now: Date,
  reason: string,
): Promise<boolean> {
  const claimed = await tx.order.updateMany({
    where: { id: orderId, stockReleasedAt: null },
    data: { stockReleasedAt: now },
  });
  if (claimed.count === 0) return false;
  const items = await tx.orderItem.findMany({ where: { orderId }, orderBy: { skuId: 'asc' } });
  for (const item of items) {
    await tx.sku.update({ where: { id: item.skuId }, data: { stock: { increment: item.quantity } } });
  }
  await recordEvent(tx, orderId, 'STOCK_RELEASED', {
    reason,
    items: items.map((i) => ({ skuId: i.skuId, quantity: i.quantity })),
  });
  return true;
}

/**
 * Takes stock for a paid order whose stock had been released (paid after close). Conditional per
 * SKU: never below zero. Returns the lines that could not be taken again (admins must look).
 */
export async function reReserveStock(
  tx: Prisma.TransactionClient,
  orderId: string,
): Promise<{ skuId: string; quantity: number }[]> {
  const released = await tx.order.updateMany({
    where: { id: orderId, stockReleasedAt: { not: null } },
    data: { stockReleasedAt: null },
  });
  if (released.count === 0) return [];
  const short: { skuId: string; quantity: number }[] = [];
  const items = await tx.orderItem.findMany({ where: { orderId }, orderBy: { skuId: 'asc' } });
  for (const item of items) {
    const taken = await tx.sku.updateMany({
      where: { id: item.skuId, stock: { gte: item.quantity } },
      data: { stock: { decrement: item.quantity } },
    });
    if (taken.count === 0) short.push({ skuId: item.skuId, quantity: item.quantity });
  }
  return short;
}
