import express, { type Router } from 'express';
import { shipRequestSchema } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { orderNoParam } from '../http/input.js';
import { requireAdmin, requireShopper, shopperOf } from '../auth/guards.js';
import { AppError, notFound } from '../errors.js';
import { toOrderDto } from '../orders/dto.js';
import { findOwnOrder } from '../orders/queries.js';
import { orderRelations, serializeAdminOrder } from '../admin/serialize.js';
import { deliveryCompanies } from './delivery-companies.js';
import { checkReceipt } from './receipt.js';
import { shipOrder } from './ship.js';
import { uploadShipment } from './upload.js';
import { fulfilmentWhere } from '../orders/fulfilment-view.js';

export function fulfilmentRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const admin = requireAdmin(ctx);
  const shopper = requireShopper(ctx);

  const adminView = async (orderNo: string) => {
    const order = await ctx.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: orderRelations });
    return serializeAdminOrder(order);
  };

  router.get('/api/admin/delivery-companies', admin, async (_req, res) => {
    res.json({ items: await deliveryCompanies(ctx), nextCursor: null });
  });

  // 待发货 (paid, not shipped), 待收货, and shipments whose upload to WeChat has not landed
  router.get('/api/admin/fulfilment/summary', admin, async (_req, res) => {
    const [toShip, shipped, uploadFailed] = await Promise.all([
      ctx.prisma.order.count({ where: fulfilmentWhere('UNSHIPPED') }),
      ctx.prisma.order.count({ where: fulfilmentWhere('SHIPPED') }),
      ctx.prisma.shipment.count({ where: { uploadState: 'FAILED' } }),
    ]);
    res.json({ toShip, shipped, uploadFailed });
  });

  router.post('/api/admin/orders/:orderNo/ship', admin, async (req, res) => {
    const orderNo = orderNoParam(req.params.orderNo);
    const request = shipRequestSchema.parse(req.body ?? {});
    const outcome = await shipOrder(ctx, orderNo, request, `admin:${req.admin?.username ?? 'unknown'}`);
    // the first call reports to WeChat now; a failure stays on the shipment and the job retries it
    if (outcome.kind === 'shipped') await uploadShipment(ctx, outcome.shipment.orderId);
    res.status(outcome.kind === 'shipped' ? 201 : 200).json(await adminView(orderNo));
  });

  router.post('/api/admin/orders/:orderNo/shipping-upload', admin, async (req, res) => {
    const orderNo = orderNoParam(req.params.orderNo);
    const order = await ctx.prisma.order.findUnique({ where: { orderNo }, include: { shipment: true } });
    if (!order) throw notFound(`order ${orderNo}`);
    if (!order.shipment) throw new AppError('ORDER_NOT_SHIPPED', 409, `order ${orderNo} has not shipped yet`);
    await uploadShipment(ctx, order.id, { force: true });
    res.json(await adminView(orderNo));
  });

  router.post('/api/orders/:orderNo/confirm-receipt', shopper, async (req, res) => {
    const { userId } = shopperOf(req);
    const orderNo = orderNoParam(req.params.orderNo);
    const order = await findOwnOrder(ctx, userId, orderNo);
    if (order.fulfilmentStatus === 'UNSHIPPED')
      throw new AppError('ORDER_NOT_SHIPPED', 409, 'this order has not shipped yet');
    if (order.fulfilmentStatus === 'SHIPPED') {
      const outcome = await checkReceipt(ctx, order, 'shopper');
      if (outcome === 'unknown')
        throw new AppError('WECHAT_UNAVAILABLE', 502, 'WeChat could not be asked about the receipt, please retry');
      if (outcome === 'not-yet') {
        throw new AppError(
          'RECEIPT_NOT_CONFIRMED',
          409,
          'WeChat has not recorded the receipt yet: confirm it in WeChat (确认收货), then try again',
        );
      }
    }
    res.json(toOrderDto(await findOwnOrder(ctx, userId, orderNo), ctx.now()));
  });

  return router;
}
