import { createHash, randomUUID } from 'node:crypto';
import { MAX_QUANTITY_PER_ITEM, maskPhone, sumFen, type Address, type CreateOrderRequest } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Order, OrderItem } from '../db/index.js';
import { insertEvents, sqlQuery, sqlTransaction, type Sql } from '../db/sql.js';
import { AppError } from '../errors.js';
import { isUniqueViolation } from './db-errors.js';
import { orderInclude, type OrderWithLines } from './dto.js';
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
      const order = await sqlTransaction(ctx.db, (sql) => placeOrder(ctx, sql, input, lines, hash));
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
  const existing = (
    await sqlQuery<{ requestHash: string; orderId: string | null }>(
      ctx.db,
      'SELECT "requestHash", "orderId" FROM "IdempotencyKey" WHERE "userId" = $1 AND key = $2',
      [userId, key],
    )
  ).rows[0];
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

/**
 * What one shopper may hold unpaid (SHOPPER_MAX_UNPAID_ORDERS orders, SHOPPER_MAX_UNITS_PER_SKU
 * units of a SKU over them, this order included), so nobody can sit on the stock for the payment
 * window. The shopper's row is locked first: their concurrent orders are counted one after another.
 * Orders past expiresAt no longer count: WeChat takes no payment for them, the expiry job frees them.
 */
async function checkShopperHolds(
  ctx: AppContext,
  sql: Sql,
  userId: string,
  lines: { skuId: string; quantity: number }[],
): Promise<void> {
  const { maxUnpaidOrders, maxUnitsPerSku } = ctx.config.limits;
  const now = ctx.now();
  await sql.query('SELECT id FROM "User" WHERE id = $1 FOR UPDATE', [userId]);
  const open = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Order" WHERE "userId" = $1 AND status = 'PENDING_PAYMENT' AND "expiresAt" > $2`,
    [userId, now],
  );
  if (open.rows[0]!.n >= maxUnpaidOrders) {
    throw new AppError(
      'TOO_MANY_UNPAID_ORDERS',
      409,
      `you have ${maxUnpaidOrders} unpaid orders: pay or cancel one before placing another`,
      { limit: maxUnpaidOrders },
    );
  }
  const held = await sql.query<{ skuId: string; units: number }>(
    `SELECT i."skuId", sum(i.quantity)::int AS units FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId"
     WHERE o."userId" = $1 AND o.status = 'PENDING_PAYMENT' AND o."expiresAt" > $2 AND i."skuId" = ANY($3::text[])
     GROUP BY i."skuId"`,
    [userId, now, lines.map((l) => l.skuId)],
  );
  const heldBySku = new Map(held.rows.map((r) => [r.skuId, r.units]));
  for (const line of lines) {
    const already = heldBySku.get(line.skuId) ?? 0;
    if (already + line.quantity > maxUnitsPerSku) {
      throw new AppError(
        'QUANTITY_LIMIT',
        409,
        `at most ${maxUnitsPerSku} units of SKU ${line.skuId} may wait for payment at once (${already} already in unpaid orders)`,
        { skuId: line.skuId, limit: maxUnitsPerSku, allowed: Math.max(0, maxUnitsPerSku - already) },
      );
    }
  }
}

interface SkuForSale {
  id: string;
  productId: string;
  title: string;
  priceFen: number;
  active: boolean;
  productTitle: string;
  productActive: boolean;
  images: string[];
}

/**
 * The order's one transaction, in plain SQL (the hot path of checkout): the key row, the
 * catalog read, the conditional stock decrements, the order with its lines and its first event.
 * The key row carries the order's id from the start — it becomes visible to a replay only at
 * commit, together with the order.
 */
async function placeOrder(
  ctx: AppContext,
  sql: Sql,
  input: CreateOrderInput,
  lines: { skuId: string; quantity: number }[],
  hash: string,
): Promise<OrderWithLines> {
  const orderId = randomUUID();
  await sql.query(
    `INSERT INTO "IdempotencyKey" (id, "userId", key, "requestHash", "orderId") VALUES ($1, $2, $3, $4, $5)`,
    [randomUUID(), input.userId, input.idempotencyKey, hash, orderId],
  );
  await checkShopperHolds(ctx, sql, input.userId, lines);
  const skus = await sql.query<SkuForSale>(
    `SELECT s.id, s."productId", s.title, s."priceFen", s.active, p.title AS "productTitle", p.active AS "productActive", p.images
     FROM "Sku" s JOIN "Product" p ON p.id = s."productId" WHERE s.id = ANY($1::text[])`,
    [lines.map((l) => l.skuId)],
  );
  const byId = new Map(skus.rows.map((s) => [s.id, s]));
  const priced = lines.map((line) => {
    const sku = byId.get(line.skuId);
    if (!sku || !sku.active || !sku.productActive) {
      throw new AppError('PRODUCT_UNAVAILABLE', 422, `SKU ${line.skuId} is not for sale`, { skuId: line.skuId });
    }
    return { sku, quantity: line.quantity, amountFen: sku.priceFen * line.quantity };
  });
  const totalFen = sumFen(priced.map((p) => p.amountFen));
  if (totalFen < 1 || totalFen > MAX_ORDER_TOTAL_FEN) {
    throw new AppError('VALIDATION_FAILED', 400, 'items: the order total must be between 1 fen and 21,474,836.47 yuan');
  }
  const now = ctx.now();
  // 库存预占: conditional decrements in skuId order (no deadlocks between two carts); a row whose
  // stock would go negative is not updated, and the whole order rolls back
  for (const p of priced) {
    const taken = await sql.query(
      `UPDATE "Sku" SET stock = stock - $2, "updatedAt" = $3 WHERE id = $1 AND active AND stock >= $2`,
      [p.sku.id, p.quantity, now],
    );
    if (taken.rowCount === 0) {
      // what is left, so the shopper can be told "库存仅剩 N 件" and the cart capped at it
      const left = await sql.query<{ stock: number }>(`SELECT stock FROM "Sku" WHERE id = $1`, [p.sku.id]);
      throw new AppError('OUT_OF_STOCK', 409, `not enough stock for ${p.sku.productTitle} ${p.sku.title}`, {
        skuId: p.sku.id,
        availableStock: Math.max(0, left.rows[0]?.stock ?? 0),
      });
    }
  }
  const expiresAt = new Date(now.getTime() + ctx.config.orderPayTimeoutMinutes * 60_000);
  const address = addressSnapshot(input.request.address);
  const order = (
    await sql.query<Order>(
      `INSERT INTO "Order" (id, "orderNo", "userId", "totalFen", remark, "address", "expiresAt", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $8) RETURNING *`,
      [
        orderId,
        newOrderNo(now),
        input.userId,
        totalFen,
        input.request.remark ?? null,
        JSON.stringify(address),
        expiresAt,
        now,
      ],
    )
  ).rows[0]!;
  const itemParams: unknown[] = [orderId];
  const tuples = priced.map((p) => {
    itemParams.push(
      randomUUID(),
      p.sku.productId,
      p.sku.id,
      p.sku.productTitle,
      p.sku.title,
      p.sku.images[0] ?? null,
      p.sku.priceFen,
      p.quantity,
      p.amountFen,
    );
    const at = itemParams.length - 9;
    return `($${at + 1}::uuid, $1::uuid, ${Array.from({ length: 8 }, (_, k) => `$${at + 2 + k}`).join(', ')})`;
  });
  const items = await sql.query<OrderItem>(
    `INSERT INTO "OrderItem" (id, "orderId", "productId", "skuId", title, "skuTitle", image, "priceFen", quantity, "amountFen")
     VALUES ${tuples.join(', ')} RETURNING *`,
    itemParams,
  );
  await insertEvents(sql, [
    {
      orderId,
      type: 'ORDER_CREATED',
      payload: {
        orderNo: order.orderNo,
        totalFen,
        expiresAt: expiresAt.toISOString(),
        items: priced.map((p) => ({ skuId: p.sku.id, quantity: p.quantity, priceFen: p.sku.priceFen })),
        address: { ...address, phone: maskPhone(address.phone) },
      },
    },
  ]);
  return {
    ...order,
    items: items.rows.sort((a, b) => (a.id < b.id ? -1 : 1)),
    refunds: [],
    refundRequests: [],
    shipment: null,
  };
}
