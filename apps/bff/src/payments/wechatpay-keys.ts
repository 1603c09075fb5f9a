/**
 * The keys WeChat Pay signs with for this merchant, and the check of every signed message (answers,
 * error answers and callbacks) against them, by `Wechatpay-Serial`:
 * - public-key mode (微信支付公钥): one or more `PUB_KEY_ID_…` keys from the configuration;
 * - platform-certificate mode (平台证书): certificates downloaded from `GET /v3/certificates`, each
 *   decrypted with the APIv3 key, kept by serial while valid, refreshed on a schedule and when an
 *   unknown serial arrives (at most once a minute across all processes, through the database);
 * - switching: both; requests carry `Wechatpay-Serial: <public key id>` so answers come signed with it.
 */
import { X509Certificate, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { Aes, Formatter } from 'wechatpay-axios-plugin';

import type { WechatpayKeyMode, WechatpayPublicKey } from '../config.js';

export type { WechatpayKeyMode, WechatpayPublicKey };

/** WeChat's signature probe (签名探测): a callback whose signature can never verify. */
export const SIGNATURE_PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';
/** WeChat Pay rejects (and we reject) signed messages whose timestamp is more than 5 minutes off. */
export const MAX_CLOCK_SKEW_SECONDS = 300;
/** An unknown serial triggers at most one download a minute, shared by every process. */
export const REFRESH_MIN_INTERVAL_MS = 60_000;
/** Certificates are downloaded again on this schedule (WeChat publishes a new one well before the old expires). */
export const REFRESH_SCHEDULE_MS = 12 * 3600_000;

export interface PlatformCertificate {
  serialNo: string;
  certificatePem: string;
  effectiveAt: Date;
  expireAt: Date;
}

/** Where downloaded certificates are kept and the refresh slot is shared (the database). */
export interface CertificateStore {
  load(): Promise<PlatformCertificate[]>;
  save(certificates: PlatformCertificate[]): Promise<void>;
  /** True when this process may download now: no process has claimed the slot within minIntervalMs. */
  claimRefresh(minIntervalMs: number): Promise<boolean>;
}

/** A signed message as received: headers (lower-case names) and the raw body. */
export interface SignedMessage {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type RefusalReason =
  | 'MISSING_HEADERS'
  | 'UNKNOWN_SERIAL'
  | 'SIGNATURE_PROBE'
  | 'EXPIRED_CERTIFICATE'
  | 'STALE_TIMESTAMP'
  | 'BAD_SIGNATURE';

export type Verdict =
  { ok: true; serial: string } | { ok: false; reason: RefusalReason; serial: string; detail: string };

export interface KeysLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface WechatpayKeysOptions {
  mode: WechatpayKeyMode;
  publicKeys: WechatpayPublicKey[];
  apiV3Key: string;
  /** A signed `GET /v3/certificates` whose answer is returned unverified (this module verifies it). */
  fetchCertificates?: () => Promise<{ status: number; headers: Record<string, string | undefined>; body: string }>;
  store?: CertificateStore;
  logger: KeysLogger;
  now?: () => Date;
}

const header = (m: SignedMessage, name: string): string => {
  const v = m.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? '') : '';
};

const CERT_SERIAL = /^[0-9A-Fa-f]{16,40}$/;

export class WechatpayKeys {
  readonly mode: WechatpayKeyMode;
  private readonly publicKeys: Map<string, KeyObject>;
  /** Parsed once per certificate: parsing a PEM on every signature would cost more than the check. */
  private readonly parsed = new Map<string, KeyObject>();
  private certificates = new Map<string, PlatformCertificate>();
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<boolean> | undefined;

  constructor(private readonly o: WechatpayKeysOptions) {
    this.mode = o.mode;
    this.now = o.now ?? (() => new Date());
    this.publicKeys = new Map(o.publicKeys.map((k) => [k.id, createPublicKey(k.pem)]));
    if (o.mode !== 'platform-cert' && this.publicKeys.size === 0)
      throw new Error(`${o.mode} mode needs at least one WeChat Pay public key`);
    if (o.mode !== 'public-key' && (!o.fetchCertificates || !o.store))
      throw new Error(`${o.mode} mode needs the certificate download and store`);
  }

  get usesCertificates(): boolean {
    return this.mode !== 'public-key';
  }

  /**
   * The `Wechatpay-Serial` every request carries while switching: WeChat then signs its answer with
   * that public key instead of a platform certificate (微信支付公钥切换).
   */
  requestSerial(): string | undefined {
    return this.mode === 'switching' ? this.o.publicKeys[0]!.id : undefined;
  }

  /** Serials trusted now, for logs and the boot line. */
  describe(): { mode: WechatpayKeyMode; publicKeyIds: string[]; certificateSerials: string[] } {
    return {
      mode: this.mode,
      publicKeyIds: [...this.publicKeys.keys()],
      certificateSerials: [...this.certificates.keys()],
    };
  }

  /** Boot: load what other processes downloaded, download when none is valid, and refresh on a schedule. */
  async start(): Promise<void> {
    if (!this.usesCertificates) return;
    await this.reload();
    if (this.validCertificates().length === 0) {
      const ok = await this.refresh({ force: true });
      if (!ok)
        throw new Error(
          'no valid WeChat Pay platform certificate could be downloaded from GET /v3/certificates (see the log line above)',
        );
    }
    this.timer = setInterval(() => void this.refresh({ force: false }), REFRESH_SCHEDULE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private validCertificates(): PlatformCertificate[] {
    const now = this.now().getTime();
    return [...this.certificates.values()].filter((c) => c.effectiveAt.getTime() <= now && c.expireAt.getTime() > now);
  }

  /**
   * Checks a signed message against the key its `Wechatpay-Serial` names. Never downloads; see
   * verifyOrRefresh for messages whose serial may be a new certificate.
   */
  verify(message: SignedMessage): Verdict {
    const timestamp = header(message, 'wechatpay-timestamp');
    const nonce = header(message, 'wechatpay-nonce');
    const signature = header(message, 'wechatpay-signature');
    const serial = header(message, 'wechatpay-serial');
    if (!timestamp || !nonce || !signature || !serial)
      return {
        ok: false,
        reason: 'MISSING_HEADERS',
        serial,
        detail: 'no Wechatpay-Timestamp/-Nonce/-Signature/-Serial',
      };
    if (signature.startsWith(SIGNATURE_PROBE_PREFIX))
      return { ok: false, reason: 'SIGNATURE_PROBE', serial, detail: "WeChat's signature probe (签名探测)" };
    const key = this.keyFor(serial);
    if (key.kind === 'unknown')
      return { ok: false, reason: 'UNKNOWN_SERIAL', serial, detail: this.unknownHint(serial) };
    if (key.kind === 'expired')
      return {
        ok: false,
        reason: 'EXPIRED_CERTIFICATE',
        serial,
        detail: `platform certificate ${serial} is not valid now (valid ${key.cert.effectiveAt.toISOString()} – ${key.cert.expireAt.toISOString()})`,
      };
    if (
      !/^\d{1,12}$/.test(timestamp) ||
      Math.abs(Math.floor(this.now().getTime() / 1000) - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS
    )
      return { ok: false, reason: 'STALE_TIMESTAMP', serial, detail: 'Wechatpay-Timestamp is more than 5 minutes off' };
    let valid = false;
    try {
      valid = createVerify('RSA-SHA256')
        .update(Formatter.response(timestamp, nonce, message.body))
        .verify(key.key, signature, 'base64');
    } catch {
      valid = false;
    }
    return valid
      ? { ok: true, serial }
      : { ok: false, reason: 'BAD_SIGNATURE', serial, detail: `signature does not verify with ${serial}` };
  }

  /**
   * verify, and when the serial is unknown in a certificate mode: take up what another process
   * downloaded, else download (at most once a minute across processes), then check once more.
   */
  async verifyOrRefresh(message: SignedMessage): Promise<Verdict> {
    const first = this.verify(message);
    if (first.ok || first.reason !== 'UNKNOWN_SERIAL' || !this.usesCertificates || !CERT_SERIAL.test(first.serial))
      return first;
    await this.reload();
    const second = this.verify(message);
    if (second.ok || second.reason !== 'UNKNOWN_SERIAL') return second;
    await this.refresh({ force: false });
    return this.verify(message);
  }

  private keyFor(
    serial: string,
  ): { kind: 'ok'; key: KeyObject } | { kind: 'expired'; cert: PlatformCertificate } | { kind: 'unknown' } {
    const pub = this.mode !== 'platform-cert' ? this.publicKeys.get(serial) : undefined;
    if (pub) return { kind: 'ok', key: pub };
    if (!this.usesCertificates) return { kind: 'unknown' };
    const cert = this.certificates.get(serial.toUpperCase());
    if (!cert) return { kind: 'unknown' };
    const now = this.now().getTime();
    if (cert.effectiveAt.getTime() > now || cert.expireAt.getTime() <= now) return { kind: 'expired', cert };
    let key = this.parsed.get(cert.certificatePem);
    if (!key) {
      key = createPublicKey(cert.certificatePem);
      this.parsed.set(cert.certificatePem, key);
    }
    return { kind: 'ok', key };
  }

  /** A sentence saying what an unknown serial most likely means for this configuration. */
  private unknownHint(serial: string): string {
    if (this.mode === 'public-key' && CERT_SERIAL.test(serial))
      return `WeChat Pay signed with platform certificate ${serial}, but the BFF is in public-key mode (${[...this.publicKeys.keys()].join(', ')}): this merchant still uses platform certificates — unset WECHATPAY_PUBLIC_KEY_FILE/_ID for certificate mode, or set WECHATPAY_KEY_MODE=switching`;
    if (this.mode === 'platform-cert' && serial.startsWith('PUB_KEY_ID_'))
      return `WeChat Pay signed with public key ${serial}, but the BFF is in platform-certificate mode: set WECHATPAY_PUBLIC_KEY_FILE and WECHATPAY_PUBLIC_KEY_ID (and WECHATPAY_KEY_MODE=switching while certificates are still in use)`;
    if (serial.startsWith('PUB_KEY_ID_'))
      return `WeChat Pay public key ${serial} is not configured (configured: ${[...this.publicKeys.keys()].join(', ')}): add it to WECHATPAY_PUBLIC_KEY_ID/_FILE`;
    return `Wechatpay-Serial ${serial} is neither a configured public key nor a downloaded platform certificate`;
  }

  private async reload(): Promise<void> {
    if (!this.o.store) return;
    for (const c of await this.o.store.load()) this.certificates.set(c.serialNo.toUpperCase(), c);
  }

  /**
   * Downloads the certificates. `force` (boot with none valid) neither needs nor takes the shared
   * once-a-minute slot, which spaces the downloads an unknown serial or the schedule asks for.
   * Concurrent callers in one process share one download. Resolves true when a verified list was taken.
   */
  refresh(opts: { force: boolean }): Promise<boolean> {
    this.inFlight ??= this.download(opts.force).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async download(force: boolean): Promise<boolean> {
    const { store, fetchCertificates, logger, apiV3Key } = this.o;
    if (!store || !fetchCertificates) return false;
    if (!force && !(await store.claimRefresh(REFRESH_MIN_INTERVAL_MS))) {
      await this.reload();
      return false;
    }
    let answer: Awaited<ReturnType<typeof fetchCertificates>>;
    try {
      answer = await fetchCertificates();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'wechatpay certificates: download failed');
      return false;
    }
    const fail = (detail: string, extra: object = {}) => {
      logger.error(
        { status: answer.status, ...extra },
        `wechatpay certificates: refused the downloaded list: ${detail}`,
      );
      return false;
    };
    if (answer.status !== 200) return fail(`HTTP ${answer.status}`);
    let items: Array<{
      serial_no?: unknown;
      effective_time?: unknown;
      expire_time?: unknown;
      encrypt_certificate?: { algorithm?: unknown; nonce?: unknown; associated_data?: unknown; ciphertext?: unknown };
    }>;
    try {
      items = (JSON.parse(answer.body) as { data?: typeof items }).data ?? [];
    } catch {
      return fail('the answer is not JSON');
    }
    const answerSerial = answer.headers['wechatpay-serial'] ?? '';
    if (items.length === 0) {
      return fail(
        answerSerial.startsWith('PUB_KEY_ID_')
          ? `WeChat Pay has no platform certificate for this merchant and signs with public key ${answerSerial}: set WECHATPAY_PUBLIC_KEY_FILE and WECHATPAY_PUBLIC_KEY_ID (public-key mode)`
          : 'the list is empty',
        { serial: answerSerial },
      );
    }
    const fresh: PlatformCertificate[] = [];
    for (const item of items) {
      const e = item.encrypt_certificate;
      if (
        typeof item.serial_no !== 'string' ||
        e?.algorithm !== 'AEAD_AES_256_GCM' ||
        typeof e.ciphertext !== 'string' ||
        typeof e.nonce !== 'string'
      )
        return fail('an item is not an AEAD_AES_256_GCM encrypted certificate');
      let pem: string;
      let x509: X509Certificate;
      try {
        // The AEAD tag proves the certificate came from whoever holds our APIv3 key: WeChat Pay.
        pem = Aes.AesGcm.decrypt(
          e.ciphertext,
          apiV3Key,
          e.nonce,
          typeof e.associated_data === 'string' ? e.associated_data : '',
        );
        x509 = new X509Certificate(pem);
      } catch {
        return fail(`certificate ${item.serial_no} does not decrypt with the APIv3 key or is not X.509`, {
          serial: item.serial_no,
        });
      }
      if (x509.serialNumber.toUpperCase() !== item.serial_no.toUpperCase())
        return fail(`certificate serial ${x509.serialNumber} differs from serial_no ${item.serial_no}`);
      fresh.push({
        serialNo: item.serial_no.toUpperCase(),
        certificatePem: pem,
        effectiveAt: new Date(x509.validFrom),
        expireAt: new Date(x509.validTo),
      });
    }
    // The list is taken only over a verified answer: signed by a certificate it carries, one we
    // already trust, or (switching) our public key.
    const candidate = new WechatpayKeys(this.o);
    candidate.certificates = new Map([...this.certificates, ...fresh.map((c) => [c.serialNo, c] as const)]);
    const verdict = candidate.verify({ headers: answer.headers, body: answer.body });
    if (!verdict.ok) return fail(`the answer's signature: ${verdict.detail}`, { serial: verdict.serial });

    const now = this.now().getTime();
    const valid = fresh.filter((c) => c.expireAt.getTime() > now);
    await store.save(valid);
    for (const c of valid) this.certificates.set(c.serialNo, c);
    logger.info(
      { serials: valid.map((c) => c.serialNo), signedBy: verdict.serial },
      'wechatpay certificates: downloaded and verified',
    );
    return true;
  }
}
