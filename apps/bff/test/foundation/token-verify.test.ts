/**
 * The session token check on its own: tokens jose signs (as login does) pass, and every token that
 * is not ours, not HS256, tampered, or whose registered claims do not hold is refused.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTokenService } from '../../src/auth/tokens.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256-0123456789';
const key = new TextEncoder().encode(SECRET);
const tokens = createTokenService(SECRET);
const shopper = { role: 'shopper', userId: 'u1', openid: 'o1' } as const;
const now = () => Math.floor(Date.now() / 1000);

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A token put together by hand, signed HS256 with `secret` unless a signature is given. */
function handMade(header: unknown, payload: unknown, secret = SECRET, signature?: string): string {
  const signed = `${b64(header)}.${b64(payload)}`;
  return `${signed}.${signature ?? createHmac('sha256', secret).update(signed).digest('base64url')}`;
}
const claims = (extra: Record<string, unknown> = {}) => ({
  ...shopper,
  iss: 'uni-checkout',
  sub: 'u1',
  iat: now(),
  exp: now() + 3600,
  ...extra,
});

describe('session token verification', () => {
  it('accepts what it signed, for shoppers and admins', async () => {
    expect(await tokens.verify(await tokens.sign(shopper, '1h'))).toEqual(shopper);
    const admin = { role: 'admin', adminId: 'a1', username: 'boss', sid: 's1' } as const;
    expect(await tokens.verify(await tokens.sign(admin, '1h'))).toEqual(admin);
    expect(await tokens.verify(handMade({ alg: 'HS256', typ: 'JWT' }, claims()))).toEqual(shopper);
  });

  it('refuses another secret, a tampered payload or signature, and malformed tokens', async () => {
    const good = await tokens.sign(shopper, '1h');
    const [h, p, s] = good.split('.') as [string, string, string];
    const refused = [
      await createTokenService('another-secret-another-secret-another-secret').sign(shopper, '1h'),
      `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), userId: 'u2', sub: 'u2' })}.${s}`,
      `${h}.${p}.${s.slice(0, -2)}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}`,
      `${good}.extra`,
      '',
      'not-a-token',
      handMade({ alg: 'HS256' }, 'a string payload'),
      handMade({ alg: 'HS256' }, [1, 2]),
      `${Buffer.from('{not json').toString('base64url')}.${p}.${s}`,
    ];
    for (const token of refused) expect(await tokens.verify(token), token).toBeUndefined();
  });

  it('refuses alg none, other algorithms and critical header extensions', async () => {
    const refused = [
      handMade({ alg: 'none' }, claims(), SECRET, ''),
      handMade({ alg: 'HS512' }, claims()),
      await new SignJWT(claims()).setProtectedHeader({ alg: 'HS512' }).sign(key),
      handMade({ alg: 'HS256', crit: ['exp'] }, claims()),
      handMade({ alg: 'HS256', b64: false, crit: ['b64'] }, claims()),
      handMade({}, claims()),
    ];
    for (const token of refused) expect(await tokens.verify(token), token).toBeUndefined();
  });

  it('requires our issuer, a subject, iat and an expiry in the future, and honours nbf', async () => {
    const refused = [
      handMade({ alg: 'HS256' }, claims({ iss: 'someone-else' })),
      handMade({ alg: 'HS256' }, claims({ iss: undefined })),
      handMade({ alg: 'HS256' }, claims({ sub: undefined })),
      handMade({ alg: 'HS256' }, claims({ iat: undefined })),
      handMade({ alg: 'HS256' }, claims({ iat: 'yesterday' })),
      handMade({ alg: 'HS256' }, claims({ exp: undefined })),
      handMade({ alg: 'HS256' }, claims({ exp: String(now() + 3600) })),
      handMade({ alg: 'HS256' }, claims({ exp: now() })),
      handMade({ alg: 'HS256' }, claims({ exp: now() - 60 })),
      handMade({ alg: 'HS256' }, claims({ nbf: now() + 60 })),
      handMade({ alg: 'HS256' }, claims({ nbf: 'soon' })),
      // claims that name someone other than the subject, or no known role
      handMade({ alg: 'HS256' }, claims({ sub: 'u2' })),
      handMade({ alg: 'HS256' }, claims({ role: 'root' })),
      handMade({ alg: 'HS256' }, claims({ openid: 7 })),
      // an admin token names its session
      handMade({ alg: 'HS256' }, claims({ role: 'admin', adminId: 'u1', username: 'boss' })),
    ];
    for (const token of refused) expect(await tokens.verify(token), token).toBeUndefined();
    expect(await tokens.verify(handMade({ alg: 'HS256' }, claims({ nbf: now() - 5 })))).toEqual(shopper);
  });
});
