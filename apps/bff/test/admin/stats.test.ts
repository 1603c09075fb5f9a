import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate, shanghaiDayStart, shiftShanghaiDate, statsSchema } from '@uni-checkout/shared';
import { startHarness, type ApiClient, type Harness } from '../support/harness.js';
import { paidOrder, placeOrder, refundNotified } from '../refunds/paid-order.js';

describe('GET /api/admin/stats', { timeout: 30_000 }, () => {
  let h: Harness;
  let admin: ApiClient;
  beforeAll(async () => {
    h = await startHarness();
    admin = await h.admin();
  }, 60_000);
  afterAll(() => h?.close());

  it("counts today's and the last 14 Asia/Shanghai days' paid orders, GMV and refunds from the orders created", async () => {
    const a = await paidOrder(h);
    const b = await paidOrder(h, undefined, { sku: 1, quantity: 3 });
    await placeOrder(h, await h.shopper()); // unpaid: not counted
    const refund = await admin.post(`/api/admin/orders/${b.orderNo}/refunds`, { amountFen: 7, reason: 'partial' });
    await refundNotified(h, refund.body.outRefundNo);

    // an order paid at 00:30 Beijing time three days ago (16:30 UTC the day before) belongs to that Beijing day
    const today = shanghaiDate(new Date());
    const threeDaysAgo = shanghaiDate(new Date(shanghaiDayStart(today).getTime() - 3 * 86_400_000 + 3600_000));
    const user = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: a.shopper.openid } });
    const paidAt = new Date(shanghaiDayStart(threeDaysAgo).getTime() + 30 * 60_000);
    await h.bff.ctx.prisma.order.create({
      data: {
        orderNo: 'OLDPAID000001',
        userId: user.id,
        status: 'PAID',
        totalFen: 4321,
        expiresAt: paidAt,
        paidAt,
        createdAt: paidAt,
      },
    });
    // and one paid 15 days ago falls outside the window
    const old = new Date(shanghaiDayStart(today).getTime() - 15 * 86_400_000);
    await h.bff.ctx.prisma.order.create({
      data: {
        orderNo: 'OLDPAID000002',
        userId: user.id,
        status: 'PAID',
        totalFen: 999,
        expiresAt: old,
        paidAt: old,
        createdAt: old,
      },
    });

    const res = await admin.get('/api/admin/stats');
    expect(res.status).toBe(200);
    expect(statsSchema.safeParse(res.body).success).toBe(true);
    expect(res.body.today).toEqual({ paidCount: 2, gmvFen: a.totalFen + b.totalFen, refundedFen: 7 });
    expect(res.body.days).toHaveLength(14);
    expect(res.body.days[13]).toEqual({ date: today, ...res.body.today });
    expect(res.body.days[10]).toEqual({ date: threeDaysAgo, paidCount: 1, gmvFen: 4321, refundedFen: 0 });
    const dates = res.body.days.map((d: { date: string }) => d.date);
    expect(new Set(dates).size).toBe(14);
    expect([...dates].sort()).toEqual(dates);
    const totals = res.body.days.reduce((s: number, d: { gmvFen: number }) => s + d.gmvFen, 0);
    expect(totals).toBe(a.totalFen + b.totalFen + 4321);

    // the 14 days together: 成交额 keeps the refunded order whole; the refund is taken off only in netFen
    const gmv = a.totalFen + b.totalFen + 4321;
    expect(res.body.range).toEqual({
      from: shiftShanghaiDate(today, -13),
      to: today,
      paidCount: 3,
      gmvFen: gmv,
      refundedFen: 7,
      netFen: gmv - 7,
      refundRate: Math.round((7 / gmv) * 10_000) / 10_000,
      averageOrderFen: Math.round(gmv / 3),
    });

    // a span asked for by its dates: the 30 days up to today reach the order paid 15 days ago
    const month = await admin.get(`/api/admin/stats?from=${shiftShanghaiDate(today, -29)}&to=${today}`);
    expect(month.status).toBe(200);
    expect(month.body.days).toHaveLength(30);
    expect(month.body.range).toMatchObject({ paidCount: 4, gmvFen: gmv + 999, refundedFen: 7, netFen: gmv + 999 - 7 });

    // a span that ends before today: only its own days, and today's figures still today's
    const past = await admin.get(`/api/admin/stats?from=${threeDaysAgo}&to=${threeDaysAgo}`);
    expect(past.status).toBe(200);
    expect(past.body.days).toEqual([{ date: threeDaysAgo, paidCount: 1, gmvFen: 4321, refundedFen: 0 }]);
    expect(past.body.range).toMatchObject({
      paidCount: 1,
      gmvFen: 4321,
      netFen: 4321,
      refundRate: 0,
      averageOrderFen: 4321,
    });
    expect(past.body.today).toEqual(res.body.today);
  });

  it('refuses dates that do not exist, a span backwards and one over 366 days, with VALIDATION_FAILED', async () => {
    const today = shanghaiDate(new Date());
    for (const query of [
      'from=2026-02-30',
      'to=20260101',
      `from=${shiftShanghaiDate(today, 1)}`,
      `from=${today}&to=${shiftShanghaiDate(today, -1)}`,
      `from=2024-01-01&to=2025-01-01`,
    ]) {
      const res = await admin.get(`/api/admin/stats?${query}`);
      expect([query, res.status, res.body.error?.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
    }
    // 366 days, both ends included, is the most
    const year = await admin.get('/api/admin/stats?from=2024-01-01&to=2024-12-31');
    expect(year.status).toBe(200);
    expect(year.body.days).toHaveLength(366);
  });

  it('answers a span without sales with zero rates, not NaN', async () => {
    const res = await admin.get('/api/admin/stats?from=2020-01-01&to=2020-01-07');
    expect(res.status).toBe(200);
    expect(res.body.range).toEqual({
      from: '2020-01-01',
      to: '2020-01-07',
      paidCount: 0,
      gmvFen: 0,
      refundedFen: 0,
      netFen: 0,
      refundRate: 0,
      averageOrderFen: 0,
    });
  });
});
