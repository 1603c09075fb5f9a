import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { KeyMode, PlatformCertificateInfo } from './keys.js';
import { randomDigits, randomHex } from './util.js';

/** What a merchant's server needs to talk to the sandbox (the pinned `credentials.json` shape). */
export interface SandboxCredentials {
  baseUrl: string;
  appid: string;
  appsecret: string;
  mchid: string;
  merchantSerialNo: string;
  merchantPrivateKeyPem: string;
  apiV3Key: string;
  wechatpayPublicKeyId: string;
  wechatpayPublicKeyPem: string;
  /** How WeChat Pay signs for this merchant (SANDBOX_KEY_MODE). */
  keyMode?: KeyMode;
  /** The valid platform certificates (newest first); empty in public-key mode. */
  wechatpayCertificates?: PlatformCertificateInfo[];
}

/** The sandbox's own half: the keys WeChat Pay holds. */
export interface SandboxIdentity {
  credentials: SandboxCredentials;
  merchantPublicKeyPem: string;
  wechatpayPrivateKeyPem: string;
  /** Parsed once: parsing a PEM on every signature would cost more than the signature. */
  merchantPublicKey: KeyObject;
  wechatpayPrivateKey: KeyObject;
}

export const CREDENTIALS_FILE = 'credentials.json';
/** The "WeChat Pay side" private key; a merchant never sees it. */
export const WECHATPAY_KEY_FILE = 'wechatpay-private-key.pem';

const credentialsSchema = z.object({
  baseUrl: z.string(),
  appid: z.string().regex(/^wx[0-9a-f]{16}$/),
  appsecret: z.string().regex(/^[0-9a-f]{32}$/),
  mchid: z.string().regex(/^\d{10}$/),
  merchantSerialNo: z.string().regex(/^[0-9A-F]{40}$/),
  merchantPrivateKeyPem: z.string().includes('PRIVATE KEY'),
  apiV3Key: z.string().length(32),
  wechatpayPublicKeyId: z.string().regex(/^PUB_KEY_ID_\d+$/),
  wechatpayPublicKeyPem: z.string().includes('PUBLIC KEY'),
});

function rsaPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

const API_V3_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function generateIdentity(baseUrl = ''): SandboxIdentity {
  const merchant = rsaPair();
  const wechatpay = rsaPair();
  const mchid = `19${randomDigits(8)}`;
  // The APIv3 key is 32 printable characters set by the merchant in the merchant platform.
  const apiV3Key = [...randomBytes(32)].map((b) => API_V3_KEY_ALPHABET[b % API_V3_KEY_ALPHABET.length]).join('');
  const credentials: SandboxCredentials = {
    baseUrl,
    appid: `wx${randomHex(8)}`,
    appsecret: randomHex(16),
    mchid,
    merchantSerialNo: randomHex(20).toUpperCase(),
    merchantPrivateKeyPem: merchant.privateKey,
    apiV3Key,
    wechatpayPublicKeyId: `PUB_KEY_ID_01${mchid}${randomDigits(12)}`,
    wechatpayPublicKeyPem: wechatpay.publicKey,
  };
  return withKeys({
    credentials,
    merchantPublicKeyPem: merchant.publicKey,
    wechatpayPrivateKeyPem: wechatpay.privateKey,
  });
}

function withKeys(i: Omit<SandboxIdentity, 'merchantPublicKey' | 'wechatpayPrivateKey'>): SandboxIdentity {
  return {
    ...i,
    merchantPublicKey: createPublicKey(i.merchantPublicKeyPem),
    wechatpayPrivateKey: createPrivateKey(i.wechatpayPrivateKeyPem),
  };
}

export class SandboxStateError extends Error {
  readonly code = 'SANDBOX_STATE_INVALID';
}

/**
 * Loads the identity kept in stateDir, or creates and keeps one. Keys are generated once per
 * directory so a merchant's configuration keeps working across restarts.
 */
export function loadOrCreateIdentity(stateDir: string): SandboxIdentity {
  const credPath = join(stateDir, CREDENTIALS_FILE);
  const keyPath = join(stateDir, WECHATPAY_KEY_FILE);
  const hasCred = existsSync(credPath);
  const hasKey = existsSync(keyPath);
  if (hasCred && hasKey) {
    let parsed: SandboxCredentials;
    try {
      parsed = credentialsSchema.parse(JSON.parse(readFileSync(credPath, 'utf8')));
    } catch (err) {
      throw new SandboxStateError(
        `${credPath} is not a valid sandbox credentials file (${(err as Error).message.split('\n')[0]}); delete ${stateDir} to generate new keys`,
      );
    }
    const wechatpayPrivateKeyPem = readFileSync(keyPath, 'utf8');
    const merchantPublicKeyPem = createPublicKey(createPrivateKey(parsed.merchantPrivateKeyPem))
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const derived = createPublicKey(createPrivateKey(wechatpayPrivateKeyPem))
      .export({ type: 'spki', format: 'pem' })
      .toString();
    if (derived.trim() !== parsed.wechatpayPublicKeyPem.trim()) {
      throw new SandboxStateError(
        `${keyPath} does not match wechatpayPublicKeyPem in ${credPath}; delete ${stateDir} to generate new keys`,
      );
    }
    return withKeys({ credentials: parsed, merchantPublicKeyPem, wechatpayPrivateKeyPem });
  }
  if (hasCred !== hasKey) {
    throw new SandboxStateError(
      `${stateDir} holds only one of ${CREDENTIALS_FILE} and ${WECHATPAY_KEY_FILE}; delete ${stateDir} to generate new keys`,
    );
  }
  mkdirSync(stateDir, { recursive: true });
  const identity = generateIdentity();
  writeFileSync(keyPath, identity.wechatpayPrivateKeyPem, { mode: 0o600 });
  writeCredentials(stateDir, identity.credentials);
  return identity;
}

export function writeCredentials(stateDir: string, credentials: SandboxCredentials): void {
  const credPath = join(stateDir, CREDENTIALS_FILE);
  writeFileSync(credPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(credPath, 0o600);
}
