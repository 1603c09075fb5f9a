import { describe, expect, it } from 'vitest';
import { adminOrderSchema, refundableFen, RESERVING_REFUND_STATUSES } from '../src/index.js';

describe('what can still be refunded (one rule for the server, the admin view and the form)', () => {
  const paid = { status: 'PARTIALLY_REFUNDED' as const, totalFen: 1000, refundedFen: 300 };

  it('subtracts refunds still on their way, not only the refunded amount', () => {
    const refunds = [
      { status: 'PROCESSING', amountFen: 200 },
      { status: 'ABNORMAL', amountFen: 100 },
      { status: 'CLOSED', amountFen: 400 },
      { status: 'SUCCESS', amountFen: 300 },
    ];
    expect(refundableFen(paid, refunds)).toBe(400);
    expect(RESERVING_REFUND_STATUSES).toEqual(['PENDING', 'PROCESSING', 'ABNORMAL']);
  });

  it('is 0 for an unpaid order and never negative', () => {
    expect(refundableFen({ status: 'PENDING_PAYMENT', totalFen: 1000, refundedFen: 0 }, [])).toBe(0);
    expect(refundableFen(paid, [{ status: 'PENDING', amountFen: 5000 }])).toBe(0);
  });

  it('is declared by the admin order schema', () => {
    expect(Object.keys(adminOrderSchema.shape)).toContain('refundableFen');
  });
});
