import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { createWechatShippingClient, type WechatShippingClient } from '../wechat/shipping.js';

const clients = new WeakMap<AppContext, WechatShippingClient>();

/**
 * WeChat's shipping-information API (upload_shipping_info, get_order, get_delivery_list) for this
 * BFF: one client per process, so its delivery-list cache and in-process token sharing hold; the
 * access token itself is shared with every other process through the database.
 */
export function shippingClient(ctx: AppContext): WechatShippingClient {
  let client = clients.get(ctx);
  if (!client) {
    client = createWechatShippingClient({
      prisma: ctx.prisma,
      credentials: {
        appid: ctx.merchant.appid,
        appsecret: ctx.merchant.appsecret,
        apiBase: ctx.merchant.apiBase,
        mchid: ctx.merchant.mchid,
      },
      onCall: (api, outcome) => ctx.logger.debug({ api, outcome }, 'wechat shipping api call'),
    });
    clients.set(ctx, client);
  }
  return client;
}

/** What an order event and the shipment keep of a failed call: WeChat's errcode, or none. */
export function failureOf(err: unknown): { errcode: number | null; code: string; message: string } {
  if (err instanceof AppError) {
    const details = err.details as { errcode?: unknown } | undefined;
    const errcode = typeof details?.errcode === 'number' ? details.errcode : null;
    return { errcode, code: err.code, message: err.message };
  }
  return { errcode: null, code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
