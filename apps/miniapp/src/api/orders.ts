import {
  listSchema,
  orderSchema,
  orderSummarySchema,
  requestPaymentParamsSchema,
  type CreateOrderRequest,
  type FulfilmentStatus,
  type Order,
  type OrderStatus,
  type OrderSummary,
  type Page,
  type RequestPaymentParams,
} from '@uni-checkout/shared';
import { z } from 'zod';
import { http } from './http';

const orderPageSchema = listSchema(orderSchema);
const path = (orderNo: string) => `/api/orders/${encodeURIComponent(orderNo)}`;

/**
 * `POST /api/orders`. The same `Idempotency-Key` with the same body answers the same order, so a
 * retry after a lost answer never creates a second one.
 */
export function createOrder(request: CreateOrderRequest, idempotencyKey: string): Promise<Order> {
  return http.post(
    '/api/orders',
    { ...request },
    {
      header: { 'Idempotency-Key': idempotencyKey },
      // The checkout page shows the message beside its submit button.
      toast: false,
      parse: (body) => orderSchema.parse(body),
    },
  );
}

export function listOrders(params: {
  status?: OrderStatus;
  fulfilmentStatus?: FulfilmentStatus;
  afterSale?: boolean;
  cursor?: string | null;
}): Promise<Page<Order>> {
  return http.get('/api/orders', {
    query: {
      status: params.status,
      fulfilmentStatus: params.fulfilmentStatus,
      afterSale: params.afterSale ? 'true' : undefined,
      cursor: params.cursor ?? undefined,
    },
    parse: (body) => orderPageSchema.parse(body) as Page<Order>,
  });
}

/** The 我的 page's counts: 待支付, 待发货, 待收货, 退款售后. */
export function getOrderSummary(): Promise<OrderSummary> {
  return http.get('/api/orders/summary', { toast: false, parse: (body) => orderSummarySchema.parse(body) });
}

/** While the order is unpaid the BFF asks WeChat about it before answering (the result page relies on it). */
export function getOrder(orderNo: string, options: { toast?: boolean } = {}): Promise<Order> {
  return http.get(path(orderNo), { toast: options.toast, parse: (body) => orderSchema.parse(body) });
}

export function cancelOrder(orderNo: string): Promise<Order> {
  return http.post(`${path(orderNo)}/cancel`, {}, { parse: (body) => orderSchema.parse(body) });
}

/** `uni.requestPayment` parameters, signed by the BFF (the merchant key never leaves it). */
export function prepay(orderNo: string): Promise<RequestPaymentParams> {
  return http.post(`${path(orderNo)}/pay`, {}, { parse: (body) => requestPaymentParamsSchema.parse(body) });
}

const refundRequestSchema = z.object({ id: z.string(), reason: z.string(), status: z.string(), createdAt: z.string() });
export type ShopperRefundRequest = z.infer<typeof refundRequestSchema>;

export function requestRefund(orderNo: string, reason: string): Promise<ShopperRefundRequest> {
  return http.post(
    `${path(orderNo)}/refund-requests`,
    { reason },
    { parse: (body) => refundRequestSchema.parse(body) },
  );
}

/**
 * 确认收货: the BFF asks WeChat (get_order) whether the shopper confirmed in WeChat's component and
 * answers the order, RECEIVED once WeChat says so (409 RECEIPT_NOT_CONFIRMED before).
 */
export function confirmReceipt(orderNo: string): Promise<Order> {
  return http.post(`${path(orderNo)}/confirm-receipt`, {}, { toast: false, parse: (body) => orderSchema.parse(body) });
}
