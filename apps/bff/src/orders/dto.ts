import { shopperActions, type Order as OrderDto, type OrderStatus, type ShopperActions } from '@uni-checkout/shared';
import type { Order, OrderEvent, OrderItem, Refund, RefundRequest, Shipment } from '../db/index.js';
import { fulfilmentFields } from './fulfilment-view.js';

/**
 * What every order read loads: the order with its lines, refunds, refund requests and the events
 * that turned a request down (their reason is what the shopper is told).
 */
export const orderInclude = {
  items: { orderBy: { id: 'asc' } },
  refunds: { orderBy: { createdAt: 'asc' } },
  refundRequests: { orderBy: { createdAt: 'asc' } },
  events: { where: { type: 'REFUND_REQUEST_REJECTED' }, orderBy: { id: 'asc' } },
  shipment: true,
} as const;

export type OrderWithLines = Order & {
  items: OrderItem[];
  refunds: Refund[];
  refundRequests: RefundRequest[];
  events?: OrderEvent[];
  shipment: Shipment | null;
};

/** Each refund request with its answer: the reason an admin gave when turning it down. */
function refundRequestAnswers(o: OrderWithLines) {
  const rejections = new Map<string, string>();
  for (const e of o.events ?? []) {
    const payload = (e.payload ?? {}) as { requestId?: unknown; reason?: unknown };
    if (typeof payload.requestId === 'string' && typeof payload.reason === 'string') {
      rejections.set(payload.requestId, payload.reason);
    }
  }
  return o.refundRequests.map((r) => ({
    reason: r.reason,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    decidedAt: iso(r.decidedAt),
    rejectReason: rejections.get(r.id) ?? null,
  }));
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The order as its shopper sees it (packages/shared orderSchema) plus the actions open to them. */
/** The fields every view of an order shares (the shopper's and the admin's). */
export function orderFields(
  o: Order & { items: OrderItem[]; shipment: Shipment | null },
  opts: { maskPhone?: boolean } = {},
) {
  return {
    orderNo: o.orderNo,
    status: o.status as OrderStatus,
    totalFen: o.totalFen,
    refundedFen: o.refundedFen,
    items: o.items.map((i) => ({
      productId: i.productId,
      skuId: i.skuId,
      title: i.title,
      skuTitle: i.skuTitle,
      image: i.image,
      priceFen: i.priceFen,
      quantity: i.quantity,
      amountFen: i.amountFen,
    })),
    remark: o.remark,
    createdAt: o.createdAt.toISOString(),
    paidAt: iso(o.paidAt),
    closedAt: iso(o.closedAt),
    expiresAt: o.expiresAt.toISOString(),
    transactionId: o.transactionId,
    ...fulfilmentFields(o, opts),
  };
}

/** In the shopper's list the phone is masked (138****1234); their order page shows it whole. */
export function toOrderDto(
  o: OrderWithLines,
  now: Date,
  opts: { maskPhone?: boolean } = {},
): OrderDto & { actions: ShopperActions & { confirmReceipt: boolean } } {
  const status = o.status as OrderStatus;
  const refundRequested = o.refundRequests.some((r) => r.status === 'REQUESTED');
  return {
    ...orderFields(o, opts),
    refunds: o.refunds.map((r) => ({
      outRefundNo: r.outRefundNo,
      amountFen: r.amountFen,
      reason: r.reason,
      status: r.status,
      createdAt: r.createdAt.toISOString(),
      succeededAt: iso(r.succeededAt),
    })),
    refundRequested,
    refundRequests: refundRequestAnswers(o),
    actions: {
      ...shopperActions(
        { status, totalFen: o.totalFen, refundedFen: o.refundedFen, expiresAt: o.expiresAt, refundRequested },
        now,
      ),
      confirmReceipt: o.fulfilmentStatus === 'SHIPPED',
    },
  };
}
