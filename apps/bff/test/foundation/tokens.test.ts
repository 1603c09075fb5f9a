import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startHarness, type Harness } from '../support/harness.js';
import { placeOrder } from '../support/shop.js';

/** Tokens the BFF must refuse even though they are signed with its own secret. */
describe('session tokens over HTTP (PostgreSQL)', () => {
  let h: Harness;
  let key: Uint8Array;
  beforeAll(async () => {
    h = await startHarness({ db: 'postgres' });
    key = new TextEncoder().encode(h.env.JWT_SECRET!);
  });
  afterAll(async () => h?.close());

  const sign = (claims: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT, alg = 'HS256') =>
    build(new SignJWT(claims).setProtectedHeader({ alg }).setIssuer('uni-checkout')).sign(key);

  it('refuses a token without an expiry on shopper and admin routes', async () => {
    const shopper = await h.shopper();
    const user = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: shopper.openid } });
    const admin = await h.bff.ctx.prisma.adminUser.findFirstOrThrow();
    const forever = await sign({ role: 'shopper', userId: user.id, openid: user.openid }, (j) =>
      j.setSubject(user.id).setIssuedAt(),
    );
    const adminForever = await sign({ role: 'admin', adminId: admin.id, username: admin.username }, (j) =>
      j.setSubject(admin.id).setIssuedAt(),
    );
    const shopperRes = await apiClient(h.bff.url, forever).get('/api/orders');
    const adminRes = await apiClient(h.bff.url, adminForever).get('/api/admin/orders');
    expect([shopperRes.status, shopperRes.body.error?.code]).toEqual([401, 'UNAUTHORIZED']);
    expect([adminRes.status, adminRes.body.error?.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('refuses an expired token, another algorithm, and claims that name someone other than the subject', async () => {
    const owner = await h.shopper();
    const order = await placeOrder(h, owner);
    const victim = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: owner.openid } });
    const attacker = await h.shopper();
    const attackerRow = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: attacker.openid } });
    const now = Math.floor(Date.now() / 1000);
    const tokens = [
      await sign({ role: 'shopper', userId: victim.id, openid: victim.openid }, (j) =>
        j
          .setSubject(victim.id)
          .setIssuedAt(now - 7200)
          .setExpirationTime(now - 60),
      ),
      await sign(
        { role: 'shopper', userId: victim.id, openid: victim.openid },
        (j) => j.setSubject(victim.id).setIssuedAt().setExpirationTime('1h'),
        'HS512',
      ),
      await sign({ role: 'shopper', userId: victim.id, openid: victim.openid }, (j) =>
        j.setSubject(attackerRow.id).setIssuedAt().setExpirationTime('1h'),
      ),
    ];
    for (const token of tokens) {
      const res = await apiClient(h.bff.url, token).get(`/api/orders/${order.orderNo}`);
      expect([res.status, res.body.error?.code]).toEqual([401, 'UNAUTHORIZED']);
    }
    // the control: the owner's own token still reads the order
    expect((await owner.get(`/api/orders/${order.orderNo}`)).status).toBe(200);
  });
});
