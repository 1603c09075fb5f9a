import { toRfc3339Beijing, type RequestPaymentParams } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { insertEvents, sqlOn, sqlQuery, type EventRow } from '../db/sql.js';
import type { Order, OrderItem } from '../db/index.js';
import { orderInclude, toOrderDto } from './dto.js';
import { recordEvent } from './events.js';
import { queryAndSettle, wechatPayAppError } from './sync.js';
import { asWechatPayError, type JsapiPrepayRequest, type WechatPayError } from '../payments/wechatpay-types.js';

/** A prepay_id is valid for 2 hours (预支付交易会话标识有效期为2小时). */
export const PREPAY_TTL_MS = 2 * 3600_000;
/** Reuse a prepay_id only while the shopper still has this long to finish paying with it. */
export const PREPAY_REUSE_MARGIN_MS = 10 * 60_000;
/** 商品描述: at most 127 characters. */
export const DESCRIPTION_MAX_CHARS = 127;
export const TRANSACTION_NOTIFY_PATH = '/api/pay/notify/transaction';

/** "Title SKU×2, Other ×1" cut to WeChat's limit at a character boundary (never mid-surrogate). */
export function describeOrder(items: { title: string; skuTitle: string; quantity: number }[]): string {
  const text = items
    .map((i) => `${i.title} ${i.skuTitle}×${i.quantity}`)
    .join('，')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...text];
  if (chars.length <= DESCRIPTION_MAX_CHARS) return text || '订单';
  return `${chars.slice(0, DESCRIPTION_MAX_CHARS - 1).join('')}…`;
}

/** What paying reads of an order: the order and its lines (for 商品描述). */
export type PayableOrder = Order & { items: Pick<OrderItem, 'title' | 'skuTitle' | 'quantity'>[] };

/** What the caller rejects before talking to WeChat: someone else's order, a closed/paid/expired one. */
function assertPayable(order: PayableOrder, now: Date) {
  if (order.status !== 'PENDING_PAYMENT') {
    const why = order.status === 'CLOSED' ? 'it is closed' : 'it is already paid';
    throw new AppError('ORDER_NOT_PAYABLE', 409, `order ${order.orderNo} cannot be paid: ${why}`, {
      status: order.status,
    });
  }
  if (order.expiresAt.getTime() <= now.getTime()) {
    throw new AppError(
      'ORDER_EXPIRED',
      409,
      `order ${order.orderNo} passed its payment time limit: place a new order`,
      {
        expiresAt: order.expiresAt.toISOString(),
      },
    );
  }
}

/**
 * JSAPI下单 for the shopper's own order and the signed uni.requestPayment params. A prepay_id
 * still valid for a while is reused; otherwise WeChat is asked for one with time_expire = the
 * order's expiresAt. The prepay_id is stored with a conditional update, so it never lands on an
 * order closed meanwhile.
 */
export async function payOwnOrder(
  ctx: AppContext,
  userId: string,
  orderNo: string,
  payerOpenid: string,
): Promise<RequestPaymentParams> {
  const now = ctx.now();
  const { order, marked } = await readForPayment(ctx, userId, orderNo, now);
  assertPayable(order, now);
  if (prepayStillUsable(order, now)) return reusePrepay(ctx, order);
  if (!marked) throw new AppError('ORDER_NOT_PAYABLE', 409, `order ${order.orderNo} was closed or paid meanwhile`);
  const request = prepayRequest(ctx, order, payerOpenid);
  // the request and its outcome are recorded together, after the call: one write per payment
  const requested = prepayRequestedEvent(order, request);
  const prepayId = await requestPrepay(ctx, order, request, requested);
  const stored = await storePrepay(ctx, order, prepayId, new Date(now.getTime() + PREPAY_TTL_MS), requested);
  if (!stored) await closeStrayPrepay(ctx, order);
  return ctx.wechatpay.requestPaymentParams(prepayId);
}

/** A stored prepay_id with more than the reuse margin of its 2 hours left. */
function prepayStillUsable(
  order: PayableOrder,
  now: Date,
): order is PayableOrder & { prepayId: string; prepayExpiresAt: Date } {
  return Boolean(
    order.prepayId && order.prepayExpiresAt && order.prepayExpiresAt.getTime() - now.getTime() > PREPAY_REUSE_MARGIN_MS,
  );
}

async function reusePrepay(
  ctx: AppContext,
  order: PayableOrder & { prepayId: string; prepayExpiresAt: Date },
): Promise<RequestPaymentParams> {
  await insertEvents(sqlOn(ctx.db), [
    { orderId: order.id, type: 'PREPAY_REUSED', payload: { prepayExpiresAt: order.prepayExpiresAt.toISOString() } },
  ]);
  return ctx.wechatpay.requestPaymentParams(order.prepayId);
}

function prepayRequest(ctx: AppContext, order: PayableOrder, payerOpenid: string): JsapiPrepayRequest {
  return {
    outTradeNo: order.orderNo,
    description: describeOrder(order.items),
    timeExpire: toRfc3339Beijing(order.expiresAt),
    notifyUrl: ctx.publicBaseUrl + TRANSACTION_NOTIFY_PATH,
    amountFen: order.totalFen,
    payerOpenid,
  };
}

function prepayRequestedEvent(order: PayableOrder, request: JsapiPrepayRequest): EventRow {
  return {
    orderId: order.id,
    type: 'PREPAY_REQUESTED',
    payload: {
      description: request.description,
      timeExpire: request.timeExpire,
      notifyUrl: request.notifyUrl,
      amountFen: request.amountFen,
    },
  };
}

/**
 * The shopper's own order with what paying needs of its lines (商品描述, in id order), read in
 * one statement (checkout's hot path) that also marks the order before WeChat is asked — when
 * what it reads is payable and holds no prepay_id worth reusing, exactly the case in which
 * payOwnOrder asks WeChat. The mark is a conditional update: a close that finds it unset knows
 * no prepay can exist and closes here alone; one that finds it set closes at WeChat first. An
 * order closed or paid after the read is not marked. Anyone else's order is "not found".
 */
async function readForPayment(
  ctx: AppContext,
  userId: string,
  orderNo: string,
  now: Date,
): Promise<{ order: PayableOrder; marked: boolean }> {
  const read = await sqlQuery<PayableOrder & { prepayMarked: boolean }>(
    ctx.db,
    `WITH found AS (SELECT * FROM "Order" WHERE "orderNo" = $1),
     marked AS (
       UPDATE "Order" o SET "prepayRequestedAt" = $3, "updatedAt" = $3
       FROM found f
       WHERE o.id = f.id AND o.status = 'PENDING_PAYMENT'
         AND f."userId" = $2 AND f.status = 'PENDING_PAYMENT' AND f."expiresAt" > $3
         AND NOT (coalesce(f."prepayId", '') <> '' AND coalesce(f."prepayExpiresAt" > $4, false))
       RETURNING o.id
     )
     SELECT f.*, EXISTS (SELECT 1 FROM marked) AS "prepayMarked", coalesce((
       SELECT json_agg(json_build_object('title', i.title, 'skuTitle', i."skuTitle", 'quantity', i.quantity) ORDER BY i.id)
       FROM "OrderItem" i WHERE i."orderId" = f.id), '[]') AS items
     FROM found f`,
    [orderNo, userId, now, new Date(now.getTime() + PREPAY_REUSE_MARGIN_MS)],
  );
  const row = read.rows[0];
  if (!row || row.userId !== userId) throw notFound('order');
  const { prepayMarked, ...order } = row;
  return { order, marked: prepayMarked };
}

/** JSAPI下单; a refusal is recorded with the request and answered as the shopper should see it. */
async function requestPrepay(
  ctx: AppContext,
  order: PayableOrder,
  request: JsapiPrepayRequest,
  requested: EventRow,
): Promise<string> {
  try {
    return (await ctx.wechatpay.jsapiPrepay(request)).prepayId;
  } catch (err) {
    const e = asWechatPayError(err);
    await insertEvents(sqlOn(ctx.db), [
      requested,
      { orderId: order.id, type: 'PREPAY_FAILED', payload: { code: e.code, status: e.status, retryable: e.retryable } },
    ]);
    throw await prepayRefusal(ctx, order, e);
  }
}

async function prepayRefusal(ctx: AppContext, order: PayableOrder, e: WechatPayError): Promise<AppError> {
  if (e.code === 'ORDERPAID') {
    // paid already (a lost notification): bring the order up to date and say so
    await queryAndSettle(ctx, order, 'query');
    const current = await ctx.prisma.order.findUnique({ where: { id: order.id }, include: orderInclude });
    return new AppError('ORDER_NOT_PAYABLE', 409, `order ${order.orderNo} is already paid`, {
      order: current ? toOrderDto(current, ctx.now()) : undefined,
    });
  }
  if (e.code === 'ORDER_CLOSED')
    return new AppError('ORDER_NOT_PAYABLE', 409, `order ${order.orderNo} is closed at WeChat Pay`);
  return wechatPayAppError(e);
}

/**
 * One statement, so one transaction: the conditional update (taking the row lock first, as
 * settling does) and both events, PREPAY_CREATED saying whether the prepay_id was stored. False
 * when the order was closed or paid meanwhile.
 */
async function storePrepay(
  ctx: AppContext,
  order: PayableOrder,
  prepayId: string,
  prepayExpiresAt: Date,
  requested: EventRow,
): Promise<boolean> {
  const stored = await sqlQuery<{ stored: boolean }>(
    ctx.db,
    `WITH stored AS (
       UPDATE "Order" SET "prepayId" = $2, "prepayExpiresAt" = $3, version = version + 1, "updatedAt" = $4
       WHERE id = $1 AND status = 'PENDING_PAYMENT' RETURNING id
     ), answer AS (SELECT EXISTS (SELECT 1 FROM stored) AS stored)
     INSERT INTO "OrderEvent" ("orderId", type, payload)
     VALUES ($1, $5, $6::jsonb),
            ($1, 'PREPAY_CREATED', $7::jsonb || jsonb_build_object('stored', (SELECT stored FROM answer)))
     RETURNING (SELECT stored FROM answer) AS stored`,
    [
      order.id,
      prepayId,
      prepayExpiresAt,
      ctx.now(),
      requested.type,
      JSON.stringify(requested.payload),
      JSON.stringify({ prepayId, prepayExpiresAt: prepayExpiresAt.toISOString() }),
    ],
  );
  return stored.rows[0]!.stored;
}

/** Closed here while this prepay was on its way: close it at WeChat too, so nobody can pay it. */
async function closeStrayPrepay(ctx: AppContext, order: PayableOrder): Promise<never> {
  try {
    await ctx.wechatpay.close(order.orderNo);
    await recordEvent(ctx.prisma, order.id, 'CLOSE_RESULT', { source: 'cancel', result: 'CLOSED' });
  } catch (err) {
    // the expiry job's close and WeChat's own time_expire still end it; a payment wins (paidAfterClose)
    const e = asWechatPayError(err);
    await recordEvent(ctx.prisma, order.id, 'CLOSE_RESULT', { source: 'cancel', result: 'FAILED', code: e.code });
  }
  throw new AppError(
    'ORDER_NOT_PAYABLE',
    409,
    `order ${order.orderNo} was closed or paid while the payment was being prepared`,
  );
}
