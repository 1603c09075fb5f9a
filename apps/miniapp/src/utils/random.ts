const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random bytes: Web Crypto where the runtime has it (h5, recent WeChat base libraries), else Math.random. */
function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (webCrypto?.getRandomValues) return webCrypto.getRandomValues(bytes);
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}

/** `length` characters of [0-9A-Za-z]. */
export function randomToken(length: number): string {
  let out = '';
  for (const byte of randomBytes(length)) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/**
 * A fresh `Idempotency-Key` (printable ASCII, as the BFF requires): the time keeps keys of one
 * device apart across restarts, the random part keeps devices apart.
 */
export function newIdempotencyKey(): string {
  return `ck-${Date.now().toString(36)}-${randomToken(20)}`;
}
