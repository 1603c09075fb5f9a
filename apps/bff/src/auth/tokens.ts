import { SignJWT, jwtVerify } from 'jose';

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
    /** Returns the claims, or undefined for any token that is not ours and valid. */
    async verify(token: string): Promise<Claims | undefined> {
      try {
        // a token without an expiry would open the API forever: exp (and iat, sub) are required
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          algorithms: ['HS256'],
          requiredClaims: ['exp', 'iat', 'sub'],
        });
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
      } catch {
        return undefined;
      }
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
