import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSandbox, type Sandbox } from '@uni-checkout/wechatpay-sandbox';
import { start, type RunningBff } from '../../src/index.js';
import { migrateDb, openDb, seedCatalog } from '../../src/db/index.js';
import { pgliteDataDir } from '../support/db.js';
import {
  allPages,
  apiClient,
  sandboxIdentityDir,
  TEST_SCRYPT_COST,
  useHarness,
  type ApiClient,
} from '../support/harness.js';
import { placeOrder, requestPayment } from '../support/shop.js';
import { startSandboxBff } from '../support/sandbox-bff.js';

describe('BFF foundation over HTTP (PostgreSQL, merchant mode against the sandbox)', () => {
  const h = useHarness({ db: 'postgres' });

  describe('catalog', () => {
    it('lists the seeded products with SKUs priced in integer fen', async () => {
      const res = await h.anonymous.get('/api/products?limit=50');
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThanOrEqual(12);
      for (const p of res.body.items) {
        expect(p.skus.length).toBeGreaterThan(0);
        expect(p.images.length).toBeGreaterThan(0);
        for (const s of p.skus) expect(Number.isInteger(s.priceFen)).toBe(true);
        expect(p.minPriceFen).toBe(Math.min(...p.skus.map((s: { priceFen: number }) => s.priceFen)));
      }
    });

    it('pages with an opaque cursor, each product exactly once', async () => {
      const pages = await allPages<{ id: string }>(h.anonymous, '/api/products?limit=5', 20);
      const all = await h.anonymous.get('/api/products?limit=50');
      expect(pages.flat().map((p) => p.id)).toEqual(all.body.items.map((p: { id: string }) => p.id));
      expect(pages.length).toBeGreaterThanOrEqual(3);
    });

    it('serves one product, its images from the repo, and 404s an unknown id in the error format', async () => {
      const list = await h.anonymous.get('/api/products');
      const first = list.body.items[0];
      const one = await h.anonymous.get(`/api/products/${first.id}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(first);
      const image = await fetch(h.bff.url + first.images[0]);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toMatch(/^image\//);
      const missing = await h.anonymous.get('/api/products/no-such-product');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: 'product not found' } });
      const badCursor = await h.anonymous.get('/api/products?cursor=zzz');
      expect(badCursor.status).toBe(400);
      expect(badCursor.body.error.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('login (jscode2session)', () => {
    it('turns a code into a token and the same user on every login', async () => {
      const first = await h.anonymous.post('/api/auth/login', { code: 'sandbox:oShopperAlice000000000000001' });
      expect(first.status).toBe(200);
      expect(first.body.user.openid).toBe('oShopperAlice000000000000001');
      expect(typeof first.body.token).toBe('string');
      const again = await h.anonymous.post('/api/auth/login', { code: 'sandbox:oShopperAlice000000000000001' });
      expect(again.body.user.id).toBe(first.body.user.id);
    });

    it('accepts a real single-use code once and refuses its reuse with a clear 400', async () => {
      const issued = await fetch(`${h.sandbox.url}/sandbox/login-code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ openid: 'oShopperBob0000000000000000001' }),
      }).then((r) => r.json() as Promise<{ code: string }>);
      const ok = await h.anonymous.post('/api/auth/login', { code: issued.code });
      expect(ok.status).toBe(200);
      const reused = await h.anonymous.post('/api/auth/login', { code: issued.code });
      expect(reused.status).toBe(400);
      expect(reused.body.error.code).toBe('WECHAT_CODE_USED');
    });

    it('refuses an invalid code, a missing code and a malformed body with stable codes', async () => {
      const invalid = await h.anonymous.post('/api/auth/login', { code: 'not-a-code' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.code).toBe('WECHAT_CODE_INVALID');
      const missing = await h.anonymous.post('/api/auth/login', {});
      expect(missing.status).toBe(400);
      expect(missing.body.error.code).toBe('VALIDATION_FAILED');
      const malformed = await h.anonymous.post('/api/auth/login', '{"code":');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('MALFORMED_JSON');
      const huge = await h.anonymous.post('/api/auth/login', { code: 'x'.repeat(100_000) });
      expect(huge.status).toBe(413);
      expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('answers 502 when WeChat fails, never a 500 with a stack', async () => {
      h.sandbox.faults.set({ failApi: { count: 1, mode: '500', pathPrefix: '/sns/' } });
      const res = await h.anonymous.post('/api/auth/login', { code: 'sandbox:oShopperCarol00000000000000001' });
      h.sandbox.faults.reset();
      expect(res.status).toBe(502);
      expect(res.body).toEqual({ error: { code: 'WECHAT_UNAVAILABLE', message: expect.any(String) } });
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
    });

    it('protects shopper routes: no token or a forged one is 401', async () => {
      const forged = apiClient(h.bff.url, 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2hvcHBlciJ9.c2lnbmF0dXJl');
      for (const client of [h.anonymous, forged] as ApiClient[]) {
        const res = await client.get('/api/orders');
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHORIZED');
      }
    });
  });

  describe('operations', () => {
    it('reports health, readiness with the database kind, and Prometheus metrics', async () => {
      expect((await h.anonymous.get('/healthz')).body).toEqual({ status: 'ok' });
      const ready = await h.anonymous.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'ready', database: 'postgres', wechatMode: 'merchant' });
      const metrics = await fetch(h.bff.url + '/metrics').then((r) => r.text());
      expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/products"/);
      expect(metrics).toMatch(/wechat_calls_total\{operation="jscode2session",outcome="ok"\}/);
    });

    it('gives every request an id, echoed in the response and on its log lines', async () => {
      const res = await h.anonymous.get('/api/products', { 'x-request-id': 'req-test-0001' });
      expect(res.headers.get('x-request-id')).toBe('req-test-0001');
      expect(h.logs.some((l) => l.reqId === 'req-test-0001')).toBe(true);
      const unknown = await h.anonymous.get('/api/nothing-here');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('ROUTE_NOT_FOUND');
    });

    it('closes every request with one line (id, method, path, status, time): debug for a success, info for a refusal', async () => {
      await h.anonymous.get('/api/products', { 'x-request-id': 'req-test-0002' });
      await h.anonymous.get('/api/nothing-here', { 'x-request-id': 'req-test-0003' });
      const closing = (id: string) => h.logs.filter((l) => l.reqId === id && l.msg === 'request completed');
      // written when the response has finished, which may be after the client read it
      await vi.waitFor(() => expect(closing('req-test-0003')).toHaveLength(1));
      await vi.waitFor(() => expect(closing('req-test-0002')).toHaveLength(1));
      expect(closing('req-test-0002')[0]).toMatchObject({
        level: 20,
        req: { id: 'req-test-0002', method: 'GET', url: '/api/products' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      });
      expect(closing('req-test-0003')[0]).toMatchObject({
        level: 30,
        req: { id: 'req-test-0003', method: 'GET', url: '/api/nothing-here' },
        res: { statusCode: 404 },
      });
      // an id that is no plain token is not echoed: the request gets its own
      const invented = await h.anonymous.get('/api/products', { 'x-request-id': 'no token {}' });
      expect(invented.headers.get('x-request-id')).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      );
    });

    it('on stop, lets a request in flight finish and does not wait for idle keep-alive sockets', async () => {
      const other = await h.startAnotherBff();
      const shopper = await h.shopper();
      const order = await placeOrder(h, shopper);
      await requestPayment(shopper, order.orderNo);
      // WeChat answers the read's order query slowly: the read is in flight when stop() is called
      h.sandbox.faults.set({
        failApi: { count: 1, mode: 'timeout', timeoutMs: 1500, pathPrefix: '/v3/pay/transactions/out-trade-no/' },
      });
      const onOther = apiClient(other.url, shopper.token);
      await onOther.get('/healthz'); // leaves a keep-alive socket open to the stopping server
      const inFlight = onOther.get(`/api/orders/${order.orderNo}`);
      await new Promise((r) => setTimeout(r, 200));
      const stopping = Date.now();
      await other.stop();
      const stopMs = Date.now() - stopping;
      h.sandbox.faults.reset();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(res.body.orderNo).toBe(order.orderNo);
      // the read waits at most 2.5 s for WeChat; a socket left to linger would hold stop() for the
      // 10 s grace period (or the 65 s keep-alive timeout without it)
      expect(stopMs).toBeLessThan(8_000);
      await expect(fetch(other.url + '/healthz')).rejects.toThrow();
    });

    it('never writes a secret to the logs', async () => {
      const c = h.sandbox.credentials;
      const all = JSON.stringify(h.logs);
      expect(h.logs.length).toBeGreaterThan(10);
      for (const secret of [c.appsecret, c.apiV3Key, 'PRIVATE KEY', 'Bearer ey']) expect(all).not.toContain(secret);
    });
  });
});

describe('BFF on the embedded default (PGlite, sandbox mode)', () => {
  let bff: RunningBff;
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uc-pglite-'));
    // initialised as a first open leaves it (initdb once per worker), then migrated and seeded in
    // one open (each open of PGlite costs its start, over a second of CPU)
    const pgliteDir = await pgliteDataDir(path.join(dir, 'pglite'));
    const db = await openDb({ pgliteDir });
    try {
      await migrateDb(db);
      await seedCatalog(db.prisma);
    } finally {
      await db.close();
    }
    bff = (await startSandboxBff({ postgres: false, dataDir: dir, env: { PGLITE_DIR: pgliteDir } })).bff;
  });
  afterAll(async () => bff?.stop());

  it('starts its own sandbox, serves the catalog and logs shoppers in', async () => {
    const api = apiClient(bff.url);
    const ready = await api.get('/readyz');
    expect(ready.body).toMatchObject({ status: 'ready', database: 'pglite', wechatMode: 'sandbox' });
    const products = await api.get('/api/products?limit=50');
    expect(products.body.items.length).toBeGreaterThanOrEqual(12);
    const login = await api.post('/api/auth/login', { code: 'sandbox:oEmbeddedShopper000000000001' });
    expect(login.status).toBe(200);
    expect(login.body.user.openid).toBe('oEmbeddedShopper000000000001');
  });

  it('reuses a sandbox that is already running for the same state dir', async () => {
    const stateDir = sandboxIdentityDir(mkdtempSync(path.join(tmpdir(), 'uc-sbx-')));
    const sandbox: Sandbox = await createSandbox({ port: 0, stateDir });
    try {
      const other = await start({
        port: 0,
        logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
        env: {
          NODE_ENV: 'test',
          DATABASE_URL: undefined,
          PGLITE_DIR: await pgliteDataDir(mkdtempSync(path.join(tmpdir(), 'uc-pglite2-'))),
          DATA_DIR: mkdtempSync(path.join(tmpdir(), 'uc-data2-')),
          SANDBOX_STATE_DIR: stateDir,
          WECHATPAY_MCHID: undefined,
          ADMIN_PASSWORD_SCRYPT_COST: TEST_SCRYPT_COST,
        },
      });
      expect(other.ctx.sandboxUrl).toBe(sandbox.url);
      expect(other.ctx.merchant.mchid).toBe(sandbox.credentials.mchid);
      await other.stop();
    } finally {
      await sandbox.close();
    }
  });
});
