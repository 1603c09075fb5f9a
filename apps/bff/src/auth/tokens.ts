import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';

export interface ShopperClaims {
  role: 'shopper';
  userId: string;
  openid: string;
}
export interface AdminClaims {
  role: 'admin';
  adminId: string;
  username: string;
  /** the AdminSession this token belongs to: checked on every request, so logout ends it at once */
  sid: string;
}
export type Claims = ShopperClaims | AdminClaims;

const ISSUER = 'uni-checkout';

export function createTokenService(secret: string) {
  const key = new TextEncoder().encode(secret);
  return {
    /** `ttl`: a duration ('7d') or the expiry as a Date */
    async sign(claims: Claims, ttl: string | Date): Promise<string> {
      const subject = claims.role === 'shopper' ? claims.userId : claims.adminId;
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(ttl)
        .sign(key);
    },
    /**
     * Returns the claims, or undefined for any token that is not ours and valid. Every request
     * with a token comes through here, so it is node:crypto's HMAC directly (jose signs, at
     * login): HS256 only, our issuer, and exp, iat and sub required — a token without an expiry
     * would open the API forever.
     */
    async verify(token: string): Promise<Claims | undefined> {
      const payload = verifiedPayload(token, key);
      if (!payload) return undefined;
      return claimsOf(payload);
    },
  };
}

type Payload = Record<string, unknown>;

function decodeJson(part: string): Payload | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Payload) : undefined;
  } catch {
    return undefined;
  }
}

/** A compact JWS, HS256 over our secret, whose registered claims hold now; else undefined. */
function verifiedPayload(token: string, key: Uint8Array): Payload | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined;
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart);
  // no critical extensions are understood here (jose refuses them as well)
  if (header?.alg !== 'HS256' || header.crit !== undefined || header.b64 !== undefined) return undefined;
  const expected = createHmac('sha256', key).update(`${headerPart}.${payloadPart}`).digest();
  const given = Buffer.from(signaturePart, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const payload = decodeJson(payloadPart);
  if (!payload) return undefined;
  const now = Math.floor(Date.now() / 1000);
  const { iss, sub, exp, iat, nbf } = payload;
  if (iss !== ISSUER || typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  if (exp <= now) return undefined;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now)) return undefined;
  return payload;
}

function claimsOf(payload: Payload): Claims | undefined {
  if (
    payload.role === 'shopper' &&
    typeof payload.userId === 'string' &&
    typeof payload.openid === 'string' &&
    payload.sub === payload.userId
  ) {
    return { role: 'shopper', userId: payload.userId, openid: payload.openid };
  }
  if (
    payload.role === 'admin' &&
    typeof payload.adminId === 'string' &&
    typeof payload.username === 'string' &&
    typeof payload.sid === 'string' &&
    payload.sub === payload.adminId
  ) {
    return { role: 'admin', adminId: payload.adminId, username: payload.username, sid: payload.sid };
  }
  return undefined;
}

export type TokenService = ReturnType<typeof createTokenService>;
