import { beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate, shanghaiDayStart, statsSchema } from '@uni-checkout/shared';
import { useHarness, type ApiClient } from '../support/harness.js';
import { paidOrder, placeOrder, refundNotified } from '../refunds/paid-order.js';

describe('GET /api/admin/stats', { timeout: 30_000 }, () => {
  const h = useHarness();
  let admin: ApiClient;
  beforeAll(async () => {
    admin = await h.admin();
  });

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
  });
});
