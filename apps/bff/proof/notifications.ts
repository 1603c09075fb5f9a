/**
 * Notifications the proof sends itself, signed with the sandbox's WeChat Pay key (or, for
 * forgeries, not): the same signing support the BFF's tests use, fed with the sandbox process's keys.
 */
import path from 'node:path';
import { signedNotification, type SandboxKeys, type SignedNotification } from '../test/support/wechat-notify.js';
import { attempt, sandboxTransactions, type PlacedOrder } from './traffic.js';
import type { Shop } from './world.js';

export function sandboxKeys(shop: Shop): SandboxKeys {
  const w = shop.world.sandbox;
  return { sandbox: { credentials: w.credentials }, sandboxStateDir: path.join(w.stateDir, 'sandbox') };
}

/** The resource WeChat sends for this order: the sandbox's own record of the payment. */
export async function transactionResource(shop: Shop, order: PlacedOrder): Promise<Record<string, unknown>> {
  const t = (await sandboxTransactions(shop)).find((x) => x.out_trade_no === order.orderNo);
  if (!t || t.trade_state !== 'SUCCESS') throw new Error(`${order.orderNo} is not paid at the sandbox`);
  // the dashboard's extra fields are not part of WeChat's transaction resource
  const { prepay_id: _p, description: _d, notify_url: _n, shipping: _s, bill_only: _b, ...resource } = t;
  return resource;
}

export function genuineNotification(
  shop: Shop,
  resource: Record<string, unknown>,
  opts?: Parameters<typeof signedNotification>[2],
) {
  return signedNotification(sandboxKeys(shop), resource, opts);
}

export function deliver(bffUrl: string, n: SignedNotification | { body: string; headers: Record<string, string> }) {
  return attempt(`${bffUrl}/api/pay/notify/transaction`, 'POST', n.body, n.headers);
}
