/**
 * The BFF's HTTP contract as zod schemas: requests are parsed with them on the server,
 * responses typed with them on both sides. Amounts are integer fen, named `…Fen`.
 */
import { z } from 'zod';
import { ORDER_STATUSES } from './order-status.js';
import { addressSchema, fulfilmentStatusSchema, orderAddressSchema, shipmentSchema } from './fulfilment.js';

export const fen = z.number().int().nonnegative();
export const isoDateTime = z.string();

/** WeChat's out_trade_no charset: digits, letters, _-|* ; 6–32 characters. */
export const ORDER_NO_PATTERN = /^[0-9A-Za-z_\-|*]{6,32}$/;
export const orderNoSchema = z.string().regex(ORDER_NO_PATTERN, 'orderNo must be 6-32 of [0-9A-Za-z_-|*]');

export const orderStatusSchema = z.enum(ORDER_STATUSES);

export const MAX_QUANTITY_PER_ITEM = 99;
export const MAX_LINES_PER_ORDER = 20;

// ---- errors ----
export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

// ---- auth ----
export const loginRequestSchema = z.object({ code: z.string().min(1).max(256) }).strict();
export type LoginRequest = z.infer<typeof loginRequestSchema>;
export const userSchema = z.object({ id: z.string(), openid: z.string(), nickname: z.string().nullable() });
export type User = z.infer<typeof userSchema>;
export const loginResponseSchema = z.object({ token: z.string(), user: userSchema });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

export const adminLoginRequestSchema = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
  .strict();
export type AdminLoginRequest = z.infer<typeof adminLoginRequestSchema>;
/**
 * An admin session (login and refresh answer the same): a short access token, and a single-use
 * refresh token that `POST /api/admin/refresh` trades for a new pair until `refreshExpiresAt`.
 */
export const adminLoginResponseSchema = z.object({
  token: z.string(),
  expiresIn: z.number().int().nonnegative(),
  refreshToken: z.string(),
  refreshExpiresAt: z.string(),
});
export type AdminSession = z.infer<typeof adminLoginResponseSchema>;
export const adminRefreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(200) }).strict();
export type AdminRefreshRequest = z.infer<typeof adminRefreshRequestSchema>;
/** `POST /api/admin/logout`: the session of the Bearer token, or the one the refresh token names. */
export const adminLogoutRequestSchema = z.object({ refreshToken: z.string().min(1).max(200).optional() }).strict();

// ---- catalog ----
export const skuSchema = z.object({
  id: z.string(),
  title: z.string(),
  priceFen: fen,
  stock: z.number().int(),
});
export type Sku = z.infer<typeof skuSchema>;
export const productSchema = z.object({
  id: z.string(),
  title: z.string(),
  subtitle: z.string().nullable(),
  description: z.string(),
  category: z.string(),
  images: z.array(z.string()),
  skus: z.array(skuSchema),
  minPriceFen: fen,
});
export type Product = z.infer<typeof productSchema>;

export function listSchema<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// ---- orders ----
export const createOrderRequestSchema = z
  .object({
    items: z
      .array(
        z
          .object({
            skuId: z.string().min(1).max(64),
            quantity: z.number().int().min(1).max(MAX_QUANTITY_PER_ITEM),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_LINES_PER_ORDER),
    remark: z.string().max(200).optional(),
    address: addressSchema,
  })
  .strict();
export type CreateOrderRequest = z.infer<typeof createOrderRequestSchema>;

export const orderItemSchema = z.object({
  productId: z.string(),
  skuId: z.string(),
  title: z.string(),
  skuTitle: z.string(),
  image: z.string().nullable(),
  priceFen: fen,
  quantity: z.number().int(),
  amountFen: fen,
});
export type OrderItem = z.infer<typeof orderItemSchema>;

export const refundSchema = z.object({
  outRefundNo: z.string(),
  amountFen: fen,
  reason: z.string(),
  status: z.enum(['PENDING', 'PROCESSING', 'SUCCESS', 'CLOSED', 'ABNORMAL']),
  createdAt: isoDateTime,
  succeededAt: isoDateTime.nullable(),
});
export type Refund = z.infer<typeof refundSchema>;

export const orderSchema = z.object({
  orderNo: z.string(),
  status: orderStatusSchema,
  totalFen: fen,
  refundedFen: fen,
  items: z.array(orderItemSchema),
  remark: z.string().nullable(),
  createdAt: isoDateTime,
  paidAt: isoDateTime.nullable(),
  closedAt: isoDateTime.nullable(),
  expiresAt: isoDateTime,
  transactionId: z.string().nullable(),
  refunds: z.array(refundSchema),
  refundRequested: z.boolean(),
  /** the shipping address as placed (null only for orders placed before addresses existed) */
  address: orderAddressSchema.nullable(),
  fulfilmentStatus: fulfilmentStatusSchema,
  /** null until an admin ships the order */
  shipment: shipmentSchema.nullable(),
  /** The shopper's refund requests and how each was answered (REJECTED carries the admin's reason). */
  refundRequests: z
    .array(
      z.object({
        reason: z.string(),
        status: z.string(),
        createdAt: isoDateTime,
        decidedAt: isoDateTime.nullable(),
        rejectReason: z.string().nullable(),
      }),
    )
    .optional(),
});
export type Order = z.infer<typeof orderSchema>;

export const listOrdersQuerySchema = z.object({
  status: orderStatusSchema.optional(),
  fulfilmentStatus: fulfilmentStatusSchema.optional(),
  /** 退款售后: refunded in part or in whole, or with a refund request waiting for an answer */
  afterSale: z.enum(['true']).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** `GET /api/orders/summary`: the shopper's orders counted by what they wait for (the 我的 page). */
export const orderSummarySchema = z.object({
  pendingPayment: z.number().int().nonnegative(),
  toShip: z.number().int().nonnegative(),
  toReceive: z.number().int().nonnegative(),
  afterSale: z.number().int().nonnegative(),
});
export type OrderSummary = z.infer<typeof orderSummarySchema>;

export const requestPaymentParamsSchema = z.object({
  appId: z.string(),
  timeStamp: z.string(),
  nonceStr: z.string(),
  package: z.string().startsWith('prepay_id='),
  signType: z.literal('RSA'),
  paySign: z.string(),
});
export type RequestPaymentParams = z.infer<typeof requestPaymentParamsSchema>;

export const refundRequestBodySchema = z.object({ reason: z.string().trim().min(1).max(200) }).strict();

// ---- admin ----
export const adminRefundRequestSchema = z
  .object({ amountFen: z.number().int().positive(), reason: z.string().trim().min(1).max(80) })
  .strict();
export type AdminRefundRequest = z.infer<typeof adminRefundRequestSchema>;

export const orderEventSchema = z.object({
  id: z.string(),
  type: z.string(),
  payload: z.unknown(),
  createdAt: isoDateTime,
});
export type OrderEvent = z.infer<typeof orderEventSchema>;

/** A shopper's refund request: REQUESTED until an admin refunds (APPROVED) or turns it down (REJECTED). */
export const refundRequestViewSchema = z.object({
  id: z.string(),
  reason: z.string(),
  status: z.string(),
  createdAt: isoDateTime,
  decidedAt: isoDateTime.nullable(),
});
export type RefundRequestView = z.infer<typeof refundRequestViewSchema>;

export const adminOrderSchema = orderSchema.extend({
  openid: z.string(),
  paidAfterClose: z.boolean(),
  /** what an admin can still refund: paid − refunded − refunds in flight (refundableFen) */
  refundableFen: z.number().int().nonnegative(),
  events: z.array(orderEventSchema).optional(),
  refundRequests: z.array(refundRequestViewSchema).default([]),
});
export type AdminOrder = z.infer<typeof adminOrderSchema>;

export const adminOrdersQuerySchema = z.object({
  status: orderStatusSchema.optional(),
  fulfilmentStatus: fulfilmentStatusSchema.optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  q: z.string().max(64).optional(),
  /** part of a product's title, as the order's items hold it (case-insensitive) */
  product: z.string().max(64).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** A calendar date as `YYYY-MM-DD` that exists (2026-02-30 does not). */
export const calendarDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine((d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === d;
  }, 'must be a date that exists');

/** The longest span `GET /api/admin/stats` answers day by day. */
export const STATS_MAX_DAYS = 366;

/** `from`/`to`: Asia/Shanghai dates, both included; `to` defaults to today, `from` to 13 days before `to`. */
export const statsQuerySchema = z.object({ from: calendarDateSchema.optional(), to: calendarDateSchema.optional() });
export type StatsQuery = z.infer<typeof statsQuerySchema>;

const statsDaySchema = z.object({ date: z.string(), paidCount: z.number().int(), gmvFen: fen, refundedFen: fen });

export const statsSchema = z.object({
  today: z.object({ paidCount: z.number().int(), gmvFen: fen, refundedFen: fen }),
  days: z.array(statsDaySchema),
  /**
   * The figures of `days` together. 成交额 (`gmvFen`) is what was paid, refunds not taken off;
   * `netFen` = gmvFen − refundedFen; `refundRate` = refundedFen / gmvFen (0 without sales);
   * `averageOrderFen` = gmvFen / paidCount, rounded to the fen.
   */
  range: z.object({
    from: z.string(),
    to: z.string(),
    paidCount: z.number().int(),
    gmvFen: fen,
    refundedFen: fen,
    netFen: z.number().int(),
    refundRate: z.number().min(0),
    averageOrderFen: fen,
  }),
});
export type Stats = z.infer<typeof statsSchema>;
