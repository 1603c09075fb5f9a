import { describe, expect, it } from 'vitest';
import {
  adminActions,
  canTransition,
  createOrderRequestSchema,
  fenToYuan,
  formatFen,
  isRefundInFlight,
  refundableFen,
  orderNoSchema,
  parseYuanToFen,
  shopperActions,
  statusAfterRefunds,
  sumFen,
} from '../src/index.js';

describe('money', () => {
  it('formats integer fen as yuan with two decimals', () => {
    expect(formatFen(1230)).toBe('¥12.30');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(-5)).toBe('-¥0.05');
    expect(formatFen(123456789)).toBe('¥1234567.89');
  });
  it('refuses non-integer fen', () => {
    expect(() => formatFen(12.5)).toThrow(RangeError);
    expect(() => sumFen([1, 0.5])).toThrow(RangeError);
  });
  it('writes fen as the plain yuan figure an input field takes, and reads it back', () => {
    expect([fenToYuan(25600), fenToYuan(5), fenToYuan(0), fenToYuan(10050)]).toEqual([
      '256.00',
      '0.05',
      '0.00',
      '100.50',
    ]);
    for (const fen of [1, 99, 100, 1999, 2147483647]) expect(parseYuanToFen(fenToYuan(fen))).toBe(fen);
  });
  it('parses yuan strings without floating point error', () => {
    expect(parseYuanToFen('0.1')).toBe(10);
    expect(parseYuanToFen('19.99')).toBe(1999);
    expect(parseYuanToFen('12')).toBe(1200);
    expect(() => parseYuanToFen('1.234')).toThrow(RangeError);
    expect(() => parseYuanToFen('-1')).toThrow(RangeError);
  });
  it('sums fen', () => {
    expect(sumFen([1999, 1, 100])).toBe(2100);
  });
});

describe('order state machine', () => {
  it('allows only the documented transitions', () => {
    expect(canTransition('PENDING_PAYMENT', 'PAID')).toBe(true);
    expect(canTransition('PENDING_PAYMENT', 'CLOSED')).toBe(true);
    expect(canTransition('CLOSED', 'PAID')).toBe(true);
    expect(canTransition('PAID', 'CLOSED')).toBe(false);
    expect(canTransition('REFUNDED', 'PAID')).toBe(false);
    expect(canTransition('PAID', 'PENDING_PAYMENT')).toBe(false);
  });
  it('derives refund status from amounts', () => {
    expect(statusAfterRefunds(1000, 0)).toBe('PAID');
    expect(statusAfterRefunds(1000, 1)).toBe('PARTIALLY_REFUNDED');
    expect(statusAfterRefunds(1000, 1000)).toBe('REFUNDED');
    expect(() => statusAfterRefunds(1000, 1001)).toThrow(RangeError);
  });
  it('offers shopper actions by state and expiry', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const base = { totalFen: 1000, refundedFen: 0, expiresAt: '2026-01-01T00:30:00Z' };
    expect(shopperActions({ ...base, status: 'PENDING_PAYMENT' }, now)).toEqual({
      pay: true,
      cancel: true,
      requestRefund: false,
      rebuy: false,
    });
    expect(shopperActions({ ...base, status: 'PENDING_PAYMENT', expiresAt: '2025-12-31T23:59:59Z' }, now).pay).toBe(
      false,
    );
    expect(shopperActions({ ...base, status: 'PAID' }, now).requestRefund).toBe(true);
    expect(shopperActions({ ...base, status: 'PAID', refundRequested: true }, now).requestRefund).toBe(false);
    expect(shopperActions({ ...base, status: 'REFUNDED', refundedFen: 1000 }, now).requestRefund).toBe(false);
  });
  it('offers admin actions', () => {
    const base = { totalFen: 1000, expiresAt: '2026-01-01T00:30:00Z' };
    expect(adminActions({ ...base, status: 'PARTIALLY_REFUNDED', refundedFen: 400 }).refund).toBe(true);
    expect(adminActions({ ...base, status: 'REFUNDED', refundedFen: 1000 }).refund).toBe(false);
    expect(adminActions({ ...base, status: 'PENDING_PAYMENT', refundedFen: 0 }).close).toBe(true);
  });
});

describe('request schemas', () => {
  it('rejects quantities outside 1..99 and unknown fields', () => {
    expect(createOrderRequestSchema.safeParse({ items: [{ skuId: 'a', quantity: 0 }] }).success).toBe(false);
    expect(createOrderRequestSchema.safeParse({ items: [{ skuId: 'a', quantity: 100 }] }).success).toBe(false);
    expect(createOrderRequestSchema.safeParse({ items: [{ skuId: 'a', quantity: 1, priceFen: 1 }] }).success).toBe(
      false,
    );
    const address = {
      name: '张三',
      phone: '13800001234',
      province: '浙江省',
      city: '杭州市',
      district: '西湖区',
      detail: '龙井路 18 号',
    };
    expect(createOrderRequestSchema.safeParse({ items: [{ skuId: 'a', quantity: 2 }], address }).success).toBe(true);
    // an order ships somewhere: no address, no order
    expect(createOrderRequestSchema.safeParse({ items: [{ skuId: 'a', quantity: 2 }] }).success).toBe(false);
  });
  it('accepts only WeChat out_trade_no shapes', () => {
    expect(orderNoSchema.safeParse('UC20260101000000ABCD').success).toBe(true);
    expect(orderNoSchema.safeParse('short').success).toBe(false);
    expect(orderNoSchema.safeParse('has space 123').success).toBe(false);
    expect(orderNoSchema.safeParse('x'.repeat(33)).success).toBe(false);
  });
});

describe('refund policy', () => {
  it('keeps refunds still with WeChat reserved: only the rest can be refunded now', () => {
    const order = { status: 'PARTIALLY_REFUNDED' as const, totalFen: 25600, refundedFen: 10050 };
    const refunds = [
      { status: 'SUCCESS', amountFen: 10050 },
      { status: 'PROCESSING', amountFen: 5000 },
      { status: 'PENDING', amountFen: 50 },
      { status: 'CLOSED', amountFen: 999 },
    ];
    expect(refunds.map((r) => isRefundInFlight(r.status))).toEqual([false, true, true, false]);
    expect(isRefundInFlight('ABNORMAL')).toBe(true);
    expect(refundableFen(order, refunds)).toBe(25600 - 10050 - 5000 - 50);
    expect(refundableFen({ ...order, status: 'PENDING_PAYMENT' }, [])).toBe(0);
    expect(refundableFen(order, [{ status: 'PROCESSING', amountFen: 99_999 }])).toBe(0);
  });
});
