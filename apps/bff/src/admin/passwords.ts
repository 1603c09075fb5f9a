import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { DEFAULT_SCRYPT_COST, SCRYPT_COST_MAX } from '../config.js';

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;

const R = 8;
const P = 1;
const KEYLEN = 32;
/** scrypt needs 128·N·r bytes; room for the largest N allowed */
const MAXMEM = 2 * 128 * 2 ** SCRYPT_COST_MAX * R;

/**
 * `scrypt$N$r$p$salt$hash`, all base64url: the parameters travel with the hash, so a hash made at
 * any cost verifies whatever ADMIN_PASSWORD_SCRYPT_COST is now.
 */
export async function hashPassword(password: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  const params = { N: 2 ** cost, r: R, p: P, maxmem: MAXMEM };
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEYLEN, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
