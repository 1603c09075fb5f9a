import { formatAddressLine, type ShipRequest } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import type { Shipment } from '../db/index.js';
import { AppError, notFound } from '../errors.js';
import { recordEvent } from '../orders/events.js';
import { deliveryCompanies } from './delivery-companies.js';
import { orderAddress } from '../orders/fulfilment-view.js';

export type ShipOutcome = { kind: 'shipped'; shipment: Shipment } | { kind: 'already'; shipment: Shipment };

/** What the admin asked for, as stored: a second call compares against it. */
function wanted(request: ShipRequest, defaultItemDesc: string) {
  const express = request.logisticsType === 'EXPRESS';
  return {
    logisticsType: request.logisticsType,
    // WeChat refuses a tracking number on a non-express shipment: such fields are not kept
    expressCompany: express ? (request.expressCompany ?? null) : null,
    trackingNo: express ? (request.trackingNo ?? null) : null,
    itemDesc: request.itemDesc ?? defaultItemDesc,
  };
}

function sameShipment(s: Shipment, w: ReturnType<typeof wanted>, itemDescGiven: boolean): boolean {
  return (
    s.logisticsType === w.logisticsType &&
    s.expressCompany === w.expressCompany &&
    s.trackingNo === w.trackingNo &&
    (!itemDescGiven || s.itemDesc === w.itemDesc)
  );
}

/** item_desc when the admin gives none: the order's lines, as WeChat shows them to the shopper. */
export function describeItems(items: { title: string; skuTitle: string; quantity: number }[]): string {
  const text = items.map((i) => `${i.title} ${i.skuTitle}×${i.quantity}`).join('，');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/**
 * 发货: an admin records the shipment of a paid order. Only a paid, unshipped order that is not
 * fully refunded ships; the conditional update on fulfilmentStatus lets one of any number of
 * concurrent calls through, and the shipment row (unique per order) is written in the same
 * transaction. A repeat with the same body is answered with the shipment already made; another
 * body on a shipped order is a conflict. The upload to WeChat follows (see upload.ts).
 */
export async function shipOrder(
  ctx: AppContext,
  orderNo: string,
  request: ShipRequest,
  by: string,
): Promise<ShipOutcome> {
  const order = await ctx.prisma.order.findUnique({ where: { orderNo }, include: { items: true, shipment: true } });
  if (!order) throw notFound(`order ${orderNo}`);
  const w = wanted(request, describeItems(order.items));
  if (order.shipment) return answerRepeat(order.shipment, w, request.itemDesc !== undefined);
  if (order.fulfilmentStatus !== 'UNSHIPPED' || (order.status !== 'PAID' && order.status !== 'PARTIALLY_REFUNDED')) {
    throw new AppError(
      'ORDER_NOT_SHIPPABLE',
      409,
      `order ${orderNo} is ${order.status}: only a paid order that is not fully refunded can ship`,
    );
  }
  let expressCompanyName: string | null = null;
  if (w.expressCompany) {
    const known = (await deliveryCompanies(ctx)).find((c) => c.id === w.expressCompany);
    expressCompanyName = known?.name ?? null;
    if (!known) {
      throw new AppError(
        'VALIDATION_FAILED',
        400,
        `expressCompany: ${w.expressCompany} is not in WeChat's delivery-company list (GET /api/admin/delivery-companies)`,
      );
    }
  }
  const now = ctx.now();
  const shipment = await ctx.prisma.$transaction(async (tx) => {
    const moved = await tx.order.updateMany({
      where: {
        id: order.id,
        fulfilmentStatus: 'UNSHIPPED',
        status: { in: ['PAID', 'PARTIALLY_REFUNDED'] },
      },
      data: { fulfilmentStatus: 'SHIPPED', version: { increment: 1 } },
    });
    if (moved.count === 0) return undefined;
    const created = await tx.shipment.create({
      data: {
        orderId: order.id,
        ...w,
        expressCompanyName,
        shippedBy: by,
        shippedAt: now,
        uploadState: 'PENDING',
        nextUploadAt: now,
      },
    });
    const address = orderAddress(order);
    await recordEvent(tx, order.id, 'SHIPPED', {
      ...w,
      shippedBy: by,
      to: address ? formatAddressLine(address) : null,
    });
    return created;
  });
  if (shipment) {
    ctx.logger.info({ orderNo, logisticsType: w.logisticsType }, 'order shipped');
    return { kind: 'shipped', shipment };
  }
  // another call shipped it (or a refund finished it) between our read and our update
  const after = await ctx.prisma.order.findUniqueOrThrow({ where: { id: order.id }, include: { shipment: true } });
  if (after.shipment) return answerRepeat(after.shipment, w, request.itemDesc !== undefined);
  throw new AppError('ORDER_NOT_SHIPPABLE', 409, `order ${orderNo} is ${after.status}: it can no longer ship`);
}

function answerRepeat(s: Shipment, w: ReturnType<typeof wanted>, itemDescGiven: boolean): ShipOutcome {
  if (sameShipment(s, w, itemDescGiven)) return { kind: 'already', shipment: s };
  throw new AppError(
    'SHIPMENT_CONFLICT',
    409,
    `this order already shipped (${s.logisticsType}${s.trackingNo ? ` ${s.expressCompany} ${s.trackingNo}` : ''}) with different details`,
    { shipment: { logisticsType: s.logisticsType, expressCompany: s.expressCompany, trackingNo: s.trackingNo } },
  );
}
