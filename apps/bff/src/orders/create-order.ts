import { createHash } from 'node:crypto';
import { MAX_QUANTITY_PER_ITEM, maskPhone, sumFen, type Address, type CreateOrderRequest } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Prisma } from '../db/index.js';
import { AppError } from '../errors.js';
import { isUniqueViolation } from './db-errors.js';
import { orderInclude, type OrderWithLines } from './dto.js';
import { recordEvent } from './events.js';
import { newOrderNo } from './order-no.js';

export interface CreateOrderInput {
  userId: string;
  idempotencyKey: string;
  request: CreateOrderRequest;
}

export interface CreatedOrder {
  order: OrderWithLines;
  /** the same Idempotency-Key and body were seen before: this is that order */
  replayed: boolean;
}

/** WeChat Pay's amount.total is at most what an Int column holds; anything larger is not a cart. */
const MAX_ORDER_TOTAL_FEN = 2_147_483_647;

/** Same SKU twice is one line; the body's meaning, not its spelling, is what the key guards. */
export function normalizeLines(items: CreateOrderRequest['items']): { skuId: string; quantity: number }[] {
  const merged = new Map<string, number>();
  for (const { skuId, quantity } of items) merged.set(skuId, (merged.get(skuId) ?? 0) + quantity);
  const lines = [...merged]
    .map(([skuId, quantity]) => ({ skuId, quantity }))
    .sort((a, b) => (a.skuId < b.skuId ? -1 : 1));
  for (const line of lines) {
    if (line.quantity > MAX_QUANTITY_PER_ITEM) {
      throw new AppError(
        'VALIDATION_FAILED',
        400,
        `items: at most ${MAX_QUANTITY_PER_ITEM} of SKU ${line.skuId} per order`,
      );
    }
  }
  return lines;
}

function requestHash(
  lines: { skuId: string; quantity: number }[],
  remark: string | undefined,
  address: Address,
): string {
  return createHash('sha256')
    .update(JSON.stringify({ lines, remark: remark ?? null, address: addressSnapshot(address) }))
    .digest('hex');
}

/** The order's own copy of where to ship: later edits of the address book never change it. */
export function addressSnapshot(a: Address) {
  return {
    name: a.name,
    phone: a.phone,
    province: a.province,
    city: a.city,
    district: a.district,
    detail: a.detail,
    postalCode: a.postalCode ?? null,
  };
}

/**
 * 下单: the server prices the cart from the catalog and reserves stock with conditional
 * decrements, all in one transaction with the Idempotency-Key row, so a retried request returns
 * the order it created and a failed one leaves nothing behind (no key, no stock taken).
 */
export async function createOrder(ctx: AppContext, input: CreateOrderInput): Promise<CreatedOrder> {
  const lines = normalizeLines(input.request.items);
  const hash = requestHash(lines, input.request.remark, input.request.address);
  const replay = await findReplay(ctx, input.userId, input.idempotencyKey, hash);
  if (replay) return replay;
  for (let attempt = 0; ; attempt++) {
    try {
      const order = await ctx.prisma.$transaction((tx) => placeOrder(ctx, tx, input, lines, hash), {
        maxWait: 10_000,
        timeout: 20_000,
      });
      ctx.logger.info({ orderNo: order.orderNo, totalFen: order.totalFen }, 'order created');
      return { order, replayed: false };
    } catch (err) {
      if (isUniqueViolation(err, 'key') || isUniqueViolation(err, 'userId')) {
        // the same key committed by a concurrent request: answer as its replay
        const again = await findReplay(ctx, input.userId, input.idempotencyKey, hash);
        if (again) return again;
      }
      if (isUniqueViolation(err, 'orderNo') && attempt < 2) continue;
      throw err;
    }
  }
}

async function findReplay(
  ctx: AppContext,
  userId: string,
  key: string,
  hash: string,
): Promise<CreatedOrder | undefined> {
  const existing = await ctx.prisma.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
  if (!existing) return undefined;
  if (existing.requestHash !== hash) {
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      422,
      'this Idempotency-Key was used with a different request body: use a new key for a new order',
    );
  }
  const order = existing.orderId
    ? await ctx.prisma.order.findUnique({ where: { id: existing.orderId }, include: orderInclude })
    : null;
  if (!order)
    throw new AppError('CONFLICT', 409, 'a request with this Idempotency-Key is still being processed: retry shortly');
  return { order, replayed: true };
}

async function placeOrder(
  ctx: AppContext,
  tx: Prisma.TransactionClient,
  input: CreateOrderInput,
  lines: { skuId: string; quantity: number }[],
  hash: string,
): Promise<OrderWithLines> {
  const key = await tx.idempotencyKey.create({
    data: { userId: input.userId, key: input.idempotencyKey, requestHash: hash },
  });
  const skus = await tx.sku.findMany({ where: { id: { in: lines.map((l) => l.skuId) } }, include: { product: true } });
  const byId = new Map(skus.map((s) => [s.id, s]));
  const priced = lines.map((line) => {
    const sku = byId.get(line.skuId);
    if (!sku || !sku.active || !sku.product.active) {
      throw new AppError('PRODUCT_UNAVAILABLE', 422, `SKU ${line.skuId} is not for sale`, { skuId: line.skuId });
    }
    return { sku, quantity: line.quantity, amountFen: sku.priceFen * line.quantity };
  });
  const totalFen = sumFen(priced.map((p) => p.amountFen));
  if (totalFen < 1 || totalFen > MAX_ORDER_TOTAL_FEN) {
    throw new AppError('VALIDATION_FAILED', 400, 'items: the order total must be between 1 fen and 21,474,836.47 yuan');
  }
  // 库存预占: conditional decrements in skuId order (no deadlocks between two carts); a row whose
  // stock would go negative is not updated, and the whole order rolls back
  for (const p of priced) {
    const taken = await tx.sku.updateMany({
      where: { id: p.sku.id, active: true, stock: { gte: p.quantity } },
      data: { stock: { decrement: p.quantity } },
    });
    if (taken.count === 0) {
      throw new AppError('OUT_OF_STOCK', 409, `not enough stock for ${p.sku.product.title} ${p.sku.title}`, {
        skuId: p.sku.id,
      });
    }
  }
  const now = ctx.now();
  const order = await tx.order.create({
    data: {
      orderNo: newOrderNo(now),
      userId: input.userId,
      totalFen,
      remark: input.request.remark ?? null,
      address: addressSnapshot(input.request.address),
      expiresAt: new Date(now.getTime() + ctx.config.orderPayTimeoutMinutes * 60_000),
      createdAt: now,
      items: {
        create: priced.map((p) => ({
          productId: p.sku.productId,
          skuId: p.sku.id,
          title: p.sku.product.title,
          skuTitle: p.sku.title,
          image: p.sku.product.images[0] ?? null,
          priceFen: p.sku.priceFen,
          quantity: p.quantity,
          amountFen: p.amountFen,
        })),
      },
    },
    include: orderInclude,
  });
  await tx.idempotencyKey.update({ where: { id: key.id }, data: { orderId: order.id } });
  await recordEvent(tx, order.id, 'ORDER_CREATED', {
    orderNo: order.orderNo,
    totalFen,
    expiresAt: order.expiresAt.toISOString(),
    items: priced.map((p) => ({ skuId: p.sku.id, quantity: p.quantity, priceFen: p.sku.priceFen })),
    address: { ...addressSnapshot(input.request.address), phone: maskPhone(input.request.address.phone) },
  });
  return order;
}
