import { createCipheriv, createDecipheriv, createSign, createVerify, randomBytes, type KeyLike } from 'node:crypto';

/**
 * The APIv3 signature primitives, all on node:crypto: SHA256-RSA2048 (PKCS#1 v1.5) signatures and
 * AEAD_AES_256_GCM resources. Both sides of the wire use them: the sandbox (as WeChat Pay) and
 * tests or tools acting as the merchant.
 */

export function signSha256Rsa(message: string, privateKey: KeyLike): string {
  return createSign('RSA-SHA256').update(message, 'utf8').sign(privateKey, 'base64');
}

export function verifySha256Rsa(message: string, signatureBase64: string, publicKey: KeyLike): boolean {
  try {
    return createVerify('RSA-SHA256').update(message, 'utf8').verify(publicKey, signatureBase64, 'base64');
  } catch {
    return false;
  }
}

/** 签名串 of a merchant request: `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` (URL = path + query). */
export function buildRequestSignString(
  method: string,
  pathAndQuery: string,
  timestamp: string | number,
  nonce: string,
  body = '',
): string {
  return `${method.toUpperCase()}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
}

/** 验签串 of a response or a notification: `TIMESTAMP\nNONCE\nBODY\n`. */
export function buildResponseSignString(timestamp: string | number, nonce: string, body = ''): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** The string `uni.requestPayment`/`wx.requestPayment`'s paySign covers: `appId\ntimeStamp\nnonceStr\npackage\n`. */
export function buildRequestPaymentSignString(appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`;
}

export interface RequestPaymentParams {
  appId: string;
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** Signs the requestPayment parameters with the merchant key, as a merchant's server does. */
export function signRequestPayment(
  input: { appId: string; prepayId: string; timeStamp?: string; nonceStr?: string },
  merchantPrivateKey: KeyLike,
): RequestPaymentParams {
  const timeStamp = input.timeStamp ?? String(Math.floor(Date.now() / 1000));
  const nonceStr = input.nonceStr ?? randomNonce();
  const pkg = `prepay_id=${input.prepayId}`;
  const paySign = signSha256Rsa(
    buildRequestPaymentSignString(input.appId, timeStamp, nonceStr, pkg),
    merchantPrivateKey,
  );
  return { appId: input.appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
}

export interface AuthorizationParts {
  mchid: string;
  serial_no: string;
  nonce_str: string;
  timestamp: string;
  signature: string;
}

const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

/** Builds the merchant's `Authorization` header value for a request. */
export function buildAuthorization(opts: {
  mchid: string;
  serialNo: string;
  privateKey: KeyLike;
  method: string;
  pathAndQuery: string;
  body?: string;
  timestamp?: number;
  nonce?: string;
}): string {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomNonce();
  const signature = signSha256Rsa(
    buildRequestSignString(opts.method, opts.pathAndQuery, timestamp, nonce, opts.body ?? ''),
    opts.privateKey,
  );
  return `${AUTH_SCHEMA} mchid="${opts.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${opts.serialNo}"`;
}

/** Parses `WECHATPAY2-SHA256-RSA2048 k="v",…`; null when the schema or any of the five fields is missing. */
export function parseAuthorization(header: string | undefined): AuthorizationParts | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (!trimmed.startsWith(`${AUTH_SCHEMA} `)) return null;
  const rest = trimmed.slice(AUTH_SCHEMA.length + 1);
  const fields = new Map<string, string>();
  const re = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(rest)) !== null) {
    if (m[0] === '') break;
    fields.set(m[1]!, m[2]!);
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length) return null;
  const get = (k: keyof AuthorizationParts) => fields.get(k);
  const parts = {
    mchid: get('mchid'),
    serial_no: get('serial_no'),
    nonce_str: get('nonce_str'),
    timestamp: get('timestamp'),
    signature: get('signature'),
  };
  if (Object.values(parts).some((v) => v === undefined || v === '')) return null;
  return parts as AuthorizationParts;
}

export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  associated_data: string;
  original_type: string;
  nonce: string;
}

/** AEAD_AES_256_GCM with the APIv3 key: ciphertext = base64(encrypted || 16-byte tag). */
export function aesGcmEncrypt(plaintext: string, apiV3Key: string, nonce: string, associatedData: string): string {
  const cipher = createCipheriv('aes-256-gcm', keyBytes(apiV3Key), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const enc = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return enc.toString('base64');
}

export function aesGcmDecrypt(
  ciphertextBase64: string,
  apiV3Key: string,
  nonce: string,
  associatedData: string,
): string {
  const buf = Buffer.from(ciphertextBase64, 'base64');
  if (buf.length < 16) throw new Error('ciphertext shorter than the GCM tag');
  const decipher = createDecipheriv('aes-256-gcm', keyBytes(apiV3Key), Buffer.from(nonce, 'utf8'));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(buf.subarray(buf.length - 16));
  return Buffer.concat([decipher.update(buf.subarray(0, buf.length - 16)), decipher.final()]).toString('utf8');
}

/** Decrypts a notification's `resource` and parses the JSON inside. */
export function decryptNotificationResource<T = Record<string, unknown>>(
  resource: Pick<EncryptedResource, 'ciphertext' | 'nonce' | 'associated_data'>,
  apiV3Key: string,
): T {
  return JSON.parse(aesGcmDecrypt(resource.ciphertext, apiV3Key, resource.nonce, resource.associated_data ?? '')) as T;
}

function keyBytes(apiV3Key: string): Buffer {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new Error('the APIv3 key must be 32 bytes');
  return key;
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random string of letters and digits (WeChat's nonces are 32 of them). */
export function randomNonce(size = 32): string {
  const bytes = randomBytes(size);
  let out = '';
  for (const b of bytes) out += NONCE_ALPHABET[b % NONCE_ALPHABET.length];
  return out;
}
