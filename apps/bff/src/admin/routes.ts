import express, { type Router } from 'express';
import {
  adminLoginRequestSchema,
  adminLogoutRequestSchema,
  adminOrdersQuerySchema,
  adminRefreshRequestSchema,
  statsQuerySchema,
} from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { adminOf, requireAdmin } from '../auth/guards.js';
import { refreshAdminSession, revokeAdminSession, sessionOfRefreshToken } from '../auth/admin-sessions.js';
import { createAdminLogin } from './login.js';
import { adminOrdersPage } from './orders.js';
import { serializeAdminOrder } from './serialize.js';
import { adminOrderDetail } from './order-detail.js';
import { streamOrdersCsv } from './csv.js';
import { adminStats } from './stats.js';
import { listQuery, orderNoParam } from '../http/input.js';
import { clientOf } from '../limits/index.js';

export function adminRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const admin = requireAdmin(ctx);
  const login = createAdminLogin(ctx);

  router.post('/api/admin/login', async (req, res) => {
    const body = adminLoginRequestSchema.parse(req.body ?? {});
    res.json(await login.login({ ...body, ip: clientOf(req) }));
  });

  router.post('/api/admin/refresh', async (req, res) => {
    const { refreshToken } = adminRefreshRequestSchema.parse(req.body ?? {});
    res.json(await refreshAdminSession(ctx, refreshToken));
  });

  // ends the session the refresh token names (the access token may have expired already), else
  // the Bearer token's
  router.post(
    '/api/admin/logout',
    async (req, res, next) => {
      const { refreshToken } = adminLogoutRequestSchema.parse(req.body ?? {});
      const session = refreshToken ? await sessionOfRefreshToken(ctx, refreshToken) : undefined;
      if (!session) return next();
      await revokeAdminSession(ctx, session.id, 'logout');
      res.status(204).end();
    },
    admin,
    async (req, res) => {
      await revokeAdminSession(ctx, adminOf(req).sid, 'logout');
      res.status(204).end();
    },
  );

  router.get('/api/admin/orders', admin, async (req, res) => {
    const query = adminOrdersQuerySchema.parse(listQuery(req.query));
    const page = await adminOrdersPage(ctx.prisma, query);
    res.json({ items: page.rows.map((o) => serializeAdminOrder(o)), nextCursor: page.nextCursor });
  });

  router.get('/api/admin/orders.csv', admin, async (req, res) => {
    const query = adminOrdersQuerySchema.parse(listQuery(req.query));
    await streamOrdersCsv(ctx.db, query, res);
  });

  router.get('/api/admin/stats', admin, async (req, res) => {
    const query = statsQuerySchema.parse(listQuery(req.query));
    res.json(await adminStats(ctx.prisma, ctx.now(), query));
  });

  router.get('/api/admin/orders/:orderNo', admin, async (req, res) => {
    res.json(await adminOrderDetail(ctx, orderNoParam(req.params.orderNo), req.log));
  });

  return router;
}
