import express, { type Router } from 'express';
import { createOrderRequestSchema, listOrdersQuerySchema } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { requireShopper, shopperOf } from '../auth/guards.js';
import { payOwnOrder } from './pay-order.js';
import { cancelOrder } from './cancel-order.js';
import { createOrder } from './create-order.js';
import { toOrderDto } from './dto.js';
import { findOwnOrder, listOwnOrders, refreshFromWechat, summarizeOwnOrders } from './queries.js';
import { listQuery, orderNoParam } from '../http/input.js';
import { rateLimit } from '../limits/index.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

export function orderRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const shopper = requireShopper(ctx);
  const perShopper = (limiter: (typeof ctx.limits)['shopperOrders'], what: string) =>
    rateLimit(limiter, (req) => shopperOf(req).userId, `too many ${what}: wait a moment and try again`);
  const placing = perShopper(ctx.limits.shopperOrders, 'new orders');
  const paying = perShopper(ctx.limits.shopperPays, 'payment requests');
  const reading = perShopper(ctx.limits.shopperOrderReads, 'order reads');

  router.post('/api/orders', shopper, placing, async (req, res) => {
    const key = req.get('idempotency-key');
    if (key === undefined) {
      throw new AppError(
        'IDEMPOTENCY_KEY_REQUIRED',
        400,
        'send an Idempotency-Key header (1-128 printable characters, e.g. a UUID) with every new order',
      );
    }
    if (!IDEMPOTENCY_KEY.test(key))
      throw new AppError('VALIDATION_FAILED', 400, 'Idempotency-Key must be 1-128 printable ASCII characters');
    const request = createOrderRequestSchema.parse(req.body);
    const { order, replayed } = await createOrder(ctx, { userId: shopperOf(req).userId, idempotencyKey: key, request });
    if (replayed) res.setHeader('Idempotent-Replayed', 'true');
    res.status(replayed ? 200 : 201).json(toOrderDto(order, ctx.now()));
  });

  router.get('/api/orders', shopper, async (req, res) => {
    const q = listOrdersQuerySchema.parse(listQuery(req.query));
    const page = await listOwnOrders(ctx, shopperOf(req).userId, {
      status: q.status,
      fulfilmentStatus: q.fulfilmentStatus,
      afterSale: q.afterSale === 'true',
      cursor: q.cursor,
      limit: q.limit ?? 20,
    });
    res.json({
      items: page.items.map((o) => toOrderDto(o, ctx.now(), { maskPhone: true })),
      nextCursor: page.nextCursor,
    });
  });

  router.get('/api/orders/summary', shopper, reading, async (req, res) => {
    res.json(await summarizeOwnOrders(ctx, shopperOf(req).userId));
  });

  router.get('/api/orders/:orderNo', shopper, reading, async (req, res) => {
    const order = await findOwnOrder(ctx, shopperOf(req).userId, orderNoParam(req.params.orderNo));
    res.json(toOrderDto(await refreshFromWechat(ctx, order), ctx.now()));
  });

  router.post('/api/orders/:orderNo/cancel', shopper, async (req, res) => {
    const { userId } = shopperOf(req);
    const orderNo = orderNoParam(req.params.orderNo);
    await cancelOrder(ctx, await findOwnOrder(ctx, userId, orderNo));
    res.json(toOrderDto(await findOwnOrder(ctx, userId, orderNo), ctx.now()));
  });

  router.post('/api/orders/:orderNo/pay', shopper, paying, async (req, res) => {
    const { userId, openid } = shopperOf(req);
    res.json(await payOwnOrder(ctx, userId, orderNoParam(req.params.orderNo), openid));
  });

  return router;
}
