import { beforeAll, describe, expect, it } from 'vitest';
import { dbDriver } from '../../src/db/index.js';
import { startBffProcess } from '../support/bff-process.js';
import { useHarness } from '../support/harness.js';
import { eventsOf, orderRow, paymentNotification, placeOrder, requestPayment } from '../support/shop.js';
import { postNotification, signedNotification, successResource } from '../support/wechat-notify.js';

describe('payment notifications (POST /api/pay/notify/transaction)', () => {
  const h = useHarness();

  const settledEvents = async (orderNo: string) =>
    (await eventsOf(h, orderNo)).filter((e) => e.type === 'PAYMENT_SETTLED');

  it('settles an order once when WeChat delivers the notification 20 more times at the same moment', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const params = await requestPayment(shopper, order.orderNo);
    h.sandbox.faults.set({ duplicateNotifications: 20, duplicateConcurrently: true });

    const delivered = paymentNotification(h, order.orderNo, 'delivered', 21);
    h.sandbox.pay({ ...params, openid: shopper.openid });
    const record = await delivered;

    expect(record.attempts).toHaveLength(21);
    expect(record.attempts.every((a) => a.status === 204)).toBe(true);
    expect(await settledEvents(order.orderNo)).toHaveLength(1);
    expect((await eventsOf(h, order.orderNo)).filter((e) => e.type === 'NOTIFY_DUPLICATE')).toHaveLength(20);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PAID', version: 2 });
    expect(await h.bff.ctx.prisma.processedNotification.count({ where: { id: record.id } })).toBe(1);
  });

  /** The same signed notification, as WeChat's load balancer would spread it, 20 times across this BFF and another. */
  async function sameNotificationToBoth(otherUrl: string) {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    const n = signedNotification(h, successResource(h, order, shopper.openid));
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postNotification(i % 2 ? otherUrl : h.bff.url, n)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(204));
    expect(await settledEvents(order.orderNo)).toHaveLength(1);
    return order;
  }

  it('settles once when two BFF processes on one database receive the same notification concurrently', async () => {
    const other = await h.startAnotherBff();
    const order = await sameNotificationToBoth(other.url);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PAID' });
  });

  it('settles once when a separate BFF OS process and this one receive the same notification concurrently', async () => {
    const other = await startBffProcess(h.env);
    try {
      const order = await sameNotificationToBoth(other.url);
      expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PAID', version: 2 });
    } finally {
      await other.stop();
    }
  });

  it('settles once when distinct notifications and queries for one payment race across processes', async () => {
    const other = await h.startAnotherBff();
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    const resource = successResource(h, order, shopper.openid);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        postNotification(i % 2 ? other.url : h.bff.url, signedNotification(h, resource)),
      ),
    );
    expect(
      answers.map((a) => a.status),
      JSON.stringify(h.logs.filter((l) => (l.level as number) >= 50).slice(-3)),
    ).toEqual(Array(10).fill(204));
    expect(await settledEvents(order.orderNo)).toHaveLength(1);
    expect((await orderRow(h, order.orderNo)).transactionId).toBe(resource.transaction_id);
  });

  describe('a notification that does not verify is refused with 401 and changes nothing', () => {
    let order: { orderNo: string; totalFen: number };
    let openid: string;
    beforeAll(async () => {
      const shopper = await h.shopper();
      openid = shopper.openid;
      order = await placeOrder(h, shopper);
      await requestPayment(shopper, order.orderNo);
    });

    const expectUnchanged = async () => {
      const row = await orderRow(h, order.orderNo);
      expect(row).toMatchObject({ status: 'PENDING_PAYMENT', transactionId: null, version: 1 });
      expect((await eventsOf(h, order.orderNo)).map((e) => e.type)).toEqual([
        'ORDER_CREATED',
        'PREPAY_REQUESTED',
        'PREPAY_CREATED',
      ]);
    };

    it('a tampered body', async () => {
      const n = signedNotification(h, successResource(h, order, openid));
      const tampered = { ...n, body: n.body.replace('"summary":"支付成功"', '"summary":"支付成功 "') };
      expect(tampered.body).not.toBe(n.body);
      const res = await postNotification(h.bff.url, tampered);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'FAIL', error: { code: 'NOTIFICATION_SIGNATURE_INVALID' } });
      await expectUnchanged();
    });

    it('a replayed notification whose timestamp is more than 5 minutes old', async () => {
      const stale = signedNotification(h, successResource(h, order, openid), {
        timestamp: Math.floor(Date.now() / 1000) - 301,
      });
      const res = await postNotification(h.bff.url, stale);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'FAIL', message: expect.stringMatching(/5 minutes/) });
      await expectUnchanged();
    });

    it('a signature under an unknown Wechatpay-Serial', async () => {
      const res = await postNotification(
        h.bff.url,
        signedNotification(h, successResource(h, order, openid), { serial: 'PUB_KEY_ID_0000000000000000000000000000' }),
      );
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'FAIL' });
      await expectUnchanged();
    });

    it('a signature from the sandbox fault that corrupts it', async () => {
      const shopper = await h.shopper();
      const other = await placeOrder(h, shopper);
      const params = await requestPayment(shopper, other.orderNo);
      h.sandbox.faults.set({ corruptNotificationSignatures: 1 });
      const delivered = paymentNotification(h, other.orderNo);
      h.sandbox.pay({ ...params, openid: shopper.openid });
      const record = await delivered; // WeChat retries: the second attempt carries a good signature
      expect(record.attempts.map((a) => a.status)).toEqual([401, 204]);
      expect(await settledEvents(other.orderNo)).toHaveLength(1);
      await expectUnchanged();
    });

    it('while the same notification, correctly signed and fresh, is accepted (the control)', async () => {
      const res = await postNotification(h.bff.url, signedNotification(h, successResource(h, order, openid)));
      expect(res.status).toBe(204);
      expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PAID' });
    });
  });

  it('does not settle a genuine notification whose amount differs from the order, and logs it as an error', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    const resource = successResource(h, order, shopper.openid, {
      amount: { total: order.totalFen - 1, payer_total: order.totalFen - 1, currency: 'CNY', payer_currency: 'CNY' },
    });
    const res = await postNotification(h.bff.url, signedNotification(h, resource));
    expect(res.status).toBe(204); // handled: a signed report never changes on redelivery

    expect(await orderRow(h, order.orderNo)).toMatchObject({
      status: 'PENDING_PAYMENT',
      transactionId: null,
      paidAt: null,
    });
    const mismatch = (await eventsOf(h, order.orderNo)).find((e) => e.type === 'PAYMENT_MISMATCH');
    expect(mismatch?.payload).toMatchObject({
      amountTotal: order.totalFen - 1,
      orderTotalFen: order.totalFen,
      source: 'notify',
    });
    expect(
      h.logs.some((l) => l.level === 50 && l.orderNo === order.orderNo && String(l.reason).includes('amount.total')),
    ).toBe(true);
  });

  it('does not settle a notification for another merchant or app', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    for (const overrides of [{ mchid: '1900000001' }, { appid: 'wx0000000000000000' }]) {
      const res = await postNotification(
        h.bff.url,
        signedNotification(h, successResource(h, order, shopper.openid, overrides)),
      );
      expect(res.status).toBe(204);
    }
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PENDING_PAYMENT' });
    expect((await eventsOf(h, order.orderNo)).filter((e) => e.type === 'PAYMENT_MISMATCH')).toHaveLength(2);
  });

  it('answers 500 with FAIL when it cannot store the notification, so WeChat delivers it again', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    await requestPayment(shopper, order.orderNo);
    const n = signedNotification(h, successResource(h, order, shopper.openid));
    // the database connection fails for this one request (Prisma and plain SQL share the pool)
    const driver = dbDriver(h.bff.ctx.db);
    if (driver.kind !== 'postgres') throw new Error('this test runs on PostgreSQL');
    const realConnect = driver.pool.connect.bind(driver.pool);
    // pg's pool.query() calls connect() with a callback; a checkout awaits its promise
    (driver.pool as { connect: unknown }).connect = (cb?: (err: Error) => void) => {
      const err = new Error('connection terminated');
      if (!cb) return Promise.reject(err);
      setImmediate(() => cb(err));
    };
    try {
      const res = await postNotification(h.bff.url, n);
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ code: 'FAIL' });
    } finally {
      (driver.pool as { connect: unknown }).connect = realConnect;
    }
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PENDING_PAYMENT' });
    // the redelivery is processed as new, not taken for a duplicate
    expect((await postNotification(h.bff.url, n)).status).toBe(204);
    expect(await orderRow(h, order.orderNo)).toMatchObject({ status: 'PAID' });
  });
});
