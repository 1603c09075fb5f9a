import { requestPaymentParamsSchema, toRfc3339Beijing } from '@uni-checkout/shared';
import { buildRequestPaymentSignString, verifySha256Rsa } from '@uni-checkout/wechatpay-sandbox';
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeOrder } from '../../src/orders/pay-order.js';
import { useHarness } from '../support/harness.js';
import { eventsOf, orderRow, paymentNotification, placeOrder, requestPayment } from '../support/shop.js';

describe('paying (POST /api/orders/:orderNo/pay)', () => {
  const h = useHarness();

  it('answers uni.requestPayment params signed over appId/timeStamp/nonceStr/package with the merchant key', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const params = requestPaymentParamsSchema.parse(await requestPayment(shopper, order.orderNo));
    const merchantPublicKey = createPublicKey(h.sandbox.credentials.merchantPrivateKeyPem);
    const message = buildRequestPaymentSignString(params.appId, params.timeStamp, params.nonceStr, params.package);
    expect(verifySha256Rsa(message, params.paySign, merchantPublicKey)).toBe(true);
    expect(Math.abs(Number(params.timeStamp) - Date.now() / 1000)).toBeLessThan(60);
    const row = await orderRow(h, order.orderNo);
    expect(params.package).toBe(`prepay_id=${row.prepayId}`);
    expect(row.prepayExpiresAt!.getTime() - Date.now()).toBeGreaterThan(119 * 60_000);
  });

  it('reuses a prepay_id that is still valid, and asks WeChat again when it is about to lapse', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const first = await requestPayment(shopper, order.orderNo);
    const second = await requestPayment(shopper, order.orderNo);
    expect(second.package).toBe(first.package);
    expect(second.paySign).not.toBe(first.paySign); // a fresh nonce and signature each time

    await h.bff.ctx.prisma.order.update({
      where: { orderNo: order.orderNo },
      data: { prepayExpiresAt: new Date(Date.now() + 60_000) },
    });
    await requestPayment(shopper, order.orderNo);
    const types = (await eventsOf(h, order.orderNo)).map((e) => e.type);
    expect(types).toEqual([
      'ORDER_CREATED',
      'PREPAY_REQUESTED',
      'PREPAY_CREATED',
      'PREPAY_REUSED',
      'PREPAY_REQUESTED',
      'PREPAY_CREATED',
    ]);
    expect((await orderRow(h, order.orderNo)).prepayExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
  });

  it('refuses an expired order without asking WeChat', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await h.bff.ctx.prisma.order.update({
      where: { orderNo: order.orderNo },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await shopper.post(`/api/orders/${order.orderNo}/pay`);
    expect([res.status, res.body.error.code]).toEqual([409, 'ORDER_EXPIRED']);
    expect((await shopper.get(`/api/orders/${order.orderNo}`)).body.actions.pay).toBe(false);
    expect((await eventsOf(h, order.orderNo)).map((e) => e.type)).toEqual(['ORDER_CREATED']);
  });

  it('refuses a paid order', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const params = await requestPayment(shopper, order.orderNo);
    const delivered = paymentNotification(h, order.orderNo);
    h.sandbox.pay({ ...params, openid: shopper.openid });
    await delivered;
    const res = await shopper.post(`/api/orders/${order.orderNo}/pay`);
    expect([res.status, res.body.error.code]).toEqual([409, 'ORDER_NOT_PAYABLE']);
  });

  it('brings a paid order up to date when WeChat answers the prepay with ORDERPAID', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const params = await requestPayment(shopper, order.orderNo);
    h.sandbox.faults.set({ dropNotifications: 1 });
    const dropped = paymentNotification(h, order.orderNo, 'dropped');
    h.sandbox.pay({ ...params, openid: shopper.openid });
    await dropped;
    // the stored prepay_id is about to lapse: the next pay asks WeChat, which knows it is paid
    await h.bff.ctx.prisma.order.update({
      where: { orderNo: order.orderNo },
      data: { prepayExpiresAt: new Date(Date.now() + 1000) },
    });

    const res = await shopper.post(`/api/orders/${order.orderNo}/pay`);
    expect([res.status, res.body.error.code]).toEqual([409, 'ORDER_NOT_PAYABLE']);
    expect(res.body.error.details.order).toMatchObject({ orderNo: order.orderNo, status: 'PAID' });
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PAID' });
    const types = (await eventsOf(h, order.orderNo)).map((e) => e.type);
    expect(types.slice(-4)).toEqual(['PREPAY_REQUESTED', 'PREPAY_FAILED', 'QUERY_RESULT', 'PAYMENT_SETTLED']);
  });

  describe('when WeChat Pay fails, the shopper gets a clear 502 and nothing is half-written', () => {
    const faults = [
      ['answers 500', { count: 1, mode: '500' as const }],
      ['answers 429', { count: 1, mode: '429' as const }],
      ['drops the connection', { count: 1, mode: 'timeout' as const, timeoutMs: 200 }],
    ] as const;
    for (const [what, failApi] of faults) {
      it(`WeChat ${what}`, async () => {
        const shopper = await h.shopper();
        const order = await placeOrder(h, shopper);
        h.sandbox.faults.set({ failApi: { ...failApi, pathPrefix: '/v3/pay/transactions/jsapi' } });
        const res = await shopper.post(`/api/orders/${order.orderNo}/pay`);
        expect([res.status, res.body.error.code]).toEqual([502, 'WECHATPAY_UNAVAILABLE']);
        expect(await orderRow(h, order.orderNo)).toMatchObject({
          status: 'PENDING_PAYMENT',
          prepayId: null,
          prepayExpiresAt: null,
          version: 0,
        });
        const failed = (await eventsOf(h, order.orderNo)).find((e) => e.type === 'PREPAY_FAILED');
        expect(failed?.payload).toMatchObject({ retryable: true });
        // and the shopper's retry works
        expect((await requestPayment(shopper, order.orderNo)).package).toMatch(/^prepay_id=/);
      });
    }

    it('WeChat answers with a signature that does not verify', async () => {
      const shopper = await h.shopper();
      const order = await placeOrder(h, shopper);
      h.sandbox.faults.set({ corruptResponseSignatures: 1 });
      const res = await shopper.post(`/api/orders/${order.orderNo}/pay`);
      expect([res.status, res.body.error.code]).toEqual([502, 'WECHATPAY_UNAVAILABLE']);
      expect(await orderRow(h, order.orderNo)).toMatchObject({ prepayId: null });
      expect((await eventsOf(h, order.orderNo)).find((e) => e.type === 'PREPAY_FAILED')?.payload).toMatchObject({
        code: 'BAD_SIGNATURE',
      });
    });
  });
});

describe('prepay fields', () => {
  it('writes time_expire in RFC 3339 at +08:00', () => {
    expect(toRfc3339Beijing(new Date('2026-01-31T16:30:05.123Z'))).toBe('2026-02-01T00:30:05+08:00');
  });

  it('describes the order within WeChat’s 127 characters, never cutting a character in half', () => {
    const short = describeOrder([{ title: '云南小粒咖啡', skuTitle: '250g', quantity: 2 }]);
    expect(short).toBe('云南小粒咖啡 250g×2');
    const long = describeOrder(
      Array.from({ length: 20 }, (_, i) => ({ title: `😀手工皂礼盒${i}`, skuTitle: '经典款', quantity: 1 })),
    );
    expect([...long]).toHaveLength(127);
    expect(long.endsWith('…')).toBe(true);
    expect(long).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
