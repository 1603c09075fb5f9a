import { randomUUID } from 'node:crypto';
import { orderSchema } from '@uni-checkout/shared';
import { describe, expect, it } from 'vitest';
import { allPages, useHarness } from '../support/harness.js';
import {
  anySku,
  catalogSkus,
  createOrder,
  eventsOf,
  placeOrder,
  requestPayment,
  skuStock,
  TEST_ADDRESS,
} from '../support/shop.js';

describe('orders (POST/GET /api/orders)', () => {
  const h = useHarness();

  it('prices the order from the catalog and refuses any price the client sends', async () => {
    const shopper = await h.shopper();
    const [a, b] = [await anySku(h, 0), await anySku(h, 1)];

    const tampered = await shopper.post(
      '/api/orders',
      { items: [{ skuId: a.id, quantity: 1, priceFen: 1 }], totalFen: 1, address: TEST_ADDRESS },
      { 'idempotency-key': randomUUID() },
    );
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.code).toBe('VALIDATION_FAILED');

    const res = await createOrder(shopper, [
      { skuId: a.id, quantity: 2 },
      { skuId: b.id, quantity: 1 },
      { skuId: a.id, quantity: 1 }, // the same SKU twice is one line
    ]);
    expect(res.status).toBe(201);
    const order = orderSchema.parse(res.body);
    expect(order.totalFen).toBe(a.priceFen * 3 + b.priceFen);
    expect(order.items.map((i) => [i.skuId, i.quantity, i.priceFen, i.amountFen]).sort()).toEqual(
      [
        [a.id, 3, a.priceFen, a.priceFen * 3],
        [b.id, 1, b.priceFen, b.priceFen],
      ].sort(),
    );
    const expires = new Date(order.expiresAt).getTime() - new Date(order.createdAt).getTime();
    expect(expires).toBe(30 * 60_000);
    expect((await eventsOf(h, order.orderNo)).map((e) => e.type)).toEqual(['ORDER_CREATED']);
  });

  it('refuses carts the catalog cannot fill, with stable codes and nothing reserved', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const before = await skuStock(h, sku.id);
    const cases: [unknown, number, string][] = [
      [{ items: [{ skuId: 'no-such-sku', quantity: 1 }] }, 422, 'PRODUCT_UNAVAILABLE'],
      [
        {
          items: [
            { skuId: sku.id, quantity: 1 },
            { skuId: 'no-such-sku', quantity: 1 },
          ],
        },
        422,
        'PRODUCT_UNAVAILABLE',
      ],
      [{ items: [{ skuId: sku.id, quantity: 0 }] }, 400, 'VALIDATION_FAILED'],
      [{ items: [{ skuId: sku.id, quantity: 100 }] }, 400, 'VALIDATION_FAILED'],
      [
        {
          items: [
            { skuId: sku.id, quantity: 60 },
            { skuId: sku.id, quantity: 60 },
          ],
        },
        400,
        'VALIDATION_FAILED',
      ],
      [{ items: [{ skuId: sku.id, quantity: 1.5 }] }, 400, 'VALIDATION_FAILED'],
      [{ items: [] }, 400, 'VALIDATION_FAILED'],
      [{ items: Array.from({ length: 21 }, () => ({ skuId: sku.id, quantity: 1 })) }, 400, 'VALIDATION_FAILED'],
      [{ items: [{ skuId: sku.id, quantity: 1 }], remark: 'x'.repeat(201) }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const res = await shopper.post(
        '/api/orders',
        { ...(body as object), address: TEST_ADDRESS },
        { 'idempotency-key': randomUUID() },
      );
      expect([res.status, res.body.error?.code], JSON.stringify(body).slice(0, 80)).toEqual([status, code]);
    }
    const inactive = await h.bff.ctx.prisma.sku.findFirst({
      where: { OR: [{ active: false }, { product: { active: false } }] },
    });
    if (inactive) {
      const res = await createOrder(shopper, [{ skuId: inactive.id, quantity: 1 }]);
      expect([res.status, res.body.error.code]).toEqual([422, 'PRODUCT_UNAVAILABLE']);
    }
    expect(await skuStock(h, sku.id)).toBe(before);
  });

  it('says how many are left when the stock cannot fill a line (the shop shows 库存仅剩 N 件)', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    await h.bff.ctx.prisma.sku.update({ where: { id: sku.id }, data: { stock: 3 } });
    const res = await createOrder(shopper, [{ skuId: sku.id, quantity: 7 }]);
    expect([res.status, res.body.error.code]).toEqual([409, 'OUT_OF_STOCK']);
    expect(res.body.error.details).toEqual({ skuId: sku.id, availableStock: 3 });
    expect(await skuStock(h, sku.id)).toBe(3);
  });

  it('requires an Idempotency-Key, replays the same request and refuses the key for another body', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const missing = await shopper.post('/api/orders', {
      items: [{ skuId: sku.id, quantity: 1 }],
      address: TEST_ADDRESS,
    });
    expect([missing.status, missing.body.error.code]).toEqual([400, 'IDEMPOTENCY_KEY_REQUIRED']);
    const tooLong = await createOrder(shopper, [{ skuId: sku.id, quantity: 1 }], 'k'.repeat(129));
    expect([tooLong.status, tooLong.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

    const key = randomUUID();
    const stock = await skuStock(h, sku.id);
    const first = await createOrder(shopper, [{ skuId: sku.id, quantity: 2 }], key);
    const again = await createOrder(shopper, [{ skuId: sku.id, quantity: 2 }], key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.orderNo).toBe(first.body.orderNo);
    expect(await skuStock(h, sku.id)).toBe(stock - 2); // reserved once

    const conflict = await createOrder(shopper, [{ skuId: sku.id, quantity: 3 }], key);
    expect([conflict.status, conflict.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);

    // concurrent retries of one request still make one order
    const key2 = randomUUID();
    const burst = await Promise.all(
      Array.from({ length: 8 }, () => createOrder(shopper, [{ skuId: sku.id, quantity: 1 }], key2)),
    );
    expect(new Set(burst.map((r) => r.body.orderNo)).size).toBe(1);
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);

    // keys belong to a shopper: another shopper's same key is a new order
    const other = await h.shopper();
    const theirs = await createOrder(other, [{ skuId: sku.id, quantity: 2 }], key);
    expect(theirs.status).toBe(201);
    expect(theirs.body.orderNo).not.toBe(first.body.orderNo);
  });

  it('never oversells: 30 shoppers racing for a stock of 10 get 10 orders', async () => {
    const sku = await anySku(h, 2);
    await h.bff.ctx.prisma.sku.update({ where: { id: sku.id }, data: { stock: 10 } });
    const shoppers = await Promise.all(Array.from({ length: 30 }, () => h.shopper()));
    const results = await Promise.all(shoppers.map((s) => createOrder(s, [{ skuId: sku.id, quantity: 1 }])));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(
      results.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.error.code === 'OUT_OF_STOCK'),
    ).toBe(true);
    expect(await skuStock(h, sku.id)).toBe(0);
    await h.bff.ctx.prisma.sku.update({ where: { id: sku.id }, data: { stock: 1000 } });
  });

  it("hides another shopper's order behind 404 on every route", async () => {
    const owner = await h.shopper();
    const stranger = await h.shopper();
    const order = await placeOrder(h, owner);
    for (const res of [
      await stranger.get(`/api/orders/${order.orderNo}`),
      await stranger.post(`/api/orders/${order.orderNo}/pay`),
      await stranger.post(`/api/orders/${order.orderNo}/cancel`),
      await owner.get('/api/orders/UC00000000000000000000000000'),
      await owner.get('/api/orders/not%20an%20order'),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    }
    expect((await stranger.get('/api/orders')).body.items).toEqual([]);
    expect((await h.anonymous.get(`/api/orders/${order.orderNo}`)).status).toBe(401);
    expect((await h.anonymous.post('/api/orders', {})).status).toBe(401);
  });

  it('lists own orders newest first in cursor pages, filtered by status', async () => {
    const shopper = await h.shopper();
    const placed: string[] = [];
    for (let i = 0; i < 5; i++) placed.push((await placeOrder(h, shopper)).orderNo);
    await shopper.post(`/api/orders/${placed[1]}/cancel`);

    const pages = await allPages<{ orderNo: string }>(shopper, '/api/orders?limit=2');
    for (const items of pages) expect(items.length).toBeLessThanOrEqual(2);
    expect(pages.flat().map((o) => o.orderNo)).toEqual([...placed].reverse());

    const closed = await shopper.get('/api/orders?status=CLOSED');
    expect(closed.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([placed[1]]);
    expect((await shopper.get('/api/orders?status=NOPE')).status).toBe(400);
    expect((await shopper.get('/api/orders?cursor=garbage')).body.error.code).toBe('VALIDATION_FAILED');
    const forged = Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', "x' OR 1=1"])).toString('base64url');
    expect((await shopper.get(`/api/orders?cursor=${forged}`)).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('only the catalog decides what is for sale', async () => {
    const all = await catalogSkus(h);
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((s) => Number.isInteger(s.priceFen) && s.priceFen > 0)).toBe(true);
  });
});

describe('cancelling (POST /api/orders/:orderNo/cancel)', () => {
  const h = useHarness();

  it('closes an unpaid order and gives its stock back exactly once', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const before = await skuStock(h, sku.id);
    const created = await createOrder(shopper, [{ skuId: sku.id, quantity: 3 }]);
    expect(await skuStock(h, sku.id)).toBe(before - 3);

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => shopper.post(`/api/orders/${created.body.orderNo}/cancel`)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[0]!.body).toMatchObject({ status: 'CLOSED', actions: { pay: false, cancel: false } });
    expect(await skuStock(h, sku.id)).toBe(before);
    const types = (await eventsOf(h, created.body.orderNo)).map((e) => e.type);
    expect(types.filter((t) => t === 'STOCK_RELEASED')).toHaveLength(1);
    expect(types.filter((t) => t === 'ORDER_CLOSED')).toHaveLength(1);

    const pay = await shopper.post(`/api/orders/${created.body.orderNo}/pay`);
    expect([pay.status, pay.body.error.code]).toEqual([409, 'ORDER_NOT_PAYABLE']);
  });

  it('closes the order at WeChat first when a prepay exists, so it can no longer be paid', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const params = await requestPayment(shopper, order.orderNo);
    const res = await shopper.post(`/api/orders/${order.orderNo}/cancel`);
    expect(res.body.status).toBe('CLOSED');
    expect(await h.bff.ctx.wechatpay.queryByOutTradeNo(order.orderNo)).toMatchObject({ trade_state: 'CLOSED' });
    expect(() => h.sandbox.pay({ ...params, openid: shopper.openid })).toThrow();
    expect((await eventsOf(h, order.orderNo)).map((e) => e.type)).toEqual([
      'ORDER_CREATED',
      'PREPAY_REQUESTED',
      'PREPAY_CREATED',
      'CLOSE_REQUESTED',
      'CLOSE_RESULT',
      'ORDER_CLOSED',
      'STOCK_RELEASED',
    ]);
  });

  it('answers the paid order when WeChat says it was paid meanwhile (ORDERPAID settles it)', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const order = await placeOrder(h, shopper);
    const stock = await skuStock(h, sku.id);
    const params = await requestPayment(shopper, order.orderNo);
    h.sandbox.faults.set({ dropNotifications: 1 });
    const dropped = h.sandbox.waitForNotification((n) => n.outTradeNo === order.orderNo && n.state === 'dropped');
    h.sandbox.pay({ ...params, openid: shopper.openid });
    await dropped;

    const res = await shopper.post(`/api/orders/${order.orderNo}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'PAID', transactionId: expect.any(String) });
    expect(await skuStock(h, sku.id)).toBe(stock); // nothing released
    const types = (await eventsOf(h, order.orderNo)).map((e) => e.type);
    expect(types).toContain('PAYMENT_SETTLED');
    expect(types).not.toContain('ORDER_CLOSED');
    expect((await eventsOf(h, order.orderNo)).find((e) => e.type === 'PAYMENT_SETTLED')?.payload).toMatchObject({
      source: 'cancel',
    });

    const again = await shopper.post(`/api/orders/${order.orderNo}/cancel`);
    expect([again.status, again.body.error.code]).toEqual([409, 'ORDER_NOT_CANCELLABLE']);
  });

  it('leaves the order untouched when WeChat cannot be reached to close it', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    h.sandbox.faults.set({ failApi: { count: 1, mode: '500', pathPrefix: '/v3/pay/transactions/out-trade-no' } });
    const res = await shopper.post(`/api/orders/${order.orderNo}/cancel`);
    expect([res.status, res.body.error.code]).toEqual([502, 'WECHATPAY_UNAVAILABLE']);
    expect((await shopper.get(`/api/orders/${order.orderNo}`)).body.status).toBe('PENDING_PAYMENT');
  });
});
