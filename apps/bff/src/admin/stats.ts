import { shanghaiDate, shanghaiDayStart, type Stats } from '@uni-checkout/shared';
import type { PrismaClient } from '../db/index.js';

export const STATS_DAYS = 14;

interface DayRow {
  day: string;
  n: bigint | number;
  fen: bigint | number | null;
}

/**
 * Paid orders and GMV by the day they were paid, refunds by the day they succeeded:
 * today and the 13 days before it (14 in all, oldest first), in Asia/Shanghai days.
 */
export async function adminStats(prisma: PrismaClient, now: Date): Promise<Stats> {
  const today = shanghaiDate(now);
  const firstDay = shanghaiDate(new Date(shanghaiDayStart(today).getTime() - (STATS_DAYS - 1) * 86_400_000));
  const since = shanghaiDayStart(firstDay);
  const paid = await prisma.$queryRaw<DayRow[]>`
    SELECT to_char(("paidAt" AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day,
           count(*) AS n, sum("totalFen") AS fen
    FROM "Order" WHERE "paidAt" >= ${since} GROUP BY 1`;
  const refunded = await prisma.$queryRaw<DayRow[]>`
    SELECT to_char(("succeededAt" AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day,
           count(*) AS n, sum("amountFen") AS fen
    FROM "Refund" WHERE status = 'SUCCESS' AND "succeededAt" >= ${since} GROUP BY 1`;
  const paidBy = new Map(paid.map((r) => [r.day, r]));
  const refundedBy = new Map(refunded.map((r) => [r.day, r]));
  const days: Stats['days'] = [];
  for (let i = 0; i < STATS_DAYS; i++) {
    const date = shanghaiDate(new Date(since.getTime() + i * 86_400_000 + 3600_000));
    const p = paidBy.get(date);
    days.push({
      date,
      paidCount: Number(p?.n ?? 0),
      gmvFen: Number(p?.fen ?? 0),
      refundedFen: Number(refundedBy.get(date)?.fen ?? 0),
    });
  }
  const last = days[days.length - 1]!;
  return { today: { paidCount: last.paidCount, gmvFen: last.gmvFen, refundedFen: last.refundedFen }, days };
}
