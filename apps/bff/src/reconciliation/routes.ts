import express, { type Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { adminOf, requireAdmin } from '../auth/guards.js';
import { AppError } from '../errors.js';
import { checkBillDate, reconcile } from './reconcile.js';
import { listQuery } from '../http/input.js';
import { findRun, listRuns, serializeRun } from './queries.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const runRequestSchema = z.object({ billDate: z.string() }).strict();
const listQuerySchema = z.object({
  billDate: z.string().optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export function reconciliationRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const admin = requireAdmin(ctx);

  router.post('/api/admin/reconciliations', admin, async (req, res) => {
    const { billDate } = runRequestSchema.parse(req.body ?? {});
    const problem = checkBillDate(billDate, ctx.now());
    if (problem) throw new AppError('VALIDATION_FAILED', 400, `billDate: ${problem}`);
    const run = await reconcile(ctx, billDate, `admin:${adminOf(req).username}`);
    res.status(201).json(serializeRun(run));
  });

  router.get('/api/admin/reconciliations', admin, async (req, res) => {
    const q = listQuerySchema.parse(listQuery(req.query));
    res.json(await listRuns(ctx, { billDate: q.billDate, cursor: q.cursor, limit: q.limit ?? 20 }));
  });

  router.get('/api/admin/reconciliations/:id', admin, async (req, res) => {
    const id = String(req.params.id);
    if (!UUID.test(id)) throw new AppError('NOT_FOUND', 404, 'reconciliation run not found');
    const run = await findRun(ctx, id);
    if (!run) throw new AppError('NOT_FOUND', 404, 'reconciliation run not found');
    res.json(run);
  });

  return router;
}
