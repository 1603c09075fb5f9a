import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useHarness, type ApiResponse } from '../support/harness.js';
import { anySku, skuStock, TEST_ADDRESS } from '../support/shop.js';
import { paidOrder } from '../refunds/paid-order.js';

/** Input a browser, a script or an attacker can send: each gets a 4xx with a stable code, never a 500. */
describe('hostile input over HTTP (PostgreSQL)', () => {
  const h = useHarness({ db: 'postgres' });

  const refused = (res: ApiResponse, code = 'VALIDATION_FAILED', status = 400) =>
    expect([res.status, res.body?.error?.code]).toEqual([status, code]);

  it('refuses a NUL character anywhere in a body, a query or a path with 400, writing nothing', async () => {
    const shopper = await h.shopper();
    const admin = await h.admin();
    const sku = await anySku(h);
    const stockBefore = await skuStock(h, sku.id);
    const key = randomUUID();
    refused(
      await shopper.post(
        '/api/orders',
        { items: [{ skuId: 'a\u0000b', quantity: 1 }], address: TEST_ADDRESS },
        { 'idempotency-key': key },
      ),
    );
    refused(
      await shopper.post(
        '/api/orders',
        { items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS, remark: 'gift\u0000wrap' },
        { 'idempotency-key': randomUUID() },
      ),
    );
    refused(await h.anonymous.get('/api/products/%00'));
    refused(await h.anonymous.post('/api/admin/login', { username: 'admin\u0000', password: 'whatever-it-is' }));
    refused(await admin.get('/api/admin/orders?q=%00'));
    refused(await admin.get('/api/admin/orders.csv?q=UC%00'));
    refused(await admin.get('/api/admin/refund-requests?cursor=%00'));

    // nothing was reserved or remembered: the same key now places the order normally
    const user = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: shopper.openid } });
    expect(await h.bff.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(0);
    expect(await h.bff.ctx.prisma.idempotencyKey.count({ where: { userId: user.id } })).toBe(0);
    expect(await skuStock(h, sku.id)).toBe(stockBefore);
    const placed = await shopper.post(
      '/api/orders',
      { items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS },
      { 'idempotency-key': key },
    );
    expect(placed.status).toBe(201);
  });

  it('refuses a NUL character in refund reasons without creating a refund or a request', async () => {
    const admin = await h.admin();
    const order = await paidOrder(h);
    refused(await order.shopper.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: 'broken\u0000' }));
    refused(await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 1, reason: 'x\u0000y' }));
    const row = await h.bff.ctx.prisma.order.findUniqueOrThrow({
      where: { orderNo: order.orderNo },
      include: { refunds: true, refundRequests: true },
    });
    expect(row.refunds).toEqual([]);
    expect(row.refundRequests).toEqual([]);
    expect(row.status).toBe('PAID');
  });

  it('refuses a path whose percent-encoding does not decode with 400', async () => {
    const shopper = await h.shopper();
    refused(await shopper.get('/api/orders/%E0%A4%A'));
    refused(await shopper.post('/api/orders/%E0%A4%A/cancel'));
    refused(await h.anonymous.get('/api/products/%E0%A4%A'));
  });

  it('answers unicode in an orderNo with 404, as any order that is not yours', async () => {
    const shopper = await h.shopper();
    const res = await shopper.get(`/api/orders/${encodeURIComponent('订单号订单号订单号')}`);
    refused(res, 'NOT_FOUND', 404);
  });
});

describe('forged catalog cursors', () => {
  const h = useHarness({ db: 'postgres' });

  const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

  it('answers 400 VALIDATION_FAILED for a cursor this API never returned, whatever it holds', async () => {
    for (const key of [
      [{}, {}],
      ['first', 'tea-longjing'],
      [2_147_483_648, 'tea-longjing'],
      [1e308, 'tea-longjing'],
      [1.5, 'tea-longjing'],
      [0, 42],
      [0, 'x'.repeat(65)],
    ]) {
      const res = await h.anonymous.get(`/api/products?cursor=${cursorOf(key)}`);
      expect([JSON.stringify(key), res.status, res.body.error?.code]).toEqual([
        JSON.stringify(key),
        400,
        'VALIDATION_FAILED',
      ]);
    }
  });

  it('still pages with the cursors it hands out', async () => {
    const first = await h.anonymous.get('/api/products?limit=2');
    const next = await h.anonymous.get(`/api/products?limit=2&cursor=${first.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items.length).toBe(2);
    expect(next.body.items[0].id).not.toBe(first.body.items[0].id);
  });
});

describe('instants PostgreSQL cannot compare with', () => {
  const h = useHarness({ db: 'postgres' });

  const cursorAt = (at: string) =>
    Buffer.from(JSON.stringify([at, '00000000-0000-4000-8000-000000000000'])).toString('base64url');

  it('answers 400 VALIDATION_FAILED for admin date filters and list cursors outside 1970–9999', async () => {
    const shopper = await h.shopper();
    const admin = await h.admin();
    for (const [client, path] of [
      [admin, `/api/admin/orders?from=${encodeURIComponent('0000-01-01T00:00:00Z')}`],
      [admin, `/api/admin/orders?to=${encodeURIComponent('0001-01-01T00:00:00+14:00')}`],
      [admin, `/api/admin/orders.csv?from=${encodeURIComponent('0000-06-01T00:00:00Z')}`],
      [admin, `/api/admin/orders?cursor=${cursorAt('0000-01-01T00:00:00.000Z')}`],
      [admin, `/api/admin/refund-requests?cursor=${cursorAt('0000-01-01T00:00:00.000Z')}`],
      [shopper, `/api/orders?cursor=${cursorAt('0000-01-01T00:00:00.000Z')}`],
      [shopper, `/api/orders?cursor=${cursorAt('+275760-09-13T00:00:00.000Z')}`],
    ] as const) {
      const res = await client.get(path);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 400, 'VALIDATION_FAILED']);
    }
  });

  it('still filters by an ordinary date range', async () => {
    const admin = await h.admin();
    const res = await admin.get(
      `/api/admin/orders?from=${encodeURIComponent('2020-01-01T00:00:00+08:00')}&to=${encodeURIComponent('9999-01-01T00:00:00Z')}`,
    );
    expect(res.status).toBe(200);
  });
});

describe('bodies that are not JSON', () => {
  const h = useHarness({ db: 'postgres' });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE for a form or text body on a JSON route, placing nothing', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const json = JSON.stringify({ items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS });
    for (const [type, body] of [
      ['text/plain', json],
      ['application/x-www-form-urlencoded', `items[0][skuId]=${sku.id}&items[0][quantity]=1`],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="items"\r\n\r\n1\r\n--x--'],
    ]) {
      const res = await shopper.post('/api/orders', body, { 'content-type': type!, 'idempotency-key': randomUUID() });
      expect([type, res.status, res.body.error?.code]).toEqual([type, 415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
    const login = await h.anonymous.post('/api/auth/login', 'code=sandbox:oFormPost', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect([login.status, login.body.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const user = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: shopper.openid } });
    expect(await h.bff.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(0);
  });

  it('still takes JSON (also with a charset) and body-less POSTs', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const body = JSON.stringify({ items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS });
    for (const type of ['application/json', 'application/json; charset=utf-8']) {
      const res = await shopper.post('/api/orders', body, { 'content-type': type, 'idempotency-key': randomUUID() });
      expect([type, res.status]).toEqual([type, 201]);
    }
    const placed = await shopper.get('/api/orders');
    const cancel = await shopper.post(`/api/orders/${placed.body.items[0].orderNo}/cancel`);
    expect(cancel.status).toBe(200);
    const empty = await shopper.post('/api/orders', undefined, { 'idempotency-key': randomUUID() });
    expect([empty.status, empty.body.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
