import { createHash, randomUUID } from 'node:crypto';
import {
  MAX_QUANTITY_PER_ITEM,
  maskPhone,
  orderAddressOf,
  sumFen,
  type Address,
  type CreateOrderRequest,
  type OrderAddress,
} from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Order, OrderItem } from '../db/index.js';
import { eventsInsert, sqlQuery, sqlTransaction, type EventRow, type Sql } from '../db/sql.js';
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
    .update(JSON.stringify({ lines, remark: remark ?? null, address: orderAddressOf(address) }))
    .digest('hex');
}

/**
 * 下单: the server prices the cart from the catalog and reserves stock with conditional
 * decrements, all in one transaction with the Idempotency-Key row, so a retried request returns
 * the order it created and a failed one leaves nothing behind (no key, no stock taken).
 * A key already stored is found by the transaction's first statement (a new order needs no read
 * before it): the request then answers as that key's replay.
 */
export async function createOrder(ctx: AppContext, input: CreateOrderInput): Promise<CreatedOrder> {
  const lines = normalizeLines(input.request.items);
  const hash = requestHash(lines, input.request.remark, input.request.address);
  for (let attempt = 0; ; attempt++) {
    try {
      const order = await sqlTransaction(ctx.db, (sql) => placeOrder(ctx, sql, input, lines, hash));
      if (!order) return await replayOf(ctx, input.userId, input.idempotencyKey, hash);
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

/** The order a stored key placed; a key without one is a request still in flight. */
async function replayOf(ctx: AppContext, userId: string, key: string, hash: string): Promise<CreatedOrder> {
  const replay = await findReplay(ctx, userId, key, hash);
  if (!replay) throw stillInFlight();
  return replay;
}

const stillInFlight = () =>
  new AppError('CONFLICT', 409, 'a request with this Idempotency-Key is still being processed: retry shortly');

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
  if (!order) throw stillInFlight();
  return { order, replayed: true };
}

/**
 * What one shopper may hold unpaid (SHOPPER_MAX_UNPAID_ORDERS orders, SHOPPER_MAX_UNITS_PER_SKU
 * units of a SKU over them, this order included), so nobody can sit on the stock for the payment
 * window. Counted after the shopper's row is locked (with the key row): their concurrent orders
 * are counted one after another. Orders past expiresAt no longer count: WeChat takes no payment
 * for them, the expiry job frees them.
 */
function checkShopperHolds(ctx: AppContext, cart: CartRead, lines: { skuId: string; quantity: number }[]): void {
  const { maxUnpaidOrders, maxUnitsPerSku } = ctx.config.limits;
  if (cart.openOrders >= maxUnpaidOrders) {
    throw new AppError(
      'TOO_MANY_UNPAID_ORDERS',
      409,
      `you have ${maxUnpaidOrders} unpaid orders: pay or cancel one before placing another`,
      { limit: maxUnpaidOrders },
    );
  }
  for (const line of lines) {
    const already = cart.held[line.skuId] ?? 0;
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

/** What placing an order reads, in one statement once the shopper's row is locked. */
interface CartRead {
  /** the shopper's unpaid orders still inside their payment window */
  openOrders: number;
  /** units of the cart's SKUs in those orders, by skuId */
  held: Record<string, number>;
  /** the cart's SKUs with their products, as the catalog has them now */
  skus: SkuForSale[];
}

async function readCart(
  sql: Sql,
  userId: string,
  now: Date,
  lines: { skuId: string; quantity: number }[],
): Promise<CartRead> {
  const read = await sql.query<CartRead>(
    `SELECT
       (SELECT count(*)::int FROM "Order" WHERE "userId" = $1 AND status = 'PENDING_PAYMENT' AND "expiresAt" > $2) AS "openOrders",
       (SELECT coalesce(json_object_agg(h."skuId", h.units), '{}') FROM (
          SELECT i."skuId", sum(i.quantity)::int AS units FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId"
          WHERE o."userId" = $1 AND o.status = 'PENDING_PAYMENT' AND o."expiresAt" > $2 AND i."skuId" = ANY($3::text[])
          GROUP BY i."skuId") h) AS held,
       (SELECT coalesce(json_agg(json_build_object(
          'id', s.id, 'productId', s."productId", 'title', s.title, 'priceFen', s."priceFen", 'active', s.active,
          'productTitle', p.title, 'productActive', p.active, 'images', p.images)), '[]')
        FROM "Sku" s JOIN "Product" p ON p.id = s."productId" WHERE s.id = ANY($3::text[])) AS skus`,
    [userId, now, lines.map((l) => l.skuId)],
  );
  return read.rows[0]!;
}

/** A line priced from the catalog. */
interface PricedLine {
  sku: SkuForSale;
  quantity: number;
  amountFen: number;
}

/**
 * The order's one transaction, in plain SQL (the hot path of checkout), in as few statements as
 * its order of locks allows: the shopper's row lock with the key row; the unpaid holds and the
 * catalog, read together under that lock; the conditional stock decrements; the order with its
 * lines and its first event. The key row carries the order's id from the start — it becomes
 * visible to a replay only at commit, together with the order. Undefined when the key is taken
 * (stored by an earlier request, or by a concurrent one that committed first): nothing is written.
 */
async function placeOrder(
  ctx: AppContext,
  sql: Sql,
  input: CreateOrderInput,
  lines: { skuId: string; quantity: number }[],
  hash: string,
): Promise<OrderWithLines | undefined> {
  const orderId = randomUUID();
  // the shopper's row is locked before the key is written, so every statement after this one
  // sees the shopper's other orders as committed; a key row of a concurrent request with the
  // same key is waited for, and found
  const keyed = await sql.query(
    `WITH shopper AS (SELECT id FROM "User" WHERE id = $2 FOR UPDATE)
     INSERT INTO "IdempotencyKey" (id, "userId", key, "requestHash", "orderId")
     VALUES ($1, (SELECT id FROM shopper), $3, $4, $5)
     ON CONFLICT ("userId", key) DO NOTHING`,
    [randomUUID(), input.userId, input.idempotencyKey, hash, orderId],
  );
  if (keyed.rowCount === 0) return undefined;
  const now = ctx.now();
  const cart = await readCart(sql, input.userId, now, lines);
  checkShopperHolds(ctx, cart, lines);
  const priced = priceLines(cart.skus, lines);
  const totalFen = orderTotal(priced);
  await reserveStock(sql, priced, now);
  const expiresAt = new Date(now.getTime() + ctx.config.orderPayTimeoutMinutes * 60_000);
  const address = orderAddressOf(input.request.address);
  return insertOrder(sql, {
    id: orderId,
    orderNo: newOrderNo(now),
    userId: input.userId,
    totalFen,
    remark: input.request.remark,
    address,
    expiresAt,
    now,
    priced,
  });
}

function orderCreatedEvent(
  order: { id: string; orderNo: string; totalFen: number },
  priced: PricedLine[],
  address: OrderAddress,
  expiresAt: Date,
): EventRow {
  return {
    orderId: order.id,
    type: 'ORDER_CREATED',
    payload: {
      orderNo: order.orderNo,
      totalFen: order.totalFen,
      expiresAt: expiresAt.toISOString(),
      items: priced.map((p) => ({ skuId: p.sku.id, quantity: p.quantity, priceFen: p.sku.priceFen })),
      address: { ...address, phone: maskPhone(address.phone) },
    },
  };
}

/** Each line priced by the server from the catalog; a SKU not for sale refuses the order. */
function priceLines(skus: SkuForSale[], lines: { skuId: string; quantity: number }[]): PricedLine[] {
  const byId = new Map(skus.map((s) => [s.id, s]));
  return lines.map((line) => {
    const sku = byId.get(line.skuId);
    if (!sku || !sku.active || !sku.productActive) {
      throw new AppError('PRODUCT_UNAVAILABLE', 422, `SKU ${line.skuId} is not for sale`, { skuId: line.skuId });
    }
    return { sku, quantity: line.quantity, amountFen: sku.priceFen * line.quantity };
  });
}

function orderTotal(priced: PricedLine[]): number {
  const totalFen = sumFen(priced.map((p) => p.amountFen));
  if (totalFen < 1 || totalFen > MAX_ORDER_TOTAL_FEN) {
    throw new AppError('VALIDATION_FAILED', 400, 'items: the order total must be between 1 fen and 21,474,836.47 yuan');
  }
  return totalFen;
}

/**
 * 库存预占: conditional decrements in skuId order (no deadlocks between two carts); a row whose
 * stock would go negative is not updated, and the whole order rolls back.
 */
async function reserveStock(sql: Sql, priced: PricedLine[], now: Date): Promise<void> {
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
}

/**
 * The order, every line and the ORDER_CREATED event in one statement (the lines and the event
 * refer to the order, which the statement's end finds inserted). The lines are answered as
 * written, in id order, as Prisma's include reads them.
 */
async function insertOrder(
  sql: Sql,
  o: {
    id: string;
    orderNo: string;
    userId: string;
    totalFen: number;
    remark: string | undefined;
    address: OrderAddress;
    expiresAt: Date;
    now: Date;
    priced: PricedLine[];
  },
): Promise<OrderWithLines> {
  const params: unknown[] = [
    o.id,
    o.orderNo,
    o.userId,
    o.totalFen,
    o.remark ?? null,
    JSON.stringify(o.address),
    o.expiresAt,
    o.now,
  ];
  const items: OrderItem[] = o.priced.map((p) => ({
    id: randomUUID(),
    orderId: o.id,
    productId: p.sku.productId,
    skuId: p.sku.id,
    title: p.sku.productTitle,
    skuTitle: p.sku.title,
    image: p.sku.images[0] ?? null,
    priceFen: p.sku.priceFen,
    quantity: p.quantity,
    amountFen: p.amountFen,
  }));
  const tuples = items.map((i) => {
    params.push(i.id, i.productId, i.skuId, i.title, i.skuTitle, i.image, i.priceFen, i.quantity, i.amountFen);
    const at = params.length - 9;
    return `($${at + 1}::uuid, $1::uuid, ${Array.from({ length: 8 }, (_, k) => `$${at + 2 + k}`).join(', ')})`;
  });
  const event = eventsInsert([orderCreatedEvent(o, o.priced, o.address, o.expiresAt)], params);
  const inserted = await sql.query<Order>(
    `WITH placed AS (
       INSERT INTO "Order" (id, "orderNo", "userId", "totalFen", remark, "address", "expiresAt", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $8) RETURNING *
     ), lines AS (
       INSERT INTO "OrderItem" (id, "orderId", "productId", "skuId", title, "skuTitle", image, "priceFen", quantity, "amountFen")
       VALUES ${tuples.join(', ')}
     ), created AS (${event})
     SELECT * FROM placed`,
    params,
  );
  items.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { ...inserted.rows[0]!, items, refunds: [], refundRequests: [], shipment: null };
}
