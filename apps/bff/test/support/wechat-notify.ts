/**
 * Notifications signed by the test itself with the sandbox's WeChat Pay key (read from its state
 * dir) and encrypted with the APIv3 key, using the sandbox's own crypto helpers — an independent
 * implementation of what the BFF verifies. Lets a test send what WeChat would never send.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  aesGcmEncrypt,
  buildResponseSignString,
  randomNonce,
  signSha256Rsa,
  type SandboxCredentials,
} from '@uni-checkout/wechatpay-sandbox';

/** What signing needs of a sandbox: its credentials and its state dir (a Harness, or a sandbox process's). */
export interface SandboxKeys {
  sandbox: { credentials: SandboxCredentials };
  sandboxStateDir: string;
}

export interface SignedNotification {
  body: string;
  headers: Record<string, string>;
}

export function signedNotification(
  h: SandboxKeys,
  resource: Record<string, unknown>,
  opts: {
    id?: string;
    timestamp?: number;
    serial?: string;
    eventType?: string;
    /** sign with this key instead of WeChat Pay's (a forger's) */
    privateKeyPem?: string;
  } = {},
): SignedNotification {
  const c = h.sandbox.credentials;
  const nonce = randomNonce(12);
  const associatedData = 'transaction';
  const body = JSON.stringify({
    id: opts.id ?? randomUUID(),
    create_time: new Date().toISOString(),
    resource_type: 'encrypt-resource',
    event_type: opts.eventType ?? 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: aesGcmEncrypt(JSON.stringify(resource), c.apiV3Key, nonce, associatedData),
      associated_data: associatedData,
      nonce,
    },
  });
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const headerNonce = randomNonce(32);
  const key = opts.privateKeyPem ?? readFileSync(path.join(h.sandboxStateDir, 'wechatpay-private-key.pem'), 'utf8');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'wechatpay-timestamp': timestamp,
      'wechatpay-nonce': headerNonce,
      'wechatpay-serial': opts.serial ?? c.wechatpayPublicKeyId,
      'wechatpay-signature': signSha256Rsa(buildResponseSignString(timestamp, headerNonce, body), key),
      'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
    },
  };
}

/** A TRANSACTION.SUCCESS resource as WeChat sends it, for an order of this shop. */
export function successResource(
  h: SandboxKeys,
  order: { orderNo: string; totalFen: number },
  openid: string,
  overrides: Record<string, unknown> = {},
) {
  const c = h.sandbox.credentials;
  return {
    appid: c.appid,
    mchid: c.mchid,
    out_trade_no: order.orderNo,
    transaction_id: `42000${Date.now()}${Math.floor(Math.random() * 1e8)}`.slice(0, 28),
    trade_type: 'JSAPI',
    trade_state: 'SUCCESS',
    trade_state_desc: '支付成功',
    bank_type: 'OTHERS',
    attach: '',
    success_time: new Date().toISOString().replace(/\.\d+Z$/, '+00:00'),
    payer: { openid },
    amount: { total: order.totalFen, payer_total: order.totalFen, currency: 'CNY', payer_currency: 'CNY' },
    ...overrides,
  };
}

/** A REFUND.SUCCESS resource as WeChat sends it, for a refund of the whole or part of a paid order. */
export function refundSuccessResource(
  h: SandboxKeys,
  order: { orderNo: string; totalFen: number; transactionId: string },
  refund: { outRefundNo: string; amountFen: number; refundId: string | null },
  overrides: Record<string, unknown> = {},
) {
  return {
    mchid: h.sandbox.credentials.mchid,
    out_trade_no: order.orderNo,
    transaction_id: order.transactionId,
    out_refund_no: refund.outRefundNo,
    refund_id: refund.refundId,
    refund_status: 'SUCCESS',
    success_time: new Date().toISOString(),
    user_received_account: '支付用户零钱',
    amount: {
      total: order.totalFen,
      refund: refund.amountFen,
      payer_total: order.totalFen,
      payer_refund: refund.amountFen,
    },
    ...overrides,
  };
}

/** Posts a notification to the BFF at `url` (a payment's, or a refund's), as WeChat Pay does. */
export async function postNotification<B = unknown>(
  url: string,
  n: SignedNotification,
  kind: 'transaction' | 'refund' = 'transaction',
): Promise<{ status: number; body: B | undefined }> {
  const res = await fetch(`${url}/api/pay/notify/${kind}`, { method: 'POST', headers: n.headers, body: n.body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as B) : undefined };
}
