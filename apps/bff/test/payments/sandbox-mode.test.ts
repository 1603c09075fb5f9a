import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { start, type RunningBff } from '../../src/index.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { apiClient, sandboxIdentityDir, TEST_SCRYPT_COST } from '../support/harness.js';
import { TEST_ADDRESS } from '../support/shop.js';

describe('the payment loop in sandbox mode (no merchant account: the BFF starts the sandbox itself)', () => {
  let bff: RunningBff;
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb('pglite', { seed: true });
    const dir = mkdtempSync(path.join(tmpdir(), 'uc-sbxmode-'));
    bff = await start({
      port: 0,
      db,
      logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
      env: {
        NODE_ENV: 'test',
        DATABASE_URL: undefined,
        DATA_DIR: dir,
        SANDBOX_PORT: '0',
        // the run's sandbox identity (no RSA keys generated at start)
        SANDBOX_STATE_DIR: sandboxIdentityDir(path.join(dir, 'sandbox')),
        SANDBOX_TIME_SCALE: '0.001',
        WECHATPAY_MCHID: undefined,
        PUBLIC_BASE_URL: undefined,
        ADMIN_PASSWORD_SCRYPT_COST: TEST_SCRYPT_COST,
      },
    });
  });
  afterAll(async () => {
    await bff?.stop();
    await db?.close();
  });

  it('pays through the sandbox cashier route and receives the notification at its own address', async () => {
    expect(bff.ctx.wechatMode).toBe('sandbox');
    const anonymous = apiClient(bff.url);
    const openid = 'oSandboxMode00000000000000001';
    const login = await anonymous.post('/api/auth/login', { code: `sandbox:${openid}` });
    const shopper = apiClient(bff.url, login.body.token);
    const products = await anonymous.get('/api/products?limit=50');
    const sku = products.body.items
      .flatMap((p: { skus: { id: string; stock: number }[] }) => p.skus)
      .find((s: { stock: number }) => s.stock > 0);

    const order = await shopper.post(
      '/api/orders',
      { items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS },
      { 'idempotency-key': randomUUID() },
    );
    expect(order.status).toBe(201);
    const params = await shopper.post(`/api/orders/${order.body.orderNo}/pay`);
    expect(params.status).toBe(200);

    // what the h5 build's cashier does in place of uni.requestPayment
    const paid = await fetch(`${bff.ctx.sandboxUrl}/sandbox/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...params.body, openid }),
    });
    expect(paid.status).toBe(200);

    const row = () =>
      bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.body.orderNo }, include: { events: true } });
    await vi.waitFor(async () => expect((await row()).events.map((e) => e.type)).toContain('PAYMENT_SETTLED'), {
      timeout: 10_000,
      interval: 50,
    });
    const settled = (await row()).events.find((e) => e.type === 'PAYMENT_SETTLED');
    expect(settled?.payload).toMatchObject({ source: 'notify' });
    expect((await shopper.get(`/api/orders/${order.body.orderNo}`)).body.status).toBe('PAID');
  });
});
