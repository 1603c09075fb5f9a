import { beijingHour, shanghaiDate, shanghaiDayStart } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { ReconciliationRun } from '../db/index.js';
import { reconcile } from './reconcile.js';

export const DAILY_STARTED_BY = 'daily';
// WeChat builds the previous day's bill from 09:00 Beijing time and advises fetching it after 10:00
const BILL_READY_HOUR = 10;
const RETRY_FAILED_AFTER_MS = 3600_000;
const STALE_RUNNING_MS = 30 * 60_000;

export function yesterdayInShanghai(now: Date): string {
  return shanghaiDate(new Date(shanghaiDayStart(shanghaiDate(now)).getTime() - 12 * 3600_000));
}

/**
 * The daily reconciliation of yesterday's bill, once per day however many BFF processes run it:
 * the claim (is there a run for this date already? if not, create one) happens under a
 * transaction-scoped advisory lock, so two processes never both start one.
 */
export async function runDailyReconciliation(
  ctx: AppContext,
  opts: { ignoreReadyHour?: boolean } = {},
): Promise<ReconciliationRun | null> {
  const now = ctx.now();
  if (!opts.ignoreReadyHour && beijingHour(now) < BILL_READY_HOUR) return null;
  const billDate = yesterdayInShanghai(now);
  const run = await ctx.prisma.$transaction(async (tx) => {
    const [lock] = await tx.$queryRaw<
      { locked: boolean }[]
    >`SELECT pg_try_advisory_xact_lock(hashtext('uni-checkout:daily-reconciliation')) AS locked`;
    if (!lock?.locked) return null;
    const previous = await tx.reconciliationRun.findFirst({
      where: {
        billDate,
        startedBy: DAILY_STARTED_BY,
        OR: [
          { status: 'DONE' },
          { status: 'RUNNING', createdAt: { gt: new Date(now.getTime() - STALE_RUNNING_MS) } },
          { status: 'FAILED', createdAt: { gt: new Date(now.getTime() - RETRY_FAILED_AFTER_MS) } },
        ],
      },
    });
    if (previous) return null;
    return tx.reconciliationRun.create({ data: { billDate, status: 'RUNNING', startedBy: DAILY_STARTED_BY } });
  });
  if (!run) return null;
  ctx.logger.info({ billDate, runId: run.id }, 'daily reconciliation started');
  return reconcile(ctx, billDate, DAILY_STARTED_BY, run);
}
