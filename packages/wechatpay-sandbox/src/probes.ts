import { randomBytes, randomUUID } from 'node:crypto';
import { randomNonce } from './crypto.js';
import type { SignatureProbeRecord, Store } from './store.js';
import { newRequestId } from './util.js';

/**
 * WeChat's signature probe (签名探测流量): now and then WeChat Pay sends a callback whose
 * `Wechatpay-Signature` starts with `WECHATPAY/SIGNTEST/` and can never verify, to check that the
 * merchant verifies signatures. A merchant that answers it with a 2xx accepted a forged callback.
 */
export const SIGNATURE_PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';

export async function sendSignatureProbe(opts: {
  store: Store;
  notifyUrl: string;
  /** The serial the probe claims to be signed with (the one real callbacks carry). */
  serial: string;
  /** A callback body to carry (a real one in flight, or a sample). */
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<SignatureProbeRecord> {
  const record: SignatureProbeRecord = {
    id: randomUUID(),
    notifyUrl: opts.notifyUrl,
    at: new Date().toISOString(),
    serial: opts.serial,
    status: null,
    answer: null,
    error: null,
    refused: false,
  };
  opts.store.signatureProbes.push(record);
  const signals = [AbortSignal.timeout(opts.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
  try {
    const res = await fetch(opts.notifyUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'User-Agent': 'Mozilla/4.0',
        'Request-ID': newRequestId(),
        'Wechatpay-Nonce': randomNonce(32),
        'Wechatpay-Serial': opts.serial,
        'Wechatpay-Signature': `${SIGNATURE_PROBE_PREFIX}${randomBytes(256).toString('base64')}`,
        'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
        'Wechatpay-Timestamp': String(Math.floor(Date.now() / 1000)),
      },
      body: opts.body,
      signal: AbortSignal.any(signals),
      redirect: 'manual',
    });
    record.status = res.status;
    record.answer = (await res.text()).slice(0, 500);
    record.refused = res.status < 200 || res.status >= 300;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    record.error = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : (e.cause?.code ?? e.message);
  }
  return record;
}
