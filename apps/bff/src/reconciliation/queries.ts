import type { AppContext } from '../context.js';
import type { ReconciliationRun } from '../db/index.js';
import { NEWEST_FIRST, newestFirstAfter, newestFirstPage } from '../http/cursor.js';

export function serializeRun(r: ReconciliationRun) {
  return {
    id: r.id,
    billDate: r.billDate,
    status: r.status,
    billSha1: r.billSha1,
    remoteCount: r.remoteCount,
    localCount: r.localCount,
    diffCount: r.diffCount,
    error: r.error,
    startedBy: r.startedBy,
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

/** Reconciliation runs, newest first, optionally of one bill date. */
export async function listRuns(
  ctx: AppContext,
  q: { billDate?: string | undefined; cursor?: string | undefined; limit: number },
) {
  const after = newestFirstAfter(q.cursor);
  const rows = await ctx.prisma.reconciliationRun.findMany({
    where: {
      ...(q.billDate ? { billDate: q.billDate } : {}),
      ...after,
    },
    orderBy: NEWEST_FIRST,
    take: q.limit + 1,
  });
  const { page, nextCursor } = newestFirstPage(rows, q.limit);
  return { items: page.map(serializeRun), nextCursor };
}

/** One run with its differences, or null. */
export async function findRun(ctx: AppContext, id: string) {
  const run = await ctx.prisma.reconciliationRun.findUnique({
    where: { id },
    include: { diffs: { orderBy: [{ orderNo: 'asc' }, { kind: 'asc' }] } },
  });
  if (!run) return null;
  return {
    ...serializeRun(run),
    diffs: run.diffs.map((d) => ({ id: d.id, orderNo: d.orderNo, kind: d.kind, local: d.local, remote: d.remote })),
  };
}
