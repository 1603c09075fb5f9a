/**
 * Rate limits and lock-outs hold across processes: two BFF processes on one PostgreSQL database
 * count in the same table ("RateLimit", created by a migration), so a client cannot double its
 * allowance by alternating between them. On PGlite (one process) the counters are in memory.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, apiClient, startHarness, type ApiClient, type Harness } from '../support/harness.js';
import { startBffProcess, type BffProcess } from '../support/bff-process.js';
import { anySku, TEST_ADDRESS } from '../support/shop.js';

describe('two BFF processes on one PostgreSQL database', { timeout: 90_000 }, () => {
  let h: Harness;
  let other: BffProcess;
  /** the two processes, as the same client sees them behind a load balancer */
  let apis: [ApiClient, ApiClient];
  beforeAll(async () => {
    h = await startHarness({
      defaultLimits: true,
      // the test client stands behind a loopback proxy that names each simulated client
      env: { TRUST_PROXY: 'loopback', LOGINS_PER_CLIENT_PER_MINUTE: '6', SHOPPER_ORDERS_PER_MINUTE: '4' },
    });
    other = await startBffProcess(h.env);
    apis = [h.anonymous, apiClient(other.url)];
  }, 60_000);
  afterAll(async () => {
    await other?.stop();
    await h?.close();
  });

  const alternating = <T>(n: number, call: (api: ApiClient, i: number) => Promise<T>) => {
    const out: Promise<T>[] = [];
    for (let i = 0; i < n; i++) out.push(call(apis[i % 2]!, i));
    return Promise.all(out);
  };

  it('counts one client’s logins once, whichever process answers', async () => {
    const client = { 'x-forwarded-for': '10.30.0.1' };
    const answers = await alternating(10, (api) =>
      api.post('/api/auth/login', { code: `sandbox:o${randomUUID().replace(/-/g, '').slice(0, 27)}` }, client),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(6);
    expect(answers.filter((r) => r.status === 429).map((r) => r.body.error.code)).toEqual(
      Array(4).fill('RATE_LIMITED'),
    );
    // both processes refuse it now
    for (const api of apis)
      expect((await api.post('/api/auth/login', { code: 'sandbox:oX' }, client)).status).toBe(429);
  });

  it('counts a shopper’s order placements across both processes', async () => {
    const shopper = await h.shopper();
    const auth = { authorization: `Bearer ${shopper.token}` };
    const sku = await anySku(h);
    const place = (api: ApiClient) =>
      api.post(
        '/api/orders',
        { items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS },
        {
          ...auth,
          'idempotency-key': randomUUID(),
        },
      );
    const answers = await alternating(6, (api) => place(api));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(4);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(2);
  });

  it('keeps the admin lock of a client whichever process the failures and the next try reach', async () => {
    const client = { 'x-forwarded-for': '10.30.0.2' };
    const failures = await alternating(5, (api, i) =>
      api.post('/api/admin/login', { username: ADMIN.username, password: `wrong-${i}-xxxxxx` }, client),
    );
    expect(failures.map((r) => r.status)).toEqual(Array(5).fill(401));
    for (const api of apis) {
      const locked = await api.post('/api/admin/login', ADMIN, client);
      expect(locked.status).toBe(401);
      expect(locked.body.error.code).toBe('INVALID_CREDENTIALS');
    }
    expect((await apis[1].post('/api/admin/login', ADMIN, { 'x-forwarded-for': '10.30.0.3' })).status).toBe(200);
  });

  it('keeps the counters in the RateLimit table of the migrations', async () => {
    expect(h.bff.ctx.limits.store).toBe('postgres');
    const rows = await h.bff.ctx.prisma.rateLimit.findMany();
    const prefixes = new Set(rows.map((r) => r.key.split(':')[0]));
    expect([...prefixes].sort()).toEqual(
      expect.arrayContaining([
        'admin-login-client',
        'admin-login-failures',
        'logins',
        'logins-client',
        'shopper-orders',
      ]),
    );
  });
});

describe('on PGlite', { timeout: 60_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ db: 'pglite', defaultLimits: true, env: { LOGINS_PER_CLIENT_PER_MINUTE: '3' } });
  }, 60_000);
  afterAll(() => h?.close());

  it('counts in memory, with the same limits', async () => {
    expect(h.bff.ctx.limits.store).toBe('memory');
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await h.anonymous.post('/api/auth/login', { code: `sandbox:op${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
