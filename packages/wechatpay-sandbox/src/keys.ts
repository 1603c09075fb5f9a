import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import { z } from 'zod';
import { aesGcmEncrypt, randomNonce } from './crypto.js';
import type { KeyMode } from './key-modes.js';
import { rfc3339Beijing } from './util.js';

export { KEY_MODES, type KeyMode } from './key-modes.js';

/** WeChat Pay platform certificates are valid for five years. */
export const CERTIFICATE_LIFETIME_MS = 5 * 365 * 86_400_000;
/** Default length of the switch from certificate to public key, in days (before the time scale). */
export const DEFAULT_SWITCH_DAYS = 7;
export const PLATFORM_CERTIFICATES_FILE = 'wechatpay-platform-certificates.json';

export interface PlatformCertificate {
  /** 40 upper-case hex digits, as WeChat writes it in `Wechatpay-Serial` and `serial_no`. */
  serialNo: string;
  certificatePem: string;
  privateKeyPem: string;
  privateKey: KeyObject;
  effectiveAt: number;
  expireAt: number;
}

/** What credentials.json shows of a platform certificate. */
export interface PlatformCertificateInfo {
  serialNo: string;
  certificatePem: string;
  effectiveTime: string;
  expireTime: string;
}

export interface Signer {
  serial: string;
  key: KeyObject;
}

const storedSchema = z.object({
  ca: z.object({ certificatePem: z.string(), privateKeyPem: z.string() }),
  certificates: z.array(z.object({ serialNo: z.string(), certificatePem: z.string(), privateKeyPem: z.string() })),
});
type Stored = z.infer<typeof storedSchema>;

/** Subject of WeChat Pay's platform certificates (O=财付通支付科技有限公司, CN=Tenpay.com Root CA as issuer). */
const PLATFORM_SUBJECT = [
  { shortName: 'C', value: 'CN' },
  { shortName: 'O', value: 'Tenpay.com' },
  { shortName: 'OU', value: 'Tenpay.com CA Center' },
  { shortName: 'CN', value: 'Tenpay.com Sandbox' },
];
const CA_SUBJECT = [
  { shortName: 'C', value: 'CN' },
  { shortName: 'O', value: 'Tenpay.com' },
  { shortName: 'OU', value: 'Tenpay.com CA Center' },
  { shortName: 'CN', value: 'Tenpay.com Sandbox Root CA' },
];

function rsaPair() {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

/** A positive 160-bit serial (the INTEGER's first bit clear), never starting with a zero byte. */
function newSerialHex(): string {
  const b = randomBytes(20);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return b.toString('hex').toUpperCase();
}

function issue(opts: {
  publicKeyPem: string;
  subject: typeof PLATFORM_SUBJECT;
  issuer: { subject: typeof CA_SUBJECT; privateKeyPem: string };
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicKeyPem);
  cert.serialNumber = opts.serialHex;
  cert.validity.notBefore = opts.notBefore;
  cert.validity.notAfter = opts.notAfter;
  cert.setSubject(opts.subject);
  cert.setIssuer(opts.issuer.subject);
  cert.setExtensions(
    opts.ca
      ? [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
        ]
      : [
          { name: 'basicConstraints', cA: false },
          { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, keyEncipherment: true, critical: true },
        ],
  );
  cert.sign(forge.pki.privateKeyFromPem(opts.issuer.privateKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

function toCertificate(serialNo: string, certificatePem: string, privateKeyPem: string): PlatformCertificate {
  const x = new X509Certificate(certificatePem);
  return {
    serialNo,
    certificatePem,
    privateKeyPem,
    privateKey: createPrivateKey(privateKeyPem),
    effectiveAt: Date.parse(x.validFrom),
    expireAt: Date.parse(x.validTo),
  };
}

export interface KeyRingOptions {
  mode: KeyMode;
  publicKeyId: string;
  publicKeyPrivateKey: KeyObject;
  timeScale: number;
  /** Length of the switch (switching mode), in days before the time scale. */
  switchDays?: number;
  /** Keep the CA and the certificates here (with their private keys, mode 0600). */
  stateDir?: string;
  now?: () => number;
}

/**
 * The keys WeChat Pay signs with for this merchant, and the choice of key for each answer and
 * callback. Platform certificates are X.509 certificates issued at run time by a sandbox CA; several
 * can be valid at once (a rotation adds one, the newest signs).
 */
export class KeyRing {
  readonly mode: KeyMode;
  private readonly now: () => number;
  private switchStartedAt = 0;
  private readonly switchMs: number;
  private pinnedShare: number | null = null;
  private shareAccumulator = 0;
  private ca: Stored['ca'] | null = null;
  private certs: PlatformCertificate[] = [];

  constructor(private readonly o: KeyRingOptions) {
    this.mode = o.mode;
    this.now = o.now ?? (() => Date.now());
    this.switchMs = (o.switchDays ?? DEFAULT_SWITCH_DAYS) * 86_400_000 * o.timeScale;
    this.load();
    if (this.mode !== 'public-key' && this.valid().length === 0) this.rotate();
    this.switchStartedAt = this.now();
  }

  get usesCertificates(): boolean {
    return this.mode !== 'public-key';
  }

  /** Certificates not yet expired, newest first. */
  valid(): PlatformCertificate[] {
    const now = this.now();
    // Newest first; among certificates of the same second, the one issued last.
    return this.certs
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => c.expireAt > now && c.effectiveAt <= now)
      .sort((a, b) => b.c.effectiveAt - a.c.effectiveAt || b.i - a.i)
      .map(({ c }) => c);
  }

  certificatesInfo(): PlatformCertificateInfo[] {
    if (!this.usesCertificates) return [];
    return this.valid().map((c) => ({
      serialNo: c.serialNo,
      certificatePem: c.certificatePem,
      effectiveTime: rfc3339Beijing(c.effectiveAt),
      expireTime: rfc3339Beijing(c.expireAt),
    }));
  }

  /** The sandbox CA's certificate, for a merchant that wants to check the chain. */
  caCertificatePem(): string | null {
    return this.ca?.certificatePem ?? null;
  }

  private get publicKeySigner(): Signer {
    return { serial: this.o.publicKeyId, key: this.o.publicKeyPrivateKey };
  }

  private get certificateSigner(): Signer {
    const c = this.valid()[0];
    if (!c) throw new Error('no valid platform certificate');
    return { serial: c.serialNo, key: c.privateKey };
  }

  /**
   * The key for an APIv3 answer. While switching, WeChat signs with the public key only when the
   * request names it in `Wechatpay-Serial` (微信支付公钥切换指引).
   */
  answerSigner(requestSerial: string | undefined): Signer {
    if (this.mode === 'public-key') return this.publicKeySigner;
    if (this.mode === 'platform-cert') return this.certificateSigner;
    return requestSerial === this.o.publicKeyId ? this.publicKeySigner : this.certificateSigner;
  }

  /** The public key's share of callbacks (0..1): grows linearly over the switch period. */
  switchShare(): number {
    if (this.mode === 'public-key') return 1;
    if (this.mode === 'platform-cert') return 0;
    if (this.pinnedShare !== null) return this.pinnedShare;
    if (this.switchMs <= 0) return 1;
    return Math.min(1, Math.max(0, (this.now() - this.switchStartedAt) / this.switchMs));
  }

  /** Pins the share (tests, the dashboard); null follows the clock again. */
  pinSwitchShare(share: number | null): void {
    this.pinnedShare = share;
    this.shareAccumulator = 0;
  }

  /**
   * The key for one callback. While switching, the public key signs `share` of them; the choice is
   * spread evenly (an accumulator, not a coin) so a test sees both keys in a short run.
   */
  notificationSigner(): Signer {
    if (this.mode !== 'switching') return this.mode === 'public-key' ? this.publicKeySigner : this.certificateSigner;
    this.shareAccumulator += this.switchShare();
    if (this.shareAccumulator >= 1) {
      this.shareAccumulator -= 1;
      return this.publicKeySigner;
    }
    return this.certificateSigner;
  }

  /** `GET /v3/certificates`: each certificate encrypted with the APIv3 key (AEAD_AES_256_GCM). */
  certificatesBody(apiV3Key: string): { data: Array<Record<string, unknown>> } {
    if (!this.usesCertificates) return { data: [] };
    return {
      data: this.valid().map((c) => {
        const nonce = randomNonce(12);
        return {
          serial_no: c.serialNo,
          effective_time: rfc3339Beijing(c.effectiveAt),
          expire_time: rfc3339Beijing(c.expireAt),
          encrypt_certificate: {
            algorithm: 'AEAD_AES_256_GCM',
            nonce,
            associated_data: 'certificate',
            ciphertext: aesGcmEncrypt(c.certificatePem, apiV3Key, nonce, 'certificate'),
          },
        };
      }),
    };
  }

  /**
   * Issues a new platform certificate, which signs from now on; the previous ones stay valid
   * (WeChat lists both until the old one expires). `retirePrevious` drops the others at once.
   */
  rotate(opts: { retirePrevious?: boolean; lifetimeMs?: number } = {}): PlatformCertificateInfo {
    const ca = this.ensureCa();
    const pair = rsaPair();
    const serialNo = newSerialHex();
    // A second of back-dating keeps "newest first" strict when two are issued within the same second.
    const notBefore = new Date(Math.floor(this.now() / 1000) * 1000 - 1000);
    const notAfter = new Date(notBefore.getTime() + (opts.lifetimeMs ?? CERTIFICATE_LIFETIME_MS));
    const pem = issue({
      publicKeyPem: pair.publicKey,
      subject: PLATFORM_SUBJECT,
      issuer: { subject: CA_SUBJECT, privateKeyPem: ca.privateKeyPem },
      serialHex: serialNo,
      notBefore,
      notAfter,
      ca: false,
    });
    const cert = toCertificate(serialNo, pem, pair.privateKey);
    if (opts.retirePrevious) this.certs = [];
    this.certs.push(cert);
    this.save();
    return {
      serialNo,
      certificatePem: pem,
      effectiveTime: rfc3339Beijing(cert.effectiveAt),
      expireTime: rfc3339Beijing(cert.expireAt),
    };
  }

  private ensureCa(): Stored['ca'] {
    if (this.ca) return this.ca;
    const pair = rsaPair();
    const now = Math.floor(this.now() / 1000) * 1000;
    const certificatePem = issue({
      publicKeyPem: pair.publicKey,
      subject: CA_SUBJECT,
      issuer: { subject: CA_SUBJECT, privateKeyPem: pair.privateKey },
      serialHex: newSerialHex(),
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 20 * 365 * 86_400_000),
      ca: true,
    });
    this.ca = { certificatePem, privateKeyPem: pair.privateKey };
    return this.ca;
  }

  private file(): string | null {
    return this.o.stateDir ? join(this.o.stateDir, PLATFORM_CERTIFICATES_FILE) : null;
  }

  private load() {
    const file = this.file();
    if (!file || !existsSync(file)) return;
    const stored = storedSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
    this.ca = stored.ca;
    this.certs = stored.certificates.map((c) => toCertificate(c.serialNo, c.certificatePem, c.privateKeyPem));
  }

  private save() {
    const file = this.file();
    if (!file || !this.ca) return;
    const stored: Stored = {
      ca: this.ca,
      certificates: this.certs.map((c) => ({
        serialNo: c.serialNo,
        certificatePem: c.certificatePem,
        privateKeyPem: c.privateKeyPem,
      })),
    };
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
}
