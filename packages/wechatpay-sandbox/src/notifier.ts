import { randomUUID } from 'node:crypto';
import { aesGcmEncrypt, buildResponseSignString, randomNonce, signSha256Rsa } from './crypto.js';
import type { Faults } from './faults.js';
import type { Signer } from './keys.js';
import { sendSignatureProbe } from './probes.js';
import type { NotificationAttempt, NotificationRecord, Store } from './store.js';
import { newRequestId, rfc3339Beijing, sleep } from './util.js';

/**
 * WeChat Pay's notification retry schedule: after a failed attempt it waits, in turn,
 * 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h (16 attempts in all, about 24h4m).
 */
export const NOTIFY_RETRY_SCHEDULE_MS: readonly number[] = [
  15_000, 15_000, 30_000, 180_000, 600_000, 1_200_000, 1_800_000, 1_800_000, 1_800_000, 3_600_000, 10_800_000,
  10_800_000, 10_800_000, 21_600_000, 21_600_000,
];

export interface NotifierOptions {
  store: Store;
  faults: Faults;
  apiV3Key: string;
  /** The key each callback is signed with (by key mode; while switching, the public key's growing share). */
  signer: () => Signer;
  timeScale: number;
  /** How long one attempt waits for the merchant's answer (WeChat waits about 5 s). */
  attemptTimeoutMs: number;
  onChange: (record: NotificationRecord) => void;
}

export interface NotificationInput {
  eventType: string;
  summary: string;
  originalType: 'transaction' | 'refund';
  notifyUrl: string;
  outTradeNo: string;
  outRefundNo?: string;
  resource: Record<string, unknown>;
}

export class Notifier {
  private readonly held: NotificationRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stop = new AbortController();
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: NotifierOptions) {
    this.unsubscribe = opts.faults.onChange(() => {
      if (opts.faults.peek().reorderNotifications < 2) this.flushHeld();
    });
  }

  enqueue(input: NotificationInput): NotificationRecord {
    const { apiV3Key } = this.opts;
    const nonce = randomNonce(12);
    const plaintext = JSON.stringify(input.resource);
    const createdAt = Date.now();
    const body = JSON.stringify({
      id: randomUUID(),
      create_time: rfc3339Beijing(createdAt),
      resource_type: 'encrypt-resource',
      event_type: input.eventType,
      summary: input.summary,
      resource: {
        original_type: input.originalType,
        algorithm: 'AEAD_AES_256_GCM',
        ciphertext: aesGcmEncrypt(plaintext, apiV3Key, nonce, input.originalType),
        associated_data: input.originalType,
        nonce,
      },
    });
    const record: NotificationRecord = {
      id: (JSON.parse(body) as { id: string }).id,
      eventType: input.eventType,
      summary: input.summary,
      notifyUrl: input.notifyUrl,
      outTradeNo: input.outTradeNo,
      ...(input.outRefundNo ? { outRefundNo: input.outRefundNo } : {}),
      createdAt,
      body,
      resource: input.resource,
      state: 'queued',
      attempts: [],
    };
    this.opts.store.notifications.push(record);

    if (this.opts.faults.takeDrop()) {
      record.state = 'dropped';
      this.opts.onChange(record);
      return record;
    }
    this.opts.onChange(record);
    const window = this.opts.faults.peek().reorderNotifications;
    if (window >= 2) {
      this.held.push(record);
      if (this.held.length >= window) this.flushHeld();
    } else {
      this.track(this.deliver(record));
    }
    return record;
  }

  /** Delivers held notifications newest first (the out-of-order fault). */
  flushHeld(): void {
    const batch = this.held.splice(0).reverse();
    for (const r of batch) this.track(this.deliver(r));
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.stop.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  private track(p: Promise<void>) {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async deliver(record: NotificationRecord): Promise<void> {
    const { faults, timeScale, onChange } = this.opts;
    const { notificationDelayMs, duplicateNotifications, duplicateConcurrently } = faults.peek();
    if (notificationDelayMs > 0) await sleep(notificationDelayMs, this.stop.signal);
    if (this.stop.signal.aborted) return;
    if (faults.takeSignatureProbe()) {
      await sendSignatureProbe({
        store: this.opts.store,
        notifyUrl: record.notifyUrl,
        serial: this.opts.signer().serial,
        timeoutMs: this.opts.attemptTimeoutMs,
        signal: this.stop.signal,
        body: record.body,
      });
    }

    const copies = Array.from({ length: duplicateNotifications }, (_, i) => `duplicate #${i + 1}`);
    const duplicates = duplicateConcurrently ? Promise.all(copies.map((c) => this.attempt(record, c))) : null;

    for (let attempt = 1; ; attempt++) {
      record.state = 'delivering';
      onChange(record);
      const ok = await this.attempt(record, 'original', attempt);
      if (!duplicateConcurrently && attempt === 1) {
        for (const c of copies) await this.attempt(record, c);
      }
      if (ok) {
        record.state = 'delivered';
        break;
      }
      const wait = NOTIFY_RETRY_SCHEDULE_MS[attempt - 1];
      if (wait === undefined || this.stop.signal.aborted) {
        record.state = 'failed';
        break;
      }
      record.state = 'retrying';
      onChange(record);
      await sleep(wait * timeScale, this.stop.signal);
      if (this.stop.signal.aborted) {
        record.state = 'failed';
        break;
      }
    }
    await duplicates;
    onChange(record);
  }

  /**
   * One POST to notify_url; true when the merchant answered 200 or 204 — WeChat counts any other
   * status, 2xx included, as a failed delivery (支付通知: 接收成功 HTTP 应答状态码需返回 200 或 204).
   */
  private async attempt(record: NotificationRecord, copy: string, attemptNo = 1): Promise<boolean> {
    const { attemptTimeoutMs, faults, onChange } = this.opts;
    const signer = this.opts.signer();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomNonce(32);
    let signature = signSha256Rsa(buildResponseSignString(timestamp, nonce, record.body), signer.key);
    const corrupted = faults.takeCorruptNotification();
    if (corrupted) signature = signSha256Rsa(buildResponseSignString(timestamp, nonce, `${record.body} `), signer.key);
    const started = Date.now();
    const entry: NotificationAttempt = {
      attempt: attemptNo,
      copy,
      at: new Date(started).toISOString(),
      offsetMs: started - record.createdAt,
      status: null,
      answer: null,
      error: null,
      durationMs: 0,
      signatureCorrupted: corrupted,
      serial: signer.serial,
    };
    let ok = false;
    try {
      const res = await fetch(record.notifyUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'User-Agent': 'Mozilla/4.0',
          'Request-ID': newRequestId(),
          'Wechatpay-Nonce': nonce,
          'Wechatpay-Serial': signer.serial,
          'Wechatpay-Signature': signature,
          'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
          'Wechatpay-Timestamp': timestamp,
        },
        body: record.body,
        signal: AbortSignal.any([AbortSignal.timeout(attemptTimeoutMs), this.stop.signal]),
        redirect: 'manual',
      });
      entry.status = res.status;
      entry.answer = (await res.text()).slice(0, 500);
      ok = res.status === 200 || res.status === 204;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      entry.error =
        e.name === 'TimeoutError' ? `no answer within ${attemptTimeoutMs} ms` : (e.cause?.code ?? e.message);
    }
    entry.durationMs = Date.now() - started;
    record.attempts.push(entry);
    onChange(record);
    return ok;
  }
}
