import { adminActions, refundableFen, type OrderStatus } from '@uni-checkout/shared';
import type { Order, OrderEvent, OrderItem, Refund, RefundRequest, Shipment, User } from '../db/index.js';
import { orderFields } from '../orders/dto.js';
import { serializeRefund, serializeRefundRequest } from '../refunds/serialize.js';

export type OrderWithRelations = Order & {
  items: OrderItem[];
  refunds: Refund[];
  refundRequests: RefundRequest[];
  shipment: Shipment | null;
  user: Pick<User, 'openid'>;
};

export function serializeEvent(e: OrderEvent) {
  return { id: e.id.toString(), type: e.type, payload: e.payload, createdAt: e.createdAt.toISOString() };
}

/** The order as admins see it (adminOrderSchema): the shopper's view plus openid, flags and actions. */
export function serializeAdminOrder(o: OrderWithRelations, events?: OrderEvent[]) {
  const refundRequested = o.refundRequests.some((r) => r.status === 'REQUESTED');
  const status = o.status as OrderStatus;
  const actions = adminActions({
    status,
    totalFen: o.totalFen,
    refundedFen: o.refundedFen,
    expiresAt: o.expiresAt,
    refundRequested,
  });
  const refundable = refundableFen({ status, totalFen: o.totalFen, refundedFen: o.refundedFen }, o.refunds);
  return {
    ...orderFields(o),
    refunds: o.refunds.map(serializeRefund),
    refundRequested,
    refundRequests: o.refundRequests.map(serializeRefundRequest),
    openid: o.user.openid,
    paidAfterClose: o.paidAfterClose,
    refundableFen: refundable,
    actions: { ...actions, refund: refundable > 0 },
    ...(events ? { events: events.map(serializeEvent) } : {}),
  };
}

export const orderRelations = {
  items: true,
  refunds: { orderBy: { createdAt: 'asc' } },
  refundRequests: { orderBy: { createdAt: 'asc' } },
  shipment: true,
  user: { select: { openid: true } },
} as const;
