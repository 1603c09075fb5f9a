import express, { type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { adminOf, requireAdmin } from '../auth/guards.js';
import { AppError } from '../errors.js';
import { NEWEST_FIRST, newestFirstAfter, newestFirstPage } from '../http/cursor.js';
import type { ReconciliationRun } from '../db/index.js';
import { checkBillDate, reconcile } from './reconcile.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const runRequestSchema = z.object({ billDate: z.string() }).strict();
const listQuerySchema = z.object({
  billDate: z.string().optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

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

export function reconciliationRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const admin = requireAdmin(ctx.tokens);

  router.post('/api/admin/reconciliations', admin, async (req, res) => {
    const { billDate } = runRequestSchema.parse(req.body ?? {});
    const problem = checkBillDate(billDate, ctx.now());
    if (problem) throw new AppError('VALIDATION_FAILED', 400, `billDate: ${problem}`);
    const run = await reconcile(ctx, billDate, `admin:${adminOf(req).username}`);
    res.status(201).json(serializeRun(run));
  });

  router.get('/api/admin/reconciliations', admin, async (req, res) => {
    const q = listQuerySchema.parse(req.query);
    const limit = q.limit ?? 20;
    const after = newestFirstAfter(q.cursor);
    const rows = await ctx.prisma.reconciliationRun.findMany({
      where: {
        ...(q.billDate ? { billDate: q.billDate } : {}),
        ...after,
      },
      orderBy: NEWEST_FIRST,
      take: limit + 1,
    });
    const { page, nextCursor } = newestFirstPage(rows, limit);
    res.json({
      items: page.map(serializeRun),
      nextCursor,
    });
  });

  router.get('/api/admin/reconciliations/:id', admin, async (req, res) => {
    const id = String(req.params.id);
    if (!UUID.test(id)) throw new AppError('NOT_FOUND', 404, 'reconciliation run not found');
    const run = await ctx.prisma.reconciliationRun.findUnique({
      where: { id },
      include: { diffs: { orderBy: [{ orderNo: 'asc' }, { kind: 'asc' }] } },
    });
    if (!run) throw new AppError('NOT_FOUND', 404, 'reconciliation run not found');
    res.json({
      ...serializeRun(run),
      diffs: run.diffs.map((d) => ({ id: d.id, orderNo: d.orderNo, kind: d.kind, local: d.local, remote: d.remote })),
    });
  });

  return router;
}
