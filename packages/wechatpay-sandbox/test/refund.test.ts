import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, decryptNotificationResource, signRequestPayment, type Sandbox } from '../src/index.js';
import { jsapiBody, merchantClient, notifyReceiver, orderNo, sandboxStateDir } from './helpers.js';

let sandbox: Sandbox;
let call: ReturnType<typeof merchantClient>;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;

beforeAll(async () => {
  // WeChat's one minute between partial refunds of one order is 60 ms at this scale, which these
  // back-to-back refunds would hit; that rule is strict.test.ts's subject
  sandbox = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001, refundIntervalMs: 0 });
  call = merchantClient(sandbox);
  receiver = await notifyReceiver(() => 200);
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});
afterEach(() => {
  sandbox.faults.reset();
});

async function paidOrder(total = 1230, s: Sandbox = sandbox, c = call) {
  const body = jsapiBody(s, { amount: { total, currency: 'CNY' }, notify_url: receiver.url });
  const { body: pre } = await c<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
  const { transaction } = s.pay({
    ...signRequestPayment({ appId: s.credentials.appid, prepayId: pre.prepay_id }, s.credentials.merchantPrivateKeyPem),
    openid: body.payer.openid,
  });
  return { outTradeNo: body.out_trade_no, transactionId: String(transaction.transaction_id), total };
}

const refundNotifyUrl = () => receiver.url.replace('/transaction', '/refund');
const refundReq = (
  o: { outTradeNo?: string; transactionId?: string },
  refund: number,
  total: number,
  extra: Record<string, unknown> = {},
) => ({
  ...(o.outTradeNo ? { out_trade_no: o.outTradeNo } : {}),
  ...(o.transactionId ? { transaction_id: o.transactionId } : {}),
  out_refund_no: orderNo('R'),
  reason: '商品已售完',
  notify_url: refundNotifyUrl(),
  amount: { refund, total, currency: 'CNY' },
  ...extra,
});

describe('POST /v3/refund/domestic/refunds', () => {
  it('accepts a partial refund as PROCESSING, settles it, notifies REFUND.SUCCESS and marks the order REFUND', async () => {
    const order = await paidOrder();
    const req = refundReq({ outTradeNo: order.outTradeNo }, 300, 1230);
    const res = await call('POST', '/v3/refund/domestic/refunds', req);
    expect(res.status).toBe(200);
    expect(res.signatureValid).toBe(true);
    expect(res.body).toMatchObject({
      out_refund_no: req.out_refund_no,
      transaction_id: order.transactionId,
      out_trade_no: order.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      status: 'PROCESSING',
      funds_account: 'AVAILABLE',
      amount: {
        total: 1230,
        refund: 300,
        payer_total: 1230,
        payer_refund: 300,
        settlement_refund: 300,
        settlement_total: 1230,
        discount_refund: 0,
        currency: 'CNY',
        refund_fee: 0,
        from: [],
      },
      promotion_detail: [],
    });
    expect(res.body.refund_id).toMatch(/^50\d{27}$/);
    expect(res.body.create_time).toMatch(/\+08:00$/);
    expect(res.body.success_time).toBeUndefined();

    const n = await sandbox.waitForNotification((x) => x.outRefundNo === req.out_refund_no && x.state === 'delivered');
    expect(n.eventType).toBe('REFUND.SUCCESS');
    expect(n.summary).toBe('退款成功');
    expect(n.notifyUrl).toBe(refundNotifyUrl());
    const envelope = JSON.parse(n.body);
    expect(envelope.resource).toMatchObject({
      original_type: 'refund',
      associated_data: 'refund',
      algorithm: 'AEAD_AES_256_GCM',
    });
    const resource = decryptNotificationResource(envelope.resource, sandbox.credentials.apiV3Key);
    expect(resource).toMatchObject({
      mchid: sandbox.credentials.mchid,
      out_trade_no: order.outTradeNo,
      transaction_id: order.transactionId,
      out_refund_no: req.out_refund_no,
      refund_id: res.body.refund_id,
      refund_status: 'SUCCESS',
      user_received_account: '支付用户零钱',
      amount: { total: 1230, refund: 300, payer_total: 1230, payer_refund: 300 },
    });
    expect(resource.success_time).toMatch(/\+08:00$/);

    const q = await call('GET', `/v3/refund/domestic/refunds/${req.out_refund_no}`);
    expect(q.status).toBe(200);
    expect(q.signatureValid).toBe(true);
    expect(q.body.status).toBe('SUCCESS');
    expect(q.body.success_time).toBe(resource.success_time);
    const t = await call(
      'GET',
      `/v3/pay/transactions/out-trade-no/${order.outTradeNo}?mchid=${sandbox.credentials.mchid}`,
    );
    expect(t.body.trade_state).toBe('REFUND');
    expect(t.body.trade_state_desc).toBe('转入退款');
  });

  it('refunds by transaction_id, up to what remains, and refuses more: 400 INVALID_REQUEST', async () => {
    const order = await paidOrder(1000);
    expect(
      (await call('POST', '/v3/refund/domestic/refunds', refundReq({ transactionId: order.transactionId }, 600, 1000)))
        .status,
    ).toBe(200);
    const over = await call(
      'POST',
      '/v3/refund/domestic/refunds',
      refundReq({ transactionId: order.transactionId }, 401, 1000),
    );
    expect(over.status).toBe(400);
    expect(over.body.code).toBe('INVALID_REQUEST');
    expect(String(over.body.message)).toContain('可退金额');
    expect(
      (await call('POST', '/v3/refund/domestic/refunds', refundReq({ transactionId: order.transactionId }, 400, 1000)))
        .status,
    ).toBe(200);
    expect(
      (await call('POST', '/v3/refund/domestic/refunds', refundReq({ transactionId: order.transactionId }, 1, 1000)))
        .status,
    ).toBe(400);
  });

  it('never refunds more than was paid under concurrent requests', async () => {
    const order = await paidOrder(1000);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('POST', '/v3/refund/domestic/refunds', refundReq({ outTradeNo: order.outTradeNo }, 400, 1000)),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.filter((r) => r.status === 400 && r.body.code === 'INVALID_REQUEST')).toHaveLength(3);
  });

  it('is idempotent by out_refund_no; the same number with another amount is refused', async () => {
    const order = await paidOrder();
    const req = refundReq({ outTradeNo: order.outTradeNo }, 100, 1230);
    const a = await call('POST', '/v3/refund/domestic/refunds', req);
    const b = await call('POST', '/v3/refund/domestic/refunds', req);
    expect(b.status).toBe(200);
    expect(b.body.refund_id).toBe(a.body.refund_id);
    const c = await call('POST', '/v3/refund/domestic/refunds', {
      ...req,
      amount: { refund: 200, total: 1230, currency: 'CNY' },
    });
    expect(c.status).toBe(400);
    expect(c.body.code).toBe('INVALID_REQUEST');
  });

  it('refuses a total that is not the order amount, and an unpaid order', async () => {
    const order = await paidOrder();
    const wrongTotal = await call(
      'POST',
      '/v3/refund/domestic/refunds',
      refundReq({ outTradeNo: order.outTradeNo }, 100, 1231),
    );
    expect(wrongTotal.status).toBe(400);
    expect(wrongTotal.body.code).toBe('INVALID_REQUEST');
    const unpaid = jsapiBody(sandbox);
    await call('POST', '/v3/pay/transactions/jsapi', unpaid);
    const res = await call(
      'POST',
      '/v3/refund/domestic/refunds',
      refundReq({ outTradeNo: unpaid.out_trade_no }, 100, 1230),
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
  });

  it('404 RESOURCE_NOT_EXISTS for an unknown order or refund', async () => {
    const res = await call('POST', '/v3/refund/domestic/refunds', refundReq({ outTradeNo: orderNo() }, 100, 1230));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('RESOURCE_NOT_EXISTS');
    const q = await call('GET', `/v3/refund/domestic/refunds/${orderNo('R')}`);
    expect(q.status).toBe(404);
    expect(q.body.code).toBe('RESOURCE_NOT_EXISTS');
    expect(q.signatureValid).toBe(true);
  });

  it.each([
    [
      'neither transaction_id nor out_trade_no',
      (_o: { outTradeNo: string }) => refundReq({}, 100, 1230),
      '/out_trade_no',
    ],
    [
      'an out_refund_no with a forbidden character',
      (o: { outTradeNo: string }) => refundReq(o, 100, 1230, { out_refund_no: 'R#1' }),
      '/out_refund_no',
    ],
    [
      'an out_refund_no over 64 characters',
      (o: { outTradeNo: string }) => refundReq(o, 100, 1230, { out_refund_no: 'R'.repeat(65) }),
      '/out_refund_no',
    ],
    ['a refund of 0 fen', (o: { outTradeNo: string }) => refundReq(o, 0, 1230), '/amount/refund'],
    [
      'no currency',
      (o: { outTradeNo: string }) => refundReq(o, 100, 1230, { amount: { refund: 100, total: 1230 } }),
      '/amount/currency',
    ],
    [
      'a reason over 80 characters',
      (o: { outTradeNo: string }) => refundReq(o, 100, 1230, { reason: '退'.repeat(81) }),
      '/reason',
    ],
    [
      'a plain-http public notify_url',
      (o: { outTradeNo: string }) => refundReq(o, 100, 1230, { notify_url: 'http://merchant.example.com/r' }),
      '/notify_url',
    ],
    [
      'an unknown funds_account',
      (o: { outTradeNo: string }) => refundReq(o, 100, 1230, { funds_account: 'BASIC' }),
      '/funds_account',
    ],
  ])('400 PARAM_ERROR for %s', async (_n, build, field) => {
    const order = await paidOrder();
    const res = await call('POST', '/v3/refund/domestic/refunds', build(order));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARAM_ERROR');
    expect((res.body.detail as { field: string }).field).toBe(field);
  });

  it('403 NOT_ENOUGH while the merchant balance cannot cover refunds', async () => {
    const order = await paidOrder();
    sandbox.faults.set({ refundBalanceInsufficient: true });
    const res = await call(
      'POST',
      '/v3/refund/domestic/refunds',
      refundReq({ outTradeNo: order.outTradeNo }, 100, 1230),
    );
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ code: 'NOT_ENOUGH', message: '基本账户余额不足，请充值后重新发起' });
  });

  it('notifies REFUND.ABNORMAL and REFUND.CLOSED; a closed refund gives the amount back', async () => {
    const order = await paidOrder(500);
    sandbox.faults.set({ refundOutcomes: ['CLOSED', 'ABNORMAL'] });
    const closed = refundReq({ outTradeNo: order.outTradeNo }, 500, 500);
    await call('POST', '/v3/refund/domestic/refunds', closed);
    const n1 = await sandbox.waitForNotification(
      (x) => x.outRefundNo === closed.out_refund_no && x.state === 'delivered',
    );
    expect(n1.eventType).toBe('REFUND.CLOSED');
    expect(n1.summary).toBe('退款关闭');
    expect(n1.resource.refund_status).toBe('CLOSED');
    expect(n1.resource.success_time).toBeUndefined();

    const abnormal = refundReq({ outTradeNo: order.outTradeNo }, 500, 500);
    expect((await call('POST', '/v3/refund/domestic/refunds', abnormal)).status).toBe(200);
    const n2 = await sandbox.waitForNotification(
      (x) => x.outRefundNo === abnormal.out_refund_no && x.state === 'delivered',
    );
    expect(n2.eventType).toBe('REFUND.ABNORMAL');
    expect(n2.summary).toBe('退款异常');
    expect((await call('GET', `/v3/refund/domestic/refunds/${abnormal.out_refund_no}`)).body.status).toBe('ABNORMAL');
  });

  it('stays PROCESSING for the refund delay times timeScale', async () => {
    const slow = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 2, refundDelayMs: 100 });
    try {
      const c = merchantClient(slow);
      const order = await paidOrder(800, slow, c);
      const req = refundReq({ outTradeNo: order.outTradeNo }, 800, 800);
      const created = await c('POST', '/v3/refund/domestic/refunds', req);
      expect(created.body.status).toBe('PROCESSING');
      expect((await c('GET', `/v3/refund/domestic/refunds/${req.out_refund_no}`)).body.status).toBe('PROCESSING');
      const n = await slow.waitForNotification((x) => x.outRefundNo === req.out_refund_no && x.attempts.length > 0);
      expect(n.attempts[0]!.offsetMs).toBeGreaterThanOrEqual(0);
      expect(
        n.createdAt -
          slow.state
            .notifications()
            .find((x) => x.outTradeNo === order.outTradeNo && x.eventType === 'TRANSACTION.SUCCESS')!.createdAt,
      ).toBeGreaterThanOrEqual(195);
      expect((await c('GET', `/v3/refund/domestic/refunds/${req.out_refund_no}`)).body.status).toBe('SUCCESS');
    } finally {
      await slow.close();
    }
  });
});
