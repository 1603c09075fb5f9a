import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from './app.js';
import { aesGcmEncrypt, randomNonce } from './crypto.js';
import { rfc3339Beijing } from './util.js';
import { Core, DEFAULT_REFUND_DELAY_MS, REFUND_INTERVAL_MS, refundBody, transactionBody } from './core.js';
import {
  generateIdentity,
  loadOrCreateIdentity,
  writeCredentials,
  type SandboxCredentials,
  type SandboxIdentity,
} from './credentials.js';
import { Faults } from './faults.js';
import { KEY_MODES, KeyRing, type KeyMode, type PlatformCertificateInfo } from './keys.js';
import { sendSignatureProbe } from './probes.js';
import { Notifier } from './notifier.js';
import { Store, type NotificationRecord, type SignatureProbeRecord } from './store.js';
import {
  DEFAULT_AUTO_CONFIRM_DAYS,
  DEFAULT_SETTLE_DELAY_MS,
  Wxa,
  type ShippingView,
  type StableTokenCall,
} from './wxa.js';

export interface SandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where keys and credentials.json are kept. Without it, fresh keys live in memory only. */
  stateDir?: string;
  /** Multiplies every delay (notification retry schedule, refund settlement). Default 1. */
  timeScale?: number;
  /** How long one notification attempt waits for the merchant's answer. Default 5000 ms. */
  notifyTimeoutMs?: number;
  /** How long a refund stays PROCESSING before it settles, before scaling. Default 3000 ms. */
  refundDelayMs?: number;
  /**
   * 申请退款's spacing between two partial refunds of one order, before scaling. Default 60000 ms,
   * as WeChat; a test bench whose subject is not this rule may set 0.
   */
  refundIntervalMs?: number;
  /** How WeChat Pay signs: `public-key` (default), `platform-cert` or `switching`. */
  keyMode?: KeyMode;
  /** Switching: days over which the public key's share of callbacks grows from 0 to 1 (× timeScale). Default 7. */
  switchDays?: number;
  /** The refund notify URL configured in the merchant platform, used when a refund names none. */
  refundNotifyUrl?: string;
  /** Days after shipping until WeChat confirms receipt by itself (scaled). Default 10. */
  autoConfirmDays?: number;
  /** How long a confirmed order stays 确认收货 before 交易完成, before scaling. Default 60000 ms. */
  settleDelayMs?: number;
  /** access_token lifetime before scaling. Default 7200 (s), as WeChat's. */
  accessTokenTtlSeconds?: number;
  /**
   * Origins the h5 app is served from besides loopback ones (e.g. `https://shop.test:5173`): the
   * controls' CORS admits them and the cashier's `return` may go there. Loopback always may.
   */
  h5Origins?: readonly string[];
}

export interface PayInput {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
  openid: string;
  outcome?: 'SUCCESS' | 'PAYERROR';
  bankType?: string;
}

export interface Sandbox {
  /** Base URL, e.g. http://127.0.0.1:9800 (no trailing slash). */
  url: string;
  credentials: SandboxCredentials;
  faults: Faults;
  /** Read-only views of what the sandbox holds, shaped as WeChat Pay shows them. */
  state: {
    transactions(): Record<string, unknown>[];
    refunds(): Record<string, unknown>[];
    notifications(): NotificationRecord[];
    /** every POST /cgi-bin/stable_token, in order */
    stableTokenCalls(): StableTokenCall[];
    /** each paid transaction's shipping state and whether its funds are frozen */
    shipping(): ShippingView[];
  };
  /** The shopper's 确认收货 in WeChat (same as POST /sandbox/confirm-receipt). */
  confirmReceipt(outTradeNo: string, openid?: string): Record<string, unknown>;
  /** Revokes every access_token (as a reset AppSecret would): the next API call answers 40001. */
  revokeAccessTokens(): void;
  /** Emits 'notification' with a NotificationRecord on every change of one. */
  events: EventEmitter;
  /** Resolves with the first notification (existing or future) the predicate accepts. */
  waitForNotification(predicate: (n: NotificationRecord) => boolean, timeoutMs?: number): Promise<NotificationRecord>;
  /** The shopper confirms in WeChat (same as POST /sandbox/pay). */
  pay(input: PayInput): { result: 'SUCCESS' | 'PAYERROR'; transaction: Record<string, unknown> };
  /** Issues a single-use wx.login code for this openid (and unionid, when given). */
  issueLoginCode(openid: string, unionid?: string): string;
  /** Adds a paid transaction the merchant never created; it shows in the trade bill only. */
  injectBillOnlyTransaction(input: {
    outTradeNo: string;
    totalFen: number;
    openid?: string;
    at?: number;
  }): Record<string, unknown>;
  /** Makes the trade bill show another amount for this order (reconciliation tests). */
  overrideBillAmount(outTradeNo: string, totalFen: number | null): void;
  /** Delivers any notifications held by the out-of-order fault. */
  flushHeldNotifications(): void;
  /** The key mode and its certificates. */
  keys: {
    mode: KeyMode;
    /** Valid platform certificates, newest (the signer) first. */
    certificates(): PlatformCertificateInfo[];
    /** Issues a new platform certificate that signs from now on; the previous ones stay valid unless retired. */
    rotate(opts?: { retirePrevious?: boolean }): PlatformCertificateInfo;
    /** Switching: the public key's share of callbacks now. */
    switchShare(): number;
    /** Switching: pins the share (null follows the clock). */
    pinSwitchShare(share: number | null): void;
    /** The sandbox root CA that issues the platform certificates (null in public-key mode). */
    caCertificatePem(): string | null;
  };
  /** Sends WeChat's signature probe to notifyUrl now; resolves with what the merchant answered. */
  sendSignatureProbe(notifyUrl: string): Promise<SignatureProbeRecord>;
  /** Moves a paid transaction's success time back (refund-period tests). */
  backdateTransaction(outTradeNo: string, ms: number): void;
  close(): Promise<void>;
}

/** Each entry's origin (scheme://host:port); throws on anything that is not an http(s) URL. */
function normalizeOrigins(origins: readonly string[]): string[] {
  return origins.map((o) => {
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      throw new Error(`h5 origin "${o}" is not a URL (e.g. https://shop.test:5173)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`h5 origin "${o}" must be http(s)`);
    return u.origin;
  });
}

export async function createSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? '127.0.0.1';
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new RangeError('timeScale must be a positive number');
  const identity: SandboxIdentity = opts.stateDir ? loadOrCreateIdentity(opts.stateDir) : generateIdentity();
  const keyMode = opts.keyMode ?? 'public-key';
  if (!KEY_MODES.includes(keyMode)) throw new RangeError(`keyMode must be one of ${KEY_MODES.join(', ')}`);
  const keyRing = new KeyRing({
    mode: keyMode,
    publicKeyId: identity.credentials.wechatpayPublicKeyId,
    publicKeyPrivateKey: identity.wechatpayPrivateKey,
    timeScale,
    ...(opts.switchDays !== undefined ? { switchDays: opts.switchDays } : {}),
    ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
  });
  const refreshKeyCredentials = () => {
    identity.credentials.keyMode = keyMode;
    identity.credentials.wechatpayCertificates = keyRing.certificatesInfo();
    if (opts.stateDir) writeCredentials(opts.stateDir, identity.credentials);
  };

  const store = new Store();
  const faults = new Faults();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const timers = new Set<NodeJS.Timeout>();
  const notifier = new Notifier({
    store,
    faults,
    apiV3Key: identity.credentials.apiV3Key,
    signer: () => keyRing.notificationSigner(),
    timeScale,
    attemptTimeoutMs: opts.notifyTimeoutMs ?? 5_000,
    onChange: (n) => events.emit('notification', n),
  });
  const core = new Core({
    identity,
    store,
    faults,
    notifier,
    timeScale,
    refundDelayMs: opts.refundDelayMs ?? DEFAULT_REFUND_DELAY_MS,
    refundIntervalMs: opts.refundIntervalMs ?? REFUND_INTERVAL_MS,
    timers,
    merchant: { refundNotifyUrl: opts.refundNotifyUrl ?? null },
  });

  const autoConfirmDays = opts.autoConfirmDays ?? DEFAULT_AUTO_CONFIRM_DAYS;
  if (!(autoConfirmDays > 0) || !Number.isFinite(autoConfirmDays))
    throw new RangeError('autoConfirmDays must be a positive number');
  const wxa = new Wxa({
    identity,
    store,
    timeScale,
    autoConfirmDays,
    settleDelayMs: opts.settleDelayMs ?? DEFAULT_SETTLE_DELAY_MS,
    ...(opts.accessTokenTtlSeconds !== undefined ? { accessTokenTtlMs: opts.accessTokenTtlSeconds * 1000 } : {}),
  });

  let url = '';
  const probe = (notifyUrl: string) =>
    sendSignatureProbe({
      store,
      notifyUrl,
      serial: keyRing.answerSigner(undefined).serial,
      timeoutMs: opts.notifyTimeoutMs ?? 5_000,
      body: sampleProbeBody(identity.credentials.apiV3Key),
    });
  const app = buildApp({
    identity,
    store,
    faults,
    core,
    wxa,
    timers,
    baseUrl: () => url,
    keyRing,
    onKeysChanged: refreshKeyCredentials,
    sendSignatureProbe: probe,
    h5Origins: normalizeOrigins(opts.h5Origins ?? []),
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  identity.credentials.baseUrl = url;
  refreshKeyCredentials();

  let closed = false;
  return {
    url,
    credentials: identity.credentials,
    faults,
    events,
    state: {
      transactions: () =>
        [...store.transactions.values()].map((t) => ({
          ...transactionBody(t),
          ...(t.billOnly ? { bill_only: true } : {}),
        })),
      refunds: () =>
        [...store.refunds.values()].map((r) =>
          refundBody(
            r,
            [...store.transactions.values()].find((t) => t.request.out_trade_no === r.outTradeNo)!,
          ),
        ),
      notifications: () => store.notifications,
      stableTokenCalls: () => [...wxa.stableTokenCalls],
      shipping: () =>
        [...store.transactions.values()].filter((t) => !t.billOnly && t.transactionId !== null).map((t) => wxa.view(t)),
    },
    confirmReceipt: (outTradeNo, openid) => wxa.confirmReceipt(outTradeNo, openid),
    revokeAccessTokens: () => wxa.revokeTokens(),
    waitForNotification(predicate, timeoutMs = 10_000) {
      const hit = store.notifications.find(predicate);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const onChange = (n: NotificationRecord) => {
          if (!predicate(n)) return;
          cleanup();
          resolve(n);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching notification within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('notification', onChange);
        };
        events.on('notification', onChange);
      });
    },
    pay: (input) => core.pay(input),
    issueLoginCode: (openid, unionid) => core.issueLoginCode(openid, unionid ?? null),
    injectBillOnlyTransaction: (input) => core.injectBillOnlyTransaction(input),
    overrideBillAmount(outTradeNo, totalFen) {
      if (totalFen === null) store.billAmountOverrides.delete(outTradeNo);
      else store.billAmountOverrides.set(outTradeNo, totalFen);
    },
    flushHeldNotifications: () => notifier.flushHeld(),
    keys: {
      mode: keyMode,
      certificates: () => keyRing.certificatesInfo(),
      rotate(o) {
        const info = keyRing.rotate(o);
        refreshKeyCredentials();
        return info;
      },
      switchShare: () => keyRing.switchShare(),
      pinSwitchShare: (share) => keyRing.pinSwitchShare(share),
      caCertificatePem: () => keyRing.caCertificatePem(),
    },
    sendSignatureProbe: probe,
    backdateTransaction: (outTradeNo, ms) => core.backdate(outTradeNo, ms),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await notifier.close();
      await done;
    },
  };
}

/** A probe carries a callback body like a real one (an encrypted resource of nothing in particular). */
function sampleProbeBody(apiV3Key: string): string {
  const nonce = randomNonce(12);
  return JSON.stringify({
    id: randomUUID(),
    create_time: rfc3339Beijing(),
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: {
      original_type: 'transaction',
      algorithm: 'AEAD_AES_256_GCM',
      ciphertext: aesGcmEncrypt('{}', apiV3Key, nonce, 'transaction'),
      associated_data: 'transaction',
      nonce,
    },
  });
}
