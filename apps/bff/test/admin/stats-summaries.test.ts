import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate, shanghaiDayStart, shiftShanghaiDate } from '@uni-checkout/shared';
import { adminStats } from '../../src/admin/stats.js';
import type { DbKind } from '../../src/db/index.js';
import { createTestDb, type TestDb } from '../support/db.js';

/**
 * Closed days are read from their DailySales summary; a late payment or refund of such a day (any
 * writer: a late notification, reconciliation, an admin fix) must still show in the figures.
 */
describe.each<DbKind>(['postgres', 'pglite'])('admin stats: summaries of closed days (%s)', (kind) => {
  let db: TestDb;
  let userId: string;
  let n = 0;
  const now = new Date();
  const today = shanghaiDate(now);
  const threeDaysAgo = shiftShanghaiDate(today, -3);
  const fiveDaysAgo = shiftShanghaiDate(today, -5);
  // 12:00 Beijing time on a day
  const noon = (date: string) => new Date(shanghaiDayStart(date).getTime() + 12 * 3600_000);

  beforeAll(async () => {
    db = await createTestDb(kind);
    userId = (await db.prisma.user.create({ data: { openid: `o-stats-${kind}` } })).id;
  }, 60_000);
  afterAll(() => db?.close());

  const order = (totalFen: number, paidAt: Date | null) =>
    db.prisma.order.create({
      data: {
        orderNo: `STATS${kind}${++n}`,
        userId,
        status: paidAt ? 'PAID' : 'PENDING_PAYMENT',
        totalFen,
        expiresAt: paidAt ?? now,
        paidAt,
        createdAt: paidAt ?? now,
      },
    });
  const day = async (date: string) => (await adminStats(db.prisma, now)).days.find((d) => d.date === date);
  const summary = (date: string) => db.prisma.dailySales.findUnique({ where: { day: new Date(`${date}T00:00:00Z`) } });

  it('summarises a closed day once and reads it back from the summary', async () => {
    await order(1000, noon(threeDaysAgo));
    await order(234, noon(threeDaysAgo));
    await order(500, now);
    const stats = await adminStats(db.prisma, now);
    expect(stats.days.find((d) => d.date === threeDaysAgo)).toEqual({
      date: threeDaysAgo,
      paidCount: 2,
      gmvFen: 1234,
      refundedFen: 0,
    });
    expect(stats.today).toEqual({ paidCount: 1, gmvFen: 500, refundedFen: 0 });
    expect(await summary(threeDaysAgo)).toMatchObject({ paidCount: 2, gmvFen: 1234n, refundedFen: 0n, stale: false });
    // the day still open has no summary: it is read from the orders every time
    expect(await summary(today)).toBeNull();
    // a day without sales is summarised too (zeros), so it is not aggregated again
    expect(await summary(fiveDaysAgo)).toMatchObject({ paidCount: 0, gmvFen: 0n, stale: false });

    // what the figures show for a closed day is its summary, not a new aggregation
    await db.prisma.dailySales.update({ where: { day: new Date(`${threeDaysAgo}T00:00:00Z`) }, data: { gmvFen: 1 } });
    expect(await day(threeDaysAgo)).toMatchObject({ gmvFen: 1 });
    await db.prisma.dailySales.update({
      where: { day: new Date(`${threeDaysAgo}T00:00:00Z`) },
      data: { gmvFen: 1234 },
    });
  });

  it('shows a payment settled late for a closed day, moved between days, or an order deleted', async () => {
    const late = await order(4321, null);
    expect(await day(threeDaysAgo)).toMatchObject({ paidCount: 2, gmvFen: 1234 });
    // a notification retried past midnight carries WeChat's success_time: the order is paid on that day
    await db.prisma.order.update({ where: { id: late.id }, data: { status: 'PAID', paidAt: noon(threeDaysAgo) } });
    expect(await summary(threeDaysAgo)).toMatchObject({ stale: true });
    expect(await day(threeDaysAgo)).toEqual({ date: threeDaysAgo, paidCount: 3, gmvFen: 5555, refundedFen: 0 });
    expect(await summary(threeDaysAgo)).toMatchObject({ paidCount: 3, gmvFen: 5555n, stale: false });

    // paidAt corrected to another closed day: both days change
    await db.prisma.order.update({ where: { id: late.id }, data: { paidAt: noon(fiveDaysAgo) } });
    expect(await day(threeDaysAgo)).toMatchObject({ paidCount: 2, gmvFen: 1234 });
    expect(await day(fiveDaysAgo)).toMatchObject({ paidCount: 1, gmvFen: 4321 });

    // an order's amount corrected, then the order removed
    await db.prisma.order.update({ where: { id: late.id }, data: { totalFen: 4000 } });
    expect(await day(fiveDaysAgo)).toMatchObject({ paidCount: 1, gmvFen: 4000 });
    await db.prisma.order.delete({ where: { id: late.id } });
    expect(await day(fiveDaysAgo)).toMatchObject({ paidCount: 0, gmvFen: 0 });
  });

  it('shows a refund that succeeded on a closed day, reported late or changed after', async () => {
    const paid = await db.prisma.order.findFirstOrThrow({ where: { userId, paidAt: noon(threeDaysAgo) } });
    expect(await day(threeDaysAgo)).toMatchObject({ refundedFen: 0 });
    const refund = await db.prisma.refund.create({
      data: {
        orderId: paid.id,
        outRefundNo: `RFSTATS${kind}`,
        amountFen: 30,
        reason: 'late',
        requestedBy: 'admin',
        status: 'SUCCESS',
        succeededAt: noon(threeDaysAgo),
      },
    });
    expect(await day(threeDaysAgo)).toMatchObject({ paidCount: 2, gmvFen: 1234, refundedFen: 30 });
    await db.prisma.refund.update({ where: { id: refund.id }, data: { amountFen: 40 } });
    expect(await day(threeDaysAgo)).toMatchObject({ refundedFen: 40 });
    await db.prisma.refund.update({ where: { id: refund.id }, data: { status: 'ABNORMAL' } });
    expect(await day(threeDaysAgo)).toMatchObject({ refundedFen: 0 });
    await db.prisma.refund.update({ where: { id: refund.id }, data: { status: 'SUCCESS' } });
    expect(await day(threeDaysAgo)).toMatchObject({ refundedFen: 40 });
    // a refund of today (paid on a closed day) counts today, and marks no closed day stale
    await db.prisma.refund.update({ where: { id: refund.id }, data: { succeededAt: now } });
    expect(await day(threeDaysAgo)).toMatchObject({ refundedFen: 0 });
    expect((await adminStats(db.prisma, now)).today).toMatchObject({ refundedFen: 40 });
  });

  it('answers the same figures as the orders when summaries exist for part of a span', async () => {
    const month = await adminStats(db.prisma, now, { from: shiftShanghaiDate(today, -29), to: today });
    const again = await adminStats(db.prisma, now, { from: shiftShanghaiDate(today, -29), to: today });
    expect(again).toEqual(month);
    expect(month.range).toMatchObject({ paidCount: 3, gmvFen: 1734, refundedFen: 40 });
  });
});
