import express, { type Router } from 'express';
import { adminRefundRequestSchema, refundRequestBodySchema } from '@uni-checkout/shared';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { adminOf, requireAdmin, requireShopper, shopperOf } from '../auth/guards.js';
import { AppError } from '../errors.js';
import { serializeRefund, serializeRefundRequest } from './serialize.js';
import { createAdminRefund, rejectRefundRequest, requestRefundByShopper } from './refunds.js';
import { listRefundRequests, refundedOrderSummary, refundRequestsSummary } from './queries.js';
import { listQuery, orderNoParam } from '../http/input.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const refundRequestsQuerySchema = z.object({
  status: z.enum(['REQUESTED', 'APPROVED', 'REJECTED']).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

const rejectBodySchema = z.object({ reason: z.string().trim().min(1).max(200) }).strict();

export function refundRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const shopper = requireShopper(ctx);
  const admin = requireAdmin(ctx);

  router.post('/api/orders/:orderNo/refund-requests', shopper, async (req, res) => {
    const { reason } = refundRequestBodySchema.parse(req.body ?? {});
    const request = await requestRefundByShopper(ctx, {
      orderNo: orderNoParam(req.params.orderNo),
      userId: shopperOf(req).userId,
      reason,
    });
    res.status(201).json({ ...serializeRefundRequest(request), orderNo: req.params.orderNo });
  });

  router.post('/api/admin/orders/:orderNo/refunds', admin, async (req, res) => {
    const body = adminRefundRequestSchema.parse(req.body ?? {});
    const { refund, accepted } = await createAdminRefund(ctx, {
      orderNo: orderNoParam(req.params.orderNo),
      amountFen: body.amountFen,
      reason: body.reason,
      adminUsername: adminOf(req).username,
    });
    const order = await refundedOrderSummary(ctx, refund.orderId);
    // 202: WeChat has not confirmed yet; the refund query settles it
    res.status(accepted ? 201 : 202).json({ ...serializeRefund(refund), order });
  });

  router.get('/api/admin/refund-requests', admin, async (req, res) => {
    const q = refundRequestsQuerySchema.parse(listQuery(req.query));
    res.json(await listRefundRequests(ctx, { status: q.status, cursor: q.cursor, limit: q.limit ?? 20 }));
  });

  router.get('/api/admin/refund-requests/summary', admin, async (_req, res) => {
    res.json(await refundRequestsSummary(ctx));
  });

  router.post('/api/admin/refund-requests/:id/reject', admin, async (req, res) => {
    const { reason } = rejectBodySchema.parse(req.body ?? {});
    const id = String(req.params.id);
    if (!UUID.test(id)) throw new AppError('NOT_FOUND', 404, 'refund request not found');
    const request = await rejectRefundRequest(ctx, { requestId: id, reason, adminUsername: adminOf(req).username });
    res.json(serializeRefundRequest(request));
  });

  return router;
}
