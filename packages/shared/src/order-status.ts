/**
 * Order statuses and their state machine. Pure functions: the BFF enforces them with
 * conditional updates, the mini-program uses them to decide which buttons to show
 * (in the manner of litemall's order "handle options").
 */

export const ORDER_STATUSES = ['PENDING_PAYMENT', 'PAID', 'CLOSED', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_STATUS_LABELS: Record<OrderStatus, string> = {
  PENDING_PAYMENT: '待支付',
  PAID: '已支付',
  CLOSED: '已关闭',
  PARTIALLY_REFUNDED: '部分退款',
  REFUNDED: '已退款',
};

const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING_PAYMENT: ['PAID', 'CLOSED'],
  // money received for an order closed locally still counts as paid (money wins)
  CLOSED: ['PAID'],
  PAID: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  REFUNDED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses an order may move to `to` from: what a conditional update's WHERE accepts. */
export function statusesInto(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

export function isPaidStatus(status: OrderStatus): boolean {
  return status === 'PAID' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED';
}

/** Derived from amounts, never set by hand: what a paid order's status is after refunds. */
export function statusAfterRefunds(totalFen: number, refundedFen: number): OrderStatus {
  if (refundedFen < 0 || refundedFen > totalFen) {
    throw new RangeError(`refundedFen ${refundedFen} outside 0..${totalFen}`);
  }
  if (refundedFen === 0) return 'PAID';
  return refundedFen === totalFen ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}

/** Refund statuses whose money is (or may still be) on its way back: they hold their amount. */
export const RESERVING_REFUND_STATUSES = ['PENDING', 'PROCESSING', 'ABNORMAL'] as const;

/**
 * What can still be refunded: paid minus refunded minus refunds still on their way (a CLOSED
 * refund gives its amount back). The one rule for the refund service, the admin view and its form.
 */
export function refundableFen(
  order: { status: OrderStatus; totalFen: number; refundedFen: number },
  refunds: readonly { status: string; amountFen: number }[] = [],
): number {
  if (!isPaidStatus(order.status)) return 0;
  const inFlightFen = refunds.filter((r) => isRefundInFlight(r.status)).reduce((sum, r) => sum + r.amountFen, 0);
  return Math.max(0, order.totalFen - order.refundedFen - inFlightFen);
}

/**
 * Refunds still with WeChat Pay: their amount stays reserved until they succeed or close (an
 * ABNORMAL one, e.g. a closed bank card, waits for the merchant to resolve it at WeChat Pay).
 */
export function isRefundInFlight(status: string): boolean {
  return (RESERVING_REFUND_STATUSES as readonly string[]).includes(status);
}

export interface OrderActionInput {
  status: OrderStatus;
  totalFen: number;
  refundedFen: number;
  expiresAt: string | Date;
  /** a shopper's refund request is already open */
  refundRequested?: boolean;
}

export interface ShopperActions {
  pay: boolean;
  cancel: boolean;
  requestRefund: boolean;
  rebuy: boolean;
}

export interface AdminActions {
  refund: boolean;
  close: boolean;
}

function expired(input: OrderActionInput, now: Date): boolean {
  return new Date(input.expiresAt).getTime() <= now.getTime();
}

/** What a shopper may do with an order now. */
export function shopperActions(input: OrderActionInput, now: Date = new Date()): ShopperActions {
  const pending = input.status === 'PENDING_PAYMENT';
  return {
    pay: pending && !expired(input, now),
    cancel: pending,
    requestRefund: refundableFen(input) > 0 && !input.refundRequested,
    rebuy: input.status !== 'PENDING_PAYMENT',
  };
}

/** What an admin may do with an order now. */
export function adminActions(input: OrderActionInput): AdminActions {
  return {
    refund: refundableFen(input) > 0,
    close: input.status === 'PENDING_PAYMENT',
  };
}
