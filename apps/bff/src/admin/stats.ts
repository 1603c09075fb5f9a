import {
  shanghaiDate,
  shanghaiDayStart,
  shiftShanghaiDate,
  STATS_MAX_DAYS,
  type Stats,
  type StatsQuery,
} from '@uni-checkout/shared';
import { AppError } from '../errors.js';
import type { PrismaClient } from '../db/index.js';

export const STATS_DAYS = 14;

interface DayRow {
  day: string;
  n: bigint | number;
  fen: bigint | number | null;
}

type DayFigures = Stats['days'][number];

/**
 * Paid orders and 成交额 by the Asia/Shanghai day they were paid, refunds by the day they
 * succeeded, for every day from `from` to `to` (both included, oldest first). 成交额 is what was
 * paid: a refund never lowers it, it is counted on its own day and taken off only in `netFen`.
 */
async function dayFigures(prisma: PrismaClient, from: string, to: string): Promise<DayFigures[]> {
  const since = shanghaiDayStart(from);
  const until = shanghaiDayStart(shiftShanghaiDate(to, 1));
  const paid = await prisma.$queryRaw<DayRow[]>`
    SELECT to_char(("paidAt" AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day,
           count(*) AS n, sum("totalFen") AS fen
    FROM "Order" WHERE "paidAt" >= ${since} AND "paidAt" < ${until} GROUP BY 1`;
  const refunded = await prisma.$queryRaw<DayRow[]>`
    SELECT to_char(("succeededAt" AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day,
           count(*) AS n, sum("amountFen") AS fen
    FROM "Refund" WHERE status = 'SUCCESS' AND "succeededAt" >= ${since} AND "succeededAt" < ${until} GROUP BY 1`;
  const paidBy = new Map(paid.map((r) => [r.day, r]));
  const refundedBy = new Map(refunded.map((r) => [r.day, r]));
  const days: DayFigures[] = [];
  for (let date = from; date <= to; date = shiftShanghaiDate(date, 1)) {
    const p = paidBy.get(date);
    days.push({
      date,
      paidCount: Number(p?.n ?? 0),
      gmvFen: Number(p?.fen ?? 0),
      refundedFen: Number(refundedBy.get(date)?.fen ?? 0),
    });
  }
  return days;
}

/** The figures of a span of days together: net revenue, refund rate, average order value. */
export function rangeFigures(from: string, to: string, days: DayFigures[]): Stats['range'] {
  const paidCount = days.reduce((n, d) => n + d.paidCount, 0);
  const gmvFen = days.reduce((n, d) => n + d.gmvFen, 0);
  const refundedFen = days.reduce((n, d) => n + d.refundedFen, 0);
  return {
    from,
    to,
    paidCount,
    gmvFen,
    refundedFen,
    netFen: gmvFen - refundedFen,
    refundRate: gmvFen > 0 ? Math.round((refundedFen / gmvFen) * 10_000) / 10_000 : 0,
    averageOrderFen: paidCount > 0 ? Math.round(gmvFen / paidCount) : 0,
  };
}

/**
 * The admin's figures for the days asked for (default: `to` today, `from` 13 days before `to`), each
 * day and together, plus today's, all in Asia/Shanghai days.
 */
export async function adminStats(prisma: PrismaClient, now: Date, query: StatsQuery = {}): Promise<Stats> {
  const today = shanghaiDate(now);
  const to = query.to ?? today;
  const from = query.from ?? shiftShanghaiDate(to, -(STATS_DAYS - 1));
  if (from > to) throw new AppError('VALIDATION_FAILED', 400, `from: must not be after to (${to})`);
  if (shiftShanghaiDate(from, STATS_MAX_DAYS) <= to)
    throw new AppError('VALIDATION_FAILED', 400, `to: at most ${STATS_MAX_DAYS} days from from`);
  const days = await dayFigures(prisma, from, to);
  const todays = days.find((d) => d.date === today) ?? (await dayFigures(prisma, today, today))[0]!;
  return {
    today: { paidCount: todays.paidCount, gmvFen: todays.gmvFen, refundedFen: todays.refundedFen },
    days,
    range: rangeFigures(from, to, days),
  };
}
