/**
 * Tokens that outlive what they stand for: an admin who logged out, was disabled or deleted loses
 * access at once (refunds included); access tokens are short and renewed with a single-use refresh
 * token; a shopper whose user row is gone gets a 401, never a 500.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/admin/passwords.js';
import { domainModules } from '../../src/app.js';
import { ENDED_SESSION_RETENTION_DAYS, pruneEndedAdminSessions } from '../../src/auth/admin-sessions.js';
import { ADMIN, apiClient, startHarness, type ApiClient, type Harness } from '../support/harness.js';
import { anySku, TEST_ADDRESS } from '../support/shop.js';
import { paidOrder } from '../refunds/paid-order.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(() => h?.close());

interface Session {
  token: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
}

async function login(credentials = ADMIN): Promise<Session> {
  const res = await h.anonymous.post('/api/admin/login', credentials);
  expect(res.status).toBe(200);
  return res.body as Session;
}

const as = (token: string): ApiClient => apiClient(h.bff.url, token);
const codeOf = (res: { status: number; body: { error?: { code?: string } } }) => [res.status, res.body.error?.code];

async function anotherAdmin(): Promise<{ username: string; password: string }> {
  const credentials = { username: `ops-${randomUUID().slice(0, 8)}`, password: 'ops-password-123' };
  await h.bff.ctx.prisma.adminUser.create({
    data: {
      username: credentials.username,
      passwordHash: await hashPassword(credentials.password, h.bff.ctx.config.adminPasswordScryptCost),
    },
  });
  return credentials;
}

describe('admin sessions', { timeout: 90_000 }, () => {
  it('issues an access token of at most 30 minutes with a refresh token', async () => {
    const session = await login();
    const { iat, exp, sid } = JSON.parse(Buffer.from(session.token.split('.')[1]!, 'base64url').toString());
    expect(exp - iat).toBeLessThanOrEqual(30 * 60);
    expect(session.expiresIn).toBe(exp - iat);
    expect(typeof sid).toBe('string');
    expect(session.refreshToken.startsWith(`${sid}.`)).toBe(true);
    expect(new Date(session.refreshExpiresAt).getTime()).toBeGreaterThan(Date.now() + 11 * 3600_000);
    // only a hash of the refresh token is stored
    const row = await h.bff.ctx.prisma.adminSession.findUniqueOrThrow({ where: { id: sid } });
    expect(JSON.stringify(row)).not.toContain(session.refreshToken.split('.')[1]);
  });

  it('logout ends the session at once: the access token and the refresh token stop working', async () => {
    const order = await paidOrder(h);
    const session = await login();
    const admin = as(session.token);
    expect((await admin.get('/api/admin/orders')).status).toBe(200);
    expect((await admin.post('/api/admin/logout')).status).toBe(204);
    expect(codeOf(await admin.get('/api/admin/orders'))).toEqual([401, 'SESSION_REVOKED']);
    expect(
      codeOf(await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 1, reason: 'after logout' })),
    ).toEqual([401, 'SESSION_REVOKED']);
    expect(await h.bff.ctx.prisma.refund.count({ where: { order: { orderNo: order.orderNo } } })).toBe(0);
    expect(codeOf(await h.anonymous.post('/api/admin/refresh', { refreshToken: session.refreshToken }))).toEqual([
      401,
      'REFRESH_TOKEN_INVALID',
    ]);
    // another login of the same admin is untouched
    expect((await as((await login()).token).get('/api/admin/orders')).status).toBe(200);
  });

  it('logout with the refresh token alone (the access token expired) ends the session too', async () => {
    const session = await login();
    expect((await h.anonymous.post('/api/admin/logout', { refreshToken: session.refreshToken })).status).toBe(204);
    expect(codeOf(await as(session.token).get('/api/admin/stats'))).toEqual([401, 'SESSION_REVOKED']);
    expect(codeOf(await h.anonymous.post('/api/admin/logout'))).toEqual([401, 'UNAUTHORIZED']);
  });

  it('refresh rotates the refresh token; reusing a spent one ends the session', async () => {
    const first = await login();
    const refreshed = await h.anonymous.post('/api/admin/refresh', { refreshToken: first.refreshToken });
    expect(refreshed.status).toBe(200);
    const second = refreshed.body as Session;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(second.refreshExpiresAt).toBe(first.refreshExpiresAt);
    expect((await as(second.token).get('/api/admin/orders')).status).toBe(200);

    // the spent token again: someone copied it — the whole session ends
    expect(codeOf(await h.anonymous.post('/api/admin/refresh', { refreshToken: first.refreshToken }))).toEqual([
      401,
      'REFRESH_TOKEN_INVALID',
    ]);
    expect(codeOf(await as(second.token).get('/api/admin/orders'))).toEqual([401, 'SESSION_REVOKED']);
    expect(codeOf(await h.anonymous.post('/api/admin/refresh', { refreshToken: second.refreshToken }))).toEqual([
      401,
      'REFRESH_TOKEN_INVALID',
    ]);
    for (const junk of ['', 'x', `${randomUUID()}.${'a'.repeat(43)}`]) {
      const res = await h.anonymous.post('/api/admin/refresh', { refreshToken: junk });
      expect([400, 401]).toContain(res.status);
    }
  });

  it('of two concurrent refreshes with one token, at most one gets a new pair', async () => {
    const session = await login();
    const answers = await Promise.all(
      [1, 2].map(() => h.anonymous.post('/api/admin/refresh', { refreshToken: session.refreshToken })),
    );
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(1);
  });

  it('a disabled admin loses access at once and cannot log in', async () => {
    const credentials = await anotherAdmin();
    const session = await login(credentials);
    const admin = as(session.token);
    expect((await admin.get('/api/admin/orders')).status).toBe(200);
    await h.bff.ctx.prisma.adminUser.update({
      where: { username: credentials.username },
      data: { disabledAt: new Date() },
    });
    expect(codeOf(await admin.get('/api/admin/orders'))).toEqual([401, 'SESSION_REVOKED']);
    expect(codeOf(await h.anonymous.post('/api/admin/refresh', { refreshToken: session.refreshToken }))).toEqual([
      401,
      'REFRESH_TOKEN_INVALID',
    ]);
    expect(codeOf(await h.anonymous.post('/api/admin/login', credentials))).toEqual([401, 'INVALID_CREDENTIALS']);
  });

  it('a deleted admin loses access at once', async () => {
    const credentials = await anotherAdmin();
    const session = await login(credentials);
    const order = await paidOrder(h);
    await h.bff.ctx.prisma.adminUser.delete({ where: { username: credentials.username } });
    const admin = as(session.token);
    expect(codeOf(await admin.get('/api/admin/orders'))).toEqual([401, 'SESSION_REVOKED']);
    expect(
      codeOf(await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 1, reason: 'x' })),
    ).toEqual([401, 'SESSION_REVOKED']);
    expect(codeOf(await admin.get('/api/admin/reconciliations'))).toEqual([401, 'SESSION_REVOKED']);
  });
});

describe('a shopper whose user row is gone', { timeout: 60_000 }, () => {
  it('gets 401 SESSION_REVOKED (not 500) on every shopper route, and logs in again', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    await h.bff.ctx.prisma.user.delete({ where: { openid: shopper.openid } });
    const body = { items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS };
    expect(codeOf(await shopper.post('/api/orders', body, { 'idempotency-key': randomUUID() }))).toEqual([
      401,
      'SESSION_REVOKED',
    ]);
    expect(codeOf(await shopper.get('/api/orders'))).toEqual([401, 'SESSION_REVOKED']);
    expect(codeOf(await shopper.post('/api/addresses', TEST_ADDRESS))).toEqual([401, 'SESSION_REVOKED']);
    expect(codeOf(await shopper.get('/api/addresses'))).toEqual([401, 'SESSION_REVOKED']);
    const again = await h.shopper(shopper.openid);
    expect((await again.post('/api/orders', body, { 'idempotency-key': randomUUID() })).status).toBe(201);
  });
});

describe('ended admin sessions', () => {
  it('are kept for the audit trail, then deleted by the sessions job; live ones stay', async () => {
    const prisma = h.bff.ctx.prisma;
    const admin = await prisma.adminUser.findUniqueOrThrow({ where: { username: ADMIN.username } });
    const day = 86_400_000;
    const now = Date.now();
    const ago = (days: number) => new Date(now - days * day);
    const session = (data: { expiresAt: Date; revokedAt?: Date }) =>
      prisma.adminSession.create({ data: { adminId: admin.id, refreshTokenHash: '0'.repeat(64), ...data } });
    const keep = ENDED_SESSION_RETENTION_DAYS - 1;
    const drop = ENDED_SESSION_RETENTION_DAYS + 1;
    const live = await session({ expiresAt: new Date(now + day) });
    const recentlyExpired = await session({ expiresAt: ago(keep) });
    const recentlyRevoked = await session({ expiresAt: new Date(now + day), revokedAt: ago(keep) });
    const longExpired = await session({ expiresAt: ago(drop) });
    const longRevoked = await session({ expiresAt: ago(keep), revokedAt: ago(drop) });

    const job = domainModules(h.bff.ctx)
      .flatMap((m) => m.jobs ?? [])
      .find((j) => j.name === 'admin-sessions');
    expect(job).toBeDefined();
    await job!.run();

    const ids = [live, recentlyExpired, recentlyRevoked, longExpired, longRevoked].map((s) => s.id);
    const left = await prisma.adminSession.findMany({ where: { id: { in: ids } }, select: { id: true } });
    expect(left.map((s) => s.id).sort()).toEqual([live.id, recentlyExpired.id, recentlyRevoked.id].sort());
    expect(await pruneEndedAdminSessions(prisma, new Date(now))).toBe(0);
  });
});
