import type { Refund, RefundRequest } from '../db/index.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function serializeRefund(r: Refund) {
  return {
    outRefundNo: r.outRefundNo,
    refundId: r.refundId,
    amountFen: r.amountFen,
    reason: r.reason,
    status: r.status,
    requestedBy: r.requestedBy,
    createdAt: r.createdAt.toISOString(),
    succeededAt: iso(r.succeededAt),
  };
}

export function serializeRefundRequest(r: RefundRequest) {
  return {
    id: r.id,
    reason: r.reason,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    decidedAt: iso(r.decidedAt),
  };
}
