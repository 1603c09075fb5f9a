import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildAuthorization, createSandbox, signRequestPayment, type Sandbox } from '../src/index.js';
import { jsapiBody, merchantClient, notifyReceiver, orderNo, sandboxStateDir } from './helpers.js';

/**
 * Where WeChat is stricter than a lenient emulator would be, or differs from a first guess: each
 * case names the WeChat rule it follows.
 */

let sandbox: Sandbox;
let call: ReturnType<typeof merchantClient>;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;

beforeAll(async () => {
  // timeScale 1e-4: the refund "minute" is 6 ms, the retry after 15 s is 1.5 ms
  sandbox = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 1e-4, refundDelayMs: 50_000 });
  call = merchantClient(sandbox);
  receiver = await notifyReceiver(() => 204);
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

async function paidOrder(overrides: Record<string, unknown> = {}, couponFen?: number) {
  const body = jsapiBody(sandbox, { notify_url: receiver.url, ...overrides });
  const prepay = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
  expect(prepay.status).toBe(200);
  const params = signRequestPayment(
    { appId: sandbox.credentials.appid, prepayId: prepay.body.prepay_id },
    sandbox.credentials.merchantPrivateKeyPem,
  );
  sandbox.pay({ ...params, openid: body.payer.openid, ...(couponFen ? { couponFen } : {}) } as never);
  return body;
}

const refund = (outTradeNo: string, refundFen: number, totalFen: number, extra: Record<string, unknown> = {}) => ({
  out_trade_no: outTradeNo,
  out_refund_no: orderNo('R'),
  amount: { refund: refundFen, total: totalFen, currency: 'CNY' },
  ...extra,
});

describe('HTTP headers (接口规则: Accept and User-Agent are required)', () => {
  async function raw(headers: Record<string, string>) {
    const c = sandbox.credentials;
    const pathAndQuery = `/v3/pay/transactions/out-trade-no/NOPE000001?mchid=${c.mchid}`;
    const res = await fetch(`${sandbox.url}${pathAndQuery}`, {
      headers: {
        ...headers,
        Authorization: buildAuthorization({
          mchid: c.mchid,
          serialNo: c.merchantSerialNo,
          privateKey: c.merchantPrivateKeyPem,
          method: 'GET',
          pathAndQuery,
        }),
      },
    });
    return { status: res.status, body: (await res.json()) as { code: string; message: string } };
  }

  it('refuses a request without User-Agent: 400 INVALID_REQUEST', async () => {
    // fetch sends its own User-Agent unless told otherwise; an empty one is a missing one
    const res = await raw({ Accept: 'application/json', 'User-Agent': '' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
    expect(res.body.message).toContain('User-Agent');
  });

  it('refuses a request whose Accept is not JSON: 400 INVALID_REQUEST', async () => {
    const res = await raw({ Accept: 'text/html', 'User-Agent': 'strict-test' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
    expect(res.body.message).toContain('Accept');
  });

  it('goes on to the order once both are there', async () => {
    expect((await raw({ Accept: 'application/json', 'User-Agent': 'strict-test' })).status).toBe(404);
  });
});

describe('JSAPI下单', () => {
  it.each(['ORDER|000001', 'ORDER 00001', '订单000001', 'SHORT'])('refuses out_trade_no %s', async (no) => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox, { out_trade_no: no }));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARAM_ERROR');
    expect((res.body.detail as { field: string }).field).toBe('/out_trade_no');
  });

  it('accepts digits, letters, _, - and * (6–32)', async () => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox, { out_trade_no: 'Ab_-*9' }));
    expect(res.status).toBe(200);
  });

  it('moves a time_expire less than a minute ahead (or past) to one minute after the order', async () => {
    const body = jsapiBody(sandbox, { time_expire: '2020-01-01T10:00:00+08:00' });
    const prepay = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
    expect(prepay.status).toBe(200);
    const params = signRequestPayment(
      { appId: sandbox.credentials.appid, prepayId: prepay.body.prepay_id },
      sandbox.credentials.merchantPrivateKeyPem,
    );
    const now = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(now + 61_000);
      expect(() => sandbox.pay({ ...params, openid: body.payer.openid })).toThrow(/支付结束时间/);
      vi.setSystemTime(now + 50_000);
      expect(sandbox.pay({ ...params, openid: body.payer.openid }).result).toBe('SUCCESS');
    } finally {
      vi.useRealTimers();
    }
  });

  it('without time_expire, the order can be paid for 7 days', async () => {
    const body = jsapiBody(sandbox);
    expect((await call('POST', '/v3/pay/transactions/jsapi', body)).status).toBe(200);
    const now = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(now + 6 * 86_400_000);
      // the prepay_id (2 h) has long expired: the same parameters give a fresh one while the order is payable
      const renewed = await call('POST', '/v3/pay/transactions/jsapi', body, {
        timestamp: Math.floor(Date.now() / 1000),
      });
      expect(renewed.status).toBe(200);
      vi.setSystemTime(now + 7 * 86_400_000 + 1000);
      const late = await call('POST', '/v3/pay/transactions/jsapi', body, { timestamp: Math.floor(Date.now() / 1000) });
      expect(late.status).toBe(400);
      expect(String(late.body.message)).toContain('time_expire');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('查询订单 carries WeChat fields', () => {
  it('scene_info.device_id and, with a coupon, promotion_detail and a lower payer_total', async () => {
    const order = await paidOrder({ scene_info: { payer_client_ip: '127.0.0.1', device_id: 'POS-01' } }, 230);
    const res = await call('GET', `/v3/pay/transactions/out-trade-no/${order.out_trade_no}?mchid=${order.mchid}`);
    expect(res.body).toMatchObject({
      trade_state: 'SUCCESS',
      scene_info: { device_id: 'POS-01' },
      amount: { total: 1230, payer_total: 1000, currency: 'CNY', payer_currency: 'CNY' },
      promotion_detail: [expect.objectContaining({ amount: 230, scope: 'GLOBAL', type: 'CASH', currency: 'CNY' })],
    });
    const plain = await paidOrder();
    const q = await call('GET', `/v3/pay/transactions/out-trade-no/${plain.out_trade_no}?mchid=${plain.mchid}`);
    expect(q.body.promotion_detail).toBeUndefined();
    expect(q.body.scene_info).toBeUndefined();
  });
});

describe('关闭订单', () => {
  it('an order WeChat never saw: 404 ORDER_NOT_EXIST', async () => {
    const res = await call('POST', `/v3/pay/transactions/out-trade-no/${orderNo('NX')}/close`, {
      mchid: sandbox.credentials.mchid,
    });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ORDER_NOT_EXIST');
  });
});

describe('申请退款 limits', () => {
  it('one partial refund per order per (scaled) minute: 429 FREQUENCY_LIMITED, then accepted', async () => {
    const order = await paidOrder({ amount: { total: 1000, currency: 'CNY' } });
    const t0 = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(t0);
      const first = await call('POST', '/v3/refund/domestic/refunds', refund(order.out_trade_no, 100, 1000));
      expect(first.status).toBe(200);
      vi.setSystemTime(t0 + 5); // 60 s × 1e-4 = 6 ms
      const again = await call('POST', '/v3/refund/domestic/refunds', refund(order.out_trade_no, 100, 1000));
      expect(again.status).toBe(429);
      expect(again.body.code).toBe('FREQUENCY_LIMITED');
      vi.setSystemTime(t0 + 7);
      const later = await call('POST', '/v3/refund/domestic/refunds', refund(order.out_trade_no, 100, 1000));
      expect(later.status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it('at most 50 partial refunds per order', async () => {
    const order = await paidOrder({ amount: { total: 1000, currency: 'CNY' } });
    for (let i = 0; i < 50; i++) {
      const res = await call('POST', '/v3/refund/domestic/refunds', refund(order.out_trade_no, 1, 1000));
      expect(res.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 7));
    }
    const fiftyFirst = await call('POST', '/v3/refund/domestic/refunds', refund(order.out_trade_no, 1, 1000));
    expect(fiftyFirst.status).toBe(400);
    expect(fiftyFirst.body.code).toBe('INVALID_REQUEST');
    expect(String(fiftyFirst.body.message)).toContain('50');
  });

  it('only within a year of the payment', async () => {
    const order = await paidOrder();
    sandbox.backdateTransaction(order.out_trade_no, 366 * 86_400_000);
    const res = await call('POST', '/v3/refund/domestic/refunds', refund(order.out_trade_no, 1230, 1230));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
    expect(String(res.body.message)).toContain('一年');
  });
});

describe('notifications', () => {
  it('a refund without notify_url notifies the refund URL set in the merchant platform', async () => {
    const own = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 1e-4, refundDelayMs: 10 });
    const merchantUrl = await notifyReceiver(() => 200);
    try {
      const c = merchantClient(own);
      const body = jsapiBody(own);
      const prepay = await c<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
      own.pay({
        ...signRequestPayment(
          { appId: own.credentials.appid, prepayId: prepay.body.prepay_id },
          own.credentials.merchantPrivateKeyPem,
        ),
        openid: body.payer.openid,
      });
      const set = await fetch(`${own.url}/sandbox/merchant`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refundNotifyUrl: merchantUrl.url }),
      });
      expect(set.status).toBe(200);
      const r = refund(body.out_trade_no, 1230, 1230);
      expect((await c('POST', '/v3/refund/domestic/refunds', r)).status).toBe(200);
      const n = await own.waitForNotification((x) => x.outRefundNo === r.out_refund_no && x.state === 'delivered');
      expect(n.notifyUrl).toBe(merchantUrl.url);
      expect(merchantUrl.received).toHaveLength(1);
    } finally {
      await own.close();
      await merchantUrl.close();
    }
  });

  it('only 200 and 204 are a delivered notification: a 202 is retried', async () => {
    const own = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 1e-4 });
    const answers = await notifyReceiver((_r, i) => (i === 0 ? 202 : 200));
    try {
      const c = merchantClient(own);
      const body = jsapiBody(own, { notify_url: answers.url });
      const prepay = await c<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
      own.pay({
        ...signRequestPayment(
          { appId: own.credentials.appid, prepayId: prepay.body.prepay_id },
          own.credentials.merchantPrivateKeyPem,
        ),
        openid: body.payer.openid,
      });
      const n = await own.waitForNotification((x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered');
      expect(n.attempts.map((a) => a.status)).toEqual([202, 200]);
    } finally {
      await own.close();
      await answers.close();
    }
  });
});
