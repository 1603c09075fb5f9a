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
import { isTransactionConflict } from '../db/sql.js';

export const STATS_DAYS = 14;

interface DayRow {
  day: string;
  n: bigint | number;
  fen: bigint | number | null;
  refunded: bigint | number | null;
}

type DayFigures = Stats['days'][number];

const figures = (r: DayRow): DayFigures => ({
  date: r.day,
  paidCount: Number(r.n),
  gmvFen: Number(r.fen ?? 0),
  refundedFen: Number(r.refunded ?? 0),
});

/**
 * Each day's figures from `from` to `to` straight from the orders and refunds: paid orders and
 * 成交额 by the Asia/Shanghai day of paidAt, refunds by the day they succeeded (days without any
 * are left out).
 */
async function liveFigures(db: Pick<PrismaClient, '$queryRaw'>, from: string, to: string): Promise<DayFigures[]> {
  const since = shanghaiDayStart(from);
  const until = shanghaiDayStart(shiftShanghaiDate(to, 1));
  const rows = await db.$queryRaw<DayRow[]>`
    SELECT day, sum(n) AS n, sum(fen) AS fen, sum(refunded) AS refunded FROM (
      SELECT to_char(("paidAt" AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day,
             count(*) AS n, sum("totalFen") AS fen, 0 AS refunded
      FROM "Order" WHERE "paidAt" >= ${since} AND "paidAt" < ${until} GROUP BY 1
      UNION ALL
      SELECT to_char(("succeededAt" AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD') AS day,
             0, 0, sum("amountFen")
      FROM "Refund" WHERE status = 'SUCCESS' AND "succeededAt" >= ${since} AND "succeededAt" < ${until} GROUP BY 1
    ) t GROUP BY day`;
  return rows.map(figures);
}

/**
 * Computes the closed days from `from` to `to` that have no summary yet (or a stale one) and keeps
 * their summaries, in one statement under REPEATABLE READ: a late payment or refund of one of those
 * days committed meanwhile has marked its row stale (the triggers), so the write would overwrite a
 * row this snapshot cannot see and PostgreSQL refuses it rather than keep figures that miss it.
 */
async function summariseDays(prisma: PrismaClient, from: string, to: string): Promise<DayFigures[]> {
  const since = shanghaiDayStart(from);
  const until = shanghaiDayStart(shiftShanghaiDate(to, 1));
  const [rows] = await prisma.$transaction(
    [
      prisma.$queryRaw<DayRow[]>`
        INSERT INTO "DailySales" (day, "paidCount", "gmvFen", "refundedFen", stale, "computedAt")
        SELECT d.day, coalesce(p.n, 0), coalesce(p.fen, 0), coalesce(r.fen, 0), false, now()
        FROM generate_series(${from}::date, ${to}::date, interval '1 day') AS g(at)
          CROSS JOIN LATERAL (SELECT g.at::date AS day) d
          LEFT JOIN (
            SELECT (("paidAt" AT TIME ZONE 'UTC') + interval '8 hours')::date AS day, count(*) AS n, sum("totalFen") AS fen
            FROM "Order" WHERE "paidAt" >= ${since} AND "paidAt" < ${until} GROUP BY 1
          ) p ON p.day = d.day
          LEFT JOIN (
            SELECT (("succeededAt" AT TIME ZONE 'UTC') + interval '8 hours')::date AS day, sum("amountFen") AS fen
            FROM "Refund" WHERE status = 'SUCCESS' AND "succeededAt" >= ${since} AND "succeededAt" < ${until} GROUP BY 1
          ) r ON r.day = d.day
        WHERE NOT EXISTS (SELECT 1 FROM "DailySales" s WHERE s.day = d.day AND NOT s.stale)
        ON CONFLICT (day) DO UPDATE SET "paidCount" = EXCLUDED."paidCount", "gmvFen" = EXCLUDED."gmvFen",
          "refundedFen" = EXCLUDED."refundedFen", stale = false, "computedAt" = EXCLUDED."computedAt"
        RETURNING to_char(day, 'YYYY-MM-DD') AS day, "paidCount" AS n, "gmvFen" AS fen, "refundedFen" AS refunded`,
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  return rows.map(figures);
}

interface StoredRow extends DayRow {
  /** the last day summaries may be kept for: ended an hour ago by the database's clock */
  closed: string;
}

/**
 * Paid orders and 成交额 by the Asia/Shanghai day they were paid, refunds by the day they
 * succeeded, for every day from `from` to `to` (both included, oldest first). 成交额 is what was
 * paid: a refund never lowers it, it is counted on its own day and taken off only in `netFen`.
 *
 * A closed day is read from its DailySales summary, made on the first read after the day closed;
 * only the days still open (today, and yesterday in the hour after midnight) and days whose summary
 * a late change made stale are aggregated from the orders. Reading any span thus costs about one
 * day of orders, however many the shop has. Whether a day is closed is the database's call, the
 * clock the triggers marking summaries stale use too.
 */
async function dayFigures(prisma: PrismaClient, from: string, to: string): Promise<DayFigures[]> {
  const stored = await prisma.$queryRaw<StoredRow[]>`
    SELECT c.closed, to_char(s.day, 'YYYY-MM-DD') AS day, s."paidCount" AS n, s."gmvFen" AS fen, s."refundedFen" AS refunded
    FROM (SELECT to_char(((now() - interval '1 hour') AT TIME ZONE 'UTC') + interval '8 hours' - interval '1 day',
                         'YYYY-MM-DD') AS closed) c
      LEFT JOIN "DailySales" s ON s.day BETWEEN ${from}::date AND ${to}::date AND NOT s.stale`;
  const closed = stored[0]!.closed;
  const byDate = new Map(stored.filter((r) => r.day !== null).map((r) => [r.day, figures(r)]));
  const missing: string[] = [];
  for (let date = from; date <= to; date = shiftShanghaiDate(date, 1)) if (!byDate.has(date)) missing.push(date);
  const toSummarise = missing.filter((d) => d <= closed);
  if (toSummarise.length) {
    try {
      for (const f of await summariseDays(prisma, toSummarise[0]!, toSummarise.at(-1)!)) byDate.set(f.date, f);
    } catch (err) {
      // a late change or another reader's summary committed meanwhile: those days come from the orders this time
      if (!isTransactionConflict(err)) throw err;
    }
  }
  // still open, or summarised by another reader after this one looked (not returned above)
  const open = missing.filter((d) => !byDate.has(d));
  if (open.length) {
    for (const f of await liveFigures(prisma, open[0]!, open.at(-1)!)) if (open.includes(f.date)) byDate.set(f.date, f);
  }
  const days: DayFigures[] = [];
  for (let date = from; date <= to; date = shiftShanghaiDate(date, 1))
    days.push(byDate.get(date) ?? { date, paidCount: 0, gmvFen: 0, refundedFen: 0 });
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
