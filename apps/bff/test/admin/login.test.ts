import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, startHarness, type Harness } from '../support/harness.js';

/** Admin login: scrypt-hashed password, per-client rate limit, lock of (account, client) after 5 failures. */
// the harness hashes at ADMIN_PASSWORD_SCRYPT_COST=10 (N=2^10); production's N=2^17 is tested in passwords.test.ts
describe('POST /api/admin/login', { timeout: 60_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    // the test client stands behind a loopback proxy that names each simulated client
    h = await startHarness({ env: { TRUST_PROXY: 'loopback' } });
    // a second admin, so that locking one does not lock the bootstrap admin the other specs use
    const { hashPassword } = await import('../../src/admin/passwords.js');
    await h.bff.ctx.prisma.adminUser.create({
      data: {
        username: 'ops',
        passwordHash: await hashPassword('ops-password-123', h.bff.ctx.config.adminPasswordScryptCost),
      },
    });
  }, 60_000);
  afterAll(() => h?.close());

  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  it('given the right password, answers a 15 min admin token (and a refresh token) that opens the admin API', async () => {
    const res = await h.anonymous.post('/api/admin/login', ADMIN, from('10.0.0.1'));
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['expiresIn', 'refreshExpiresAt', 'refreshToken', 'token']);
    const claims = await h.bff.ctx.tokens.verify(res.body.token);
    expect(claims).toMatchObject({ role: 'admin', username: ADMIN.username });
    const [, payload] = res.body.token.split('.');
    const { iat, exp } = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(exp - iat).toBe(15 * 60);
    expect(res.body.expiresIn).toBe(15 * 60);
    const orders = await h.anonymous.get('/api/admin/orders', { authorization: `Bearer ${res.body.token}` });
    expect(orders.status).toBe(200);
  });

  it('given a wrong password or an unknown user, answers the same 401 INVALID_CREDENTIALS', async () => {
    const wrong = await h.anonymous.post(
      '/api/admin/login',
      { username: ADMIN.username, password: 'nope-nope-nope' },
      from('10.0.0.2'),
    );
    const unknown = await h.anonymous.post(
      '/api/admin/login',
      { username: 'nobody', password: 'nope-nope-nope' },
      from('10.0.0.2'),
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await h.anonymous.post('/api/admin/login', ADMIN, from('10.0.0.2'))).status).toBe(200);
  });

  it('rejects a malformed body with 400 VALIDATION_FAILED', async () => {
    const res = await h.anonymous.post('/api/admin/login', { username: 'admin' }, from('10.0.0.3'));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('locks the account for the client after 5 consecutive failures, even when they arrive at once', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        h.anonymous.post('/api/admin/login', { username: 'ops', password: `wrong-${i}-xxxxxx` }, from('10.1.0.1')),
      ),
    );
    expect(attempts.map((r) => r.status)).toEqual([401, 401, 401, 401, 401]);
    // now even the right password is refused from that client, as a wrong one is
    const locked = await h.anonymous.post(
      '/api/admin/login',
      { username: 'ops', password: 'ops-password-123' },
      from('10.1.0.1'),
    );
    expect(locked.status).toBe(401);
    expect(locked.body.error.code).toBe('INVALID_CREDENTIALS');
    // the count is kept in the shared limits table (every process sees it), under a hashed key
    const rows = await h.bff.ctx.prisma.rateLimit.findMany({ where: { key: { startsWith: 'admin-login-failures:' } } });
    expect(Math.max(...rows.map((r) => r.points))).toBeGreaterThanOrEqual(5);
    expect(rows.every((r) => !r.key.includes('ops') && !r.key.includes('10.1.0.1'))).toBe(true);
    // another client is not locked out
    const elsewhere = await h.anonymous.post(
      '/api/admin/login',
      { username: 'ops', password: 'ops-password-123' },
      from('10.1.0.2'),
    );
    expect(elsewhere.status).toBe(200);
  });

  it(
    'rate-limits one IP to 10 attempts a minute with 429 RATE_LIMITED and Retry-After',
    { timeout: 30_000 },
    async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await h.anonymous.post(
          '/api/admin/login',
          { username: `ghost${i}`, password: 'whatever-123' },
          from('10.2.0.1'),
        );
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.body.error.code).toBe('RATE_LIMITED');
          expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        }
      }
      expect(statuses).toEqual([...Array(10).fill(401), 429]);
      // another IP is not affected
      expect((await h.anonymous.post('/api/admin/login', ADMIN, from('10.2.0.2'))).status).toBe(200);
    },
  );

  it('does not count successful logins against the limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await h.anonymous.post('/api/admin/login', ADMIN, from('10.4.0.1'))).status);
    expect(statuses).toEqual(Array(11).fill(200));
  });
});

describe('admin routes refuse anyone but an admin', { timeout: 30_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 60_000);
  afterAll(() => h?.close());

  const routes: [method: 'get' | 'post', path: string, body?: unknown][] = [
    ['get', '/api/admin/orders'],
    ['get', '/api/admin/orders/ORDER123456'],
    ['get', '/api/admin/orders.csv'],
    ['get', '/api/admin/stats'],
    ['get', '/api/admin/refund-requests'],
    ['post', '/api/admin/orders/ORDER123456/refunds', { amountFen: 1, reason: 'x' }],
    ['get', '/api/admin/reconciliations'],
    ['post', '/api/admin/reconciliations', { billDate: '2026-01-01' }],
  ];

  it('answers 401 without a token and 403 FORBIDDEN with a shopper token', async () => {
    const shopper = await h.shopper();
    for (const [method, path, body] of routes) {
      const anonymous = method === 'get' ? await h.anonymous.get(path) : await h.anonymous.post(path, body);
      expect(anonymous.status, `${method} ${path}`).toBe(401);
      expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
      const asShopper = method === 'get' ? await shopper.get(path) : await shopper.post(path, body);
      expect(asShopper.status, `${method} ${path}`).toBe(403);
      expect(asShopper.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('refuses a forged admin token (wrong signature)', async () => {
    const admin = await h.admin();
    const forged = admin.token!.slice(0, -4) + (admin.token!.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const res = await h.anonymous.get('/api/admin/orders', { authorization: `Bearer ${forged}` });
    expect(res.status).toBe(401);
  });
});
