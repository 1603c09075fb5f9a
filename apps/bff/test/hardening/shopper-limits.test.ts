/**
 * Per-shopper limits, at their defaults: open unpaid orders, units of a SKU held unpaid, and the
 * pace of placing, paying and reading orders; and what 40 orders paid and polled cost at WeChat Pay.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startHarness, type ApiResponse, type Harness } from '../support/harness.js';
import { countingProxy, type CountingProxy } from '../support/counting-proxy.js';
import { anySku, createOrder, placeOrder, skuStock, type Shopper } from '../support/shop.js';
import { orderRow, paymentNotification, requestPayment } from '../support/shop.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ defaultLimits: true });
}, 60_000);
afterAll(() => h?.close());

function expectRateLimited(res: ApiResponse) {
  expect(res.status).toBe(429);
  expect(res.body.error.code).toBe('RATE_LIMITED');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('per-shopper holds', { timeout: 60_000 }, () => {
  it('given 5 unpaid orders, refuses a 6th with 409 TOO_MANY_UNPAID_ORDERS and takes no stock; a cancel makes room', async () => {
    const shopper = await h.shopper();
    const orders = [];
    for (let i = 0; i < 5; i++) orders.push(await placeOrder(h, shopper, 1, i));
    const sku = await anySku(h, 5);
    const stock = await skuStock(h, sku.id);
    const sixth = await createOrder(shopper, [{ skuId: sku.id, quantity: 1 }]);
    expect(sixth.status).toBe(409);
    expect(sixth.body.error).toMatchObject({ code: 'TOO_MANY_UNPAID_ORDERS', details: { limit: 5 } });
    expect(await skuStock(h, sku.id)).toBe(stock);
    // another shopper is not concerned
    expect((await createOrder(await h.shopper(), [{ skuId: sku.id, quantity: 1 }])).status).toBe(201);
    expect((await shopper.post(`/api/orders/${orders[0]!.orderNo}/cancel`)).status).toBe(200);
    expect((await createOrder(shopper, [{ skuId: sku.id, quantity: 1 }])).status).toBe(201);
  });

  it('holds the cap when the orders arrive at once', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h, 1);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => createOrder(shopper, [{ skuId: sku.id, quantity: 1 }])),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual(
      Array(3).fill('TOO_MANY_UNPAID_ORDERS'),
    );
  });

  it('caps the units of one SKU over the unpaid orders at 20 with 409 QUANTITY_LIMIT', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h, 2);
    const other = await anySku(h, 3);
    const tooMany = await createOrder(shopper, [{ skuId: sku.id, quantity: 21 }]);
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error).toMatchObject({
      code: 'QUANTITY_LIMIT',
      details: { skuId: sku.id, limit: 20, allowed: 20 },
    });
    expect((await createOrder(shopper, [{ skuId: sku.id, quantity: 15 }])).status).toBe(201);
    const more = await createOrder(shopper, [
      { skuId: other.id, quantity: 1 },
      { skuId: sku.id, quantity: 6 },
    ]);
    expect(more.status).toBe(409);
    expect(more.body.error).toMatchObject({ code: 'QUANTITY_LIMIT', details: { skuId: sku.id, allowed: 5 } });
    expect((await createOrder(shopper, [{ skuId: sku.id, quantity: 5 }])).status).toBe(201);
  });
});

describe('per-shopper pace', { timeout: 60_000 }, () => {
  it('rate-limits order placement to 10 a minute with 429 RATE_LIMITED and Retry-After', async () => {
    const shopper = await h.shopper();
    const answers: ApiResponse[] = [];
    // refused ones count too: the limit is on requests, before any work
    for (let i = 0; i < 11; i++) answers.push(await createOrder(shopper, [{ skuId: 'no-such-sku', quantity: 1 }]));
    expect(answers.slice(0, 10).map((r) => r.body.error.code)).toEqual(Array(10).fill('PRODUCT_UNAVAILABLE'));
    expectRateLimited(answers[10]!);
    // the limit is this shopper's alone
    expect((await createOrder(await h.shopper(), [{ skuId: 'no-such-sku', quantity: 1 }])).status).toBe(422);
  });

  it('rate-limits /pay to 20 and reading an order to 120 a minute per shopper', async () => {
    const shopper = await h.shopper();
    const { orderNo } = await placeOrder(h, shopper);
    for (let i = 0; i < 20; i++) expect((await shopper.post(`/api/orders/${orderNo}/pay`)).status).toBe(200);
    expectRateLimited(await shopper.post(`/api/orders/${orderNo}/pay`));
    const reads = await Promise.all(Array.from({ length: 120 }, () => shopper.get(`/api/orders/${orderNo}`)));
    expect(reads.every((r) => r.status === 200)).toBe(true);
    expectRateLimited(await shopper.get(`/api/orders/${orderNo}`));
  });
});

describe('40 orders paid and polled', { timeout: 120_000 }, () => {
  let wechat: CountingProxy;
  afterAll(() => wechat?.close());

  it('cost one prepay each and a few queries per shopper at WeChat Pay, not a query per poll', async () => {
    wechat = await countingProxy(h.sandbox.url);
    const bff = await h.startAnotherBff({ WECHATPAY_BASE: wechat.url, WECHAT_API_BASE: wechat.url });
    const SHOPPERS = 8;
    const ORDERS_EACH = 5;
    const POLL_MS = 500;
    const POLL_FOR_MS = 8_000;
    const PAY_AT_MS = 4_000;
    const shoppers: Shopper[] = [];
    for (let i = 0; i < SHOPPERS; i++) {
      const s = await h.shopper();
      shoppers.push(Object.assign(apiClient(bff.url, s.token), { openid: s.openid }));
    }
    const sku = await anySku(h, 4);
    let polls = 0;
    // each order: placed, /pay, then its page polled every 500 ms for 8 s; the shopper confirms in
    // WeChat 4 s in (a slow pay sheet, or the cashier left open)
    const statuses = await Promise.all(
      shoppers.flatMap((shopper) =>
        Array.from({ length: ORDERS_EACH }, async () => {
          const created = await createOrder(shopper, [{ skuId: sku.id, quantity: 1 }]);
          expect(created.status).toBe(201);
          const { orderNo } = created.body;
          const params = await requestPayment(shopper, orderNo);
          const t0 = Date.now();
          let paid = false;
          let status = '';
          while (Date.now() - t0 < POLL_FOR_MS) {
            if (!paid && Date.now() - t0 >= PAY_AT_MS) {
              h.sandbox.pay({ ...params, openid: shopper.openid });
              paid = true;
            }
            const read = await shopper.get(`/api/orders/${orderNo}`);
            polls++;
            expect(read.status).toBe(200);
            status = read.body.status;
            await sleep(POLL_MS);
          }
          // on a loaded machine one slow read may step over the moment to pay, or the notification
          // land after the last poll: pay now and wait for it here, without reading the order again
          if (!paid) h.sandbox.pay({ ...params, openid: shopper.openid });
          if (status !== 'PAID') await paymentNotification(h, orderNo);
          return (await orderRow(h, orderNo)).status;
        }),
      ),
    );
    const prepays = wechat.count('/v3/pay/transactions/jsapi');
    const queries = wechat.count('/v3/pay/transactions/out-trade-no/', '/v3/pay/transactions/id/');
    const all = wechat.count('/v3/');
    console.log(
      `40 orders paid and polled: ${all} WeChat Pay calls (${prepays} prepays, ${queries} queries) for ${polls} polls`,
    );
    expect(statuses).toEqual(Array(SHOPPERS * ORDERS_EACH).fill('PAID'));
    expect(prepays).toBe(40);
    // SHOPPER_WECHAT_QUERIES_PER_MINUTE (4) per shopper at most, within the minute this takes
    expect(queries).toBeLessThanOrEqual(SHOPPERS * 4);
    expect(all).toBe(prepays + queries);
  });
});
