import type { AppContext } from '../context.js';
import { recordEvent } from '../orders/events.js';
import { CONTACT_REQUIRED_COMPANIES } from '../wechat/shipping.js';
import { failureOf, shippingClient } from './wechat-adapter.js';
import { orderAddress } from '../orders/fulfilment-view.js';

/** While one process uploads, the others leave the shipment alone this long. */
const CLAIM_MS = 60_000;
const MAX_BACKOFF_MS = 3600_000;

/** The delay before the n-th retry: base, 2×base, 4×base … at most an hour. */
export function uploadBackoffMs(baseMs: number, attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempts - 1));
}

export type UploadOutcome = 'uploaded' | 'already' | 'failed' | 'busy';

/**
 * Reports a shipment to WeChat (upload_shipping_info) — what releases the frozen payment.
 * The shipment is claimed first with a conditional update of nextUploadAt, so of several
 * processes (or a retry job and an admin's button) one calls WeChat. A failure keeps the
 * errcode and pushes nextUploadAt back with exponential backoff; being a column, the schedule
 * survives restarts. A retry first asks get_order: an earlier attempt may have landed at WeChat
 * with its answer lost, and WeChat allows one modification only, so it is never sent twice.
 */
export async function uploadShipment(
  ctx: AppContext,
  orderId: string,
  opts: { force?: boolean } = {},
): Promise<UploadOutcome> {
  const now = ctx.now();
  const claimed = await ctx.prisma.shipment.updateMany({
    where: {
      orderId,
      uploadState: { not: 'UPLOADED' },
      ...(opts.force ? {} : { OR: [{ nextUploadAt: null }, { nextUploadAt: { lte: now } }] }),
    },
    data: { nextUploadAt: new Date(now.getTime() + CLAIM_MS) },
  });
  if (claimed.count === 0) {
    const current = await ctx.prisma.shipment.findUnique({ where: { orderId } });
    return current?.uploadState === 'UPLOADED' ? 'already' : 'busy';
  }
  const shipment = await ctx.prisma.shipment.findUniqueOrThrow({
    where: { orderId },
    include: { order: { include: { user: { select: { openid: true } } } } },
  });
  const { order } = shipment;
  const client = shippingClient(ctx);

  if (shipment.uploadAttempts > 0) {
    try {
      const found = await client.getShippingOrder({ outTradeNo: order.orderNo });
      await recordEvent(ctx.prisma, orderId, 'SHIPPING_ORDER_QUERIED', {
        orderState: found.orderState,
        state: found.state,
        reason: 'before retry',
      });
      if (found.shipping !== null || found.received) {
        await markUploaded(ctx, shipment.id, orderId, now, 'get_order shows it shipped');
        return 'uploaded';
      }
    } catch (err) {
      // not knowing is no reason to stop: the upload below answers for itself
      await recordEvent(ctx.prisma, orderId, 'SHIPPING_ORDER_QUERY_FAILED', failureOf(err));
    }
  }

  const express = shipment.logisticsType === 'EXPRESS';
  const address = orderAddress(order);
  // the receiver's phone goes to WeChat (masked) only where WeChat requires a contact
  const receiverPhone =
    express && shipment.expressCompany && CONTACT_REQUIRED_COMPANIES.has(shipment.expressCompany)
      ? address?.phone
      : undefined;
  const attempt = shipment.uploadAttempts + 1;
  try {
    const sent = await client.uploadShippingInfo({
      outTradeNo: order.orderNo,
      payerOpenid: order.user.openid,
      logisticsType: shipment.logisticsType,
      ...(express ? { expressCompany: shipment.expressCompany!, trackingNo: shipment.trackingNo! } : {}),
      itemDesc: shipment.itemDesc,
      ...(receiverPhone ? { receiverPhone } : {}),
      uploadTime: now,
    });
    await recordEvent(ctx.prisma, orderId, 'SHIPPING_UPLOAD_SENT', { attempt, request: sent.request });
  } catch (err) {
    const failure = failureOf(err);
    const attempts = attempt;
    const nextUploadAt = new Date(now.getTime() + uploadBackoffMs(ctx.config.shippingRetryBaseMs, attempts));
    await ctx.prisma.$transaction(async (tx) => {
      await tx.shipment.update({
        where: { id: shipment.id },
        data: {
          uploadState: 'FAILED',
          uploadAttempts: attempts,
          lastErrcode: failure.errcode,
          lastError: failure.message.slice(0, 500),
          nextUploadAt,
        },
      });
      await recordEvent(tx, orderId, 'SHIPPING_UPLOAD_FAILED', {
        attempt: attempts,
        ...failure,
        nextAttemptAt: nextUploadAt.toISOString(),
      });
    });
    ctx.logger.warn({ orderNo: order.orderNo, errcode: failure.errcode, attempts }, 'shipping info upload failed');
    return 'failed';
  }
  await markUploaded(ctx, shipment.id, orderId, now, 'upload_shipping_info ok', attempt);
  ctx.logger.info({ orderNo: order.orderNo }, 'shipping info uploaded to WeChat');
  return 'uploaded';
}

async function markUploaded(
  ctx: AppContext,
  shipmentId: string,
  orderId: string,
  now: Date,
  via: string,
  attempts?: number,
) {
  await ctx.prisma.$transaction(async (tx) => {
    await tx.shipment.update({
      where: { id: shipmentId },
      data: {
        uploadState: 'UPLOADED',
        uploadedAt: now,
        nextUploadAt: null,
        lastErrcode: null,
        lastError: null,
        ...(attempts !== undefined ? { uploadAttempts: attempts } : {}),
      },
    });
    await recordEvent(tx, orderId, 'SHIPPING_UPLOADED', { via });
  });
}

/** The retry job: every shipment whose upload is due, oldest first, a bounded batch per pass. */
export async function retryDueUploads(ctx: AppContext, batch = 20): Promise<{ tried: number; uploaded: number }> {
  const due = await ctx.prisma.shipment.findMany({
    where: { uploadState: { in: ['PENDING', 'FAILED'] }, nextUploadAt: { lte: ctx.now() } },
    orderBy: { nextUploadAt: 'asc' },
    take: batch,
    select: { orderId: true },
  });
  let uploaded = 0;
  for (const { orderId } of due) if ((await uploadShipment(ctx, orderId)) === 'uploaded') uploaded++;
  return { tried: due.length, uploaded };
}
