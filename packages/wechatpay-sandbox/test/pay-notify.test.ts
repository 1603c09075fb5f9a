import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildResponseSignString,
  createSandbox,
  decryptNotificationResource,
  NOTIFY_RETRY_SCHEDULE_MS,
  signRequestPayment,
  verifySha256Rsa,
  type Sandbox,
} from '../src/index.js';
import { jsapiBody, merchantClient, notifyReceiver, type Received, sandboxStateDir } from './helpers.js';

let sandbox: Sandbox;
let call: ReturnType<typeof merchantClient>;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;
let answer: (r: Received, i: number) => number | Promise<number> = () => 204;

beforeAll(async () => {
  sandbox = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001, notifyTimeoutMs: 300 });
  call = merchantClient(sandbox);
  receiver = await notifyReceiver((r, i) => answer(r, i));
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});
afterEach(() => {
  sandbox.faults.reset();
  answer = () => 204;
  vi.useRealTimers();
});

const OPENID = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

async function prepay(overrides: Record<string, unknown> = {}) {
  const body = jsapiBody(sandbox, { notify_url: receiver.url, payer: { openid: OPENID }, ...overrides });
  const res = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
  expect(res.status).toBe(200);
  return { body, prepayId: res.body.prepay_id };
}

function payParams(prepayId: string, openid = OPENID) {
  return {
    ...signRequestPayment({ appId: sandbox.credentials.appid, prepayId }, sandbox.credentials.merchantPrivateKeyPem),
    openid,
  };
}

async function postPay(params: Record<string, unknown>) {
  const res = await fetch(`${sandbox.url}/sandbox/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function verifyNotification(r: Received): boolean {
  const h = r.headers;
  return (
    h['wechatpay-serial'] === sandbox.credentials.wechatpayPublicKeyId &&
    verifySha256Rsa(
      buildResponseSignString(String(h['wechatpay-timestamp']), String(h['wechatpay-nonce']), r.body),
      String(h['wechatpay-signature']),
      sandbox.credentials.wechatpayPublicKeyPem,
    )
  );
}

const byOrder = (outTradeNo: string) =>
  receiver.received.filter((r) => r.body.includes('"id"') && decrypt(r).out_trade_no === outTradeNo);
function decrypt(r: Received) {
  const n = JSON.parse(r.body) as { resource: { ciphertext: string; nonce: string; associated_data: string } };
  return decryptNotificationResource<Record<string, unknown>>(n.resource, sandbox.credentials.apiV3Key);
}

describe('POST /sandbox/pay and TRANSACTION.SUCCESS', () => {
  it('settles a verified payment, answers it on both queries and notifies with a signed, encrypted body', async () => {
    const { body, prepayId } = await prepay({ attach: 'cart=7' });
    const paid = await postPay(payParams(prepayId));
    expect(paid.status).toBe(200);
    expect(paid.body.result).toBe('SUCCESS');
    const tx = paid.body.transaction as Record<string, unknown>;
    expect(tx).toMatchObject({
      appid: body.appid,
      mchid: body.mchid,
      out_trade_no: body.out_trade_no,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      attach: 'cart=7',
      payer: { openid: OPENID },
      amount: { total: 1230, payer_total: 1230, currency: 'CNY', payer_currency: 'CNY' },
    });
    expect(tx.transaction_id).toMatch(/^4200\d{24}$/);
    expect(tx.success_time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);

    const byNo = await call('GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${body.mchid}`);
    const byId = await call('GET', `/v3/pay/transactions/id/${String(tx.transaction_id)}?mchid=${body.mchid}`);
    expect(byNo.body).toEqual(tx);
    expect(byId.body).toEqual(tx);

    const n = await sandbox.waitForNotification((x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered');
    expect(n.attempts).toHaveLength(1);
    expect(n.attempts[0]!.status).toBe(204);
    const [received] = byOrder(body.out_trade_no);
    expect(received).toBeDefined();
    expect(verifyNotification(received!)).toBe(true);
    expect(received!.headers['content-type']).toBe('application/json');
    expect(received!.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    const envelope = JSON.parse(received!.body);
    expect(Object.keys(envelope).sort()).toEqual([
      'create_time',
      'event_type',
      'id',
      'resource',
      'resource_type',
      'summary',
    ]);
    expect(envelope).toMatchObject({
      event_type: 'TRANSACTION.SUCCESS',
      resource_type: 'encrypt-resource',
      summary: '支付成功',
    });
    expect(envelope.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(envelope.resource).toMatchObject({
      algorithm: 'AEAD_AES_256_GCM',
      original_type: 'transaction',
      associated_data: 'transaction',
    });
    expect(envelope.resource.nonce).toMatch(/^[A-Za-z0-9]{12}$/);
    expect(decrypt(received!)).toEqual(tx);
  });

  it('refuses a paySign that does not verify with the merchant key, and changes nothing', async () => {
    const { body, prepayId } = await prepay();
    const params = payParams(prepayId);
    const res = await postPay({ ...params, timeStamp: String(Number(params.timeStamp) + 1) });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PAY_SIGN_INVALID');
    const q = await call('GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${body.mchid}`);
    expect(q.body.trade_state).toBe('NOTPAY');
  });

  it('refuses another payer, an unknown prepay_id, a paid and a closed order', async () => {
    const { body, prepayId } = await prepay();
    expect((await postPay(payParams(prepayId, 'oSomeoneElse'))).body.code).toBe('OPENID_MISMATCH');
    expect((await postPay(payParams('wx20261127000000aaaaaaaaaaaaaaaaaaaa'))).body.code).toBe('PREPAY_NOT_FOUND');
    expect((await postPay(payParams(prepayId))).status).toBe(200);
    const twice = await postPay(payParams(prepayId));
    expect(twice.status).toBe(400);
    expect(twice.body.code).toBe('ORDERPAID');

    const close = await call('POST', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}/close`, {
      mchid: body.mchid,
    });
    expect(close.status).toBe(400);
    expect(close.body.code).toBe('ORDERPAID');
    expect(close.signatureValid).toBe(true);
    const again = await call('POST', '/v3/pay/transactions/jsapi', body);
    expect(again.body.code).toBe('ORDERPAID');

    const other = await prepay();
    await call('POST', `/v3/pay/transactions/out-trade-no/${other.body.out_trade_no}/close`, {
      mchid: other.body.mchid,
    });
    expect((await postPay(payParams(other.prepayId))).body.code).toBe('ORDER_CLOSED');
  });

  it('refuses malformed requestPayment parameters with PARAM_ERROR', async () => {
    const { prepayId } = await prepay();
    const res = await postPay({ ...payParams(prepayId), signType: 'MD5' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARAM_ERROR');
    expect((await postPay({ ...payParams(prepayId), appId: 'wx0000000000000000' })).body.code).toBe('APPID_MISMATCH');
  });

  it('a prepay_id expires after 2 hours; prepaying again gives a new one that pays', async () => {
    const { body, prepayId } = await prepay();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 2 * 3600_000 + 1000);
    expect((await postPay(payParams(prepayId))).body.code).toBe('PREPAY_EXPIRED');
    const renewed = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
    expect(renewed.body.prepay_id).not.toBe(prepayId);
    expect((await postPay(payParams(renewed.body.prepay_id))).body.result).toBe('SUCCESS');
  });

  it('an order past its time_expire cannot be paid', async () => {
    const deadline = new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const { prepayId } = await prepay({ time_expire: deadline });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 61_000);
    expect((await postPay(payParams(prepayId))).body.code).toBe('ORDER_EXPIRED');
  });

  it('a failed payment (PAYERROR) is queryable and sends no notification', async () => {
    const { body, prepayId } = await prepay();
    const res = await postPay({ ...payParams(prepayId), outcome: 'PAYERROR' });
    expect(res.body.result).toBe('PAYERROR');
    const q = await call('GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${body.mchid}`);
    expect(q.body.trade_state).toBe('PAYERROR');
    expect(q.body.transaction_id).toBeUndefined();
    expect(sandbox.state.notifications().some((n) => n.outTradeNo === body.out_trade_no)).toBe(false);
  });

  it('answers CORS preflights for /sandbox/*', async () => {
    const res = await fetch(`${sandbox.url}/sandbox/pay`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://127.0.0.1:5173',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('notification retries', () => {
  it('retries until the merchant answers 2xx, then stops', async () => {
    const { body, prepayId } = await prepay();
    let failures = 2;
    answer = (r) => (decrypt(r).out_trade_no === body.out_trade_no && failures-- > 0 ? 500 : 204);
    await postPay(payParams(prepayId));
    const n = await sandbox.waitForNotification((x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered');
    expect(n.attempts.map((a) => a.status)).toEqual([500, 500, 204]);
    expect(n.attempts[0]!.answer).toContain('FAIL');
  });

  it('treats no answer within the attempt timeout as a failure', async () => {
    let first = true;
    answer = () => {
      if (!first) return 200;
      first = false;
      return 0;
    };
    const { body, prepayId } = await prepay();
    await postPay(payParams(prepayId));
    const n = await sandbox.waitForNotification((x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered');
    expect(n.attempts[0]!.error).toBe('no answer within 300 ms');
    expect(n.attempts[1]!.status).toBe(200);
  });

  it("follows WeChat Pay's schedule (15s/15s/30s/3m/…/6h), scaled, and gives up after 16 attempts", async () => {
    const scale = 0.00005;
    const fast = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: scale });
    const failingReceiver = await notifyReceiver(() => 503);
    try {
      const c = merchantClient(fast);
      const body = jsapiBody(fast, { notify_url: failingReceiver.url });
      const { body: pre } = await c<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
      fast.pay({
        ...signRequestPayment(
          { appId: fast.credentials.appid, prepayId: pre.prepay_id },
          fast.credentials.merchantPrivateKeyPem,
        ),
        openid: body.payer.openid,
      });
      const n = await fast.waitForNotification((x) => x.state === 'failed', 30_000);
      expect(n.attempts).toHaveLength(16);
      expect(failingReceiver.received).toHaveLength(16);
      const starts = n.attempts.map((a) => Date.parse(a.at));
      const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
      expect(NOTIFY_RETRY_SCHEDULE_MS.map((ms) => ms / 60_000)).toEqual([
        0.25, 0.25, 0.5, 3, 10, 20, 30, 30, 30, 60, 180, 180, 180, 360, 360,
      ]);
      gaps.forEach((gap, i) => {
        const expected = NOTIFY_RETRY_SCHEDULE_MS[i]! * scale;
        expect(gap, `gap ${i + 1}`).toBeGreaterThanOrEqual(Math.floor(expected));
        expect(gap, `gap ${i + 1}`).toBeLessThan(expected + 150);
      });
      // Every attempt carries the same notification, freshly signed.
      expect(new Set(failingReceiver.received.map((r) => r.body)).size).toBe(1);
      expect(new Set(failingReceiver.received.map((r) => r.headers['wechatpay-nonce'])).size).toBe(16);
    } finally {
      await fast.close();
      await failingReceiver.close();
    }
  }, 30_000);
});

describe('faults', () => {
  it('drops the next N notifications: never delivered, never retried', async () => {
    sandbox.faults.set({ dropNotifications: 1 });
    const lost = await prepay();
    const kept = await prepay();
    await postPay(payParams(lost.prepayId));
    await postPay(payParams(kept.prepayId));
    const dropped = await sandbox.waitForNotification((x) => x.outTradeNo === lost.body.out_trade_no);
    expect(dropped.state).toBe('dropped');
    await sandbox.waitForNotification((x) => x.outTradeNo === kept.body.out_trade_no && x.state === 'delivered');
    expect(byOrder(lost.body.out_trade_no)).toHaveLength(0);
    expect(byOrder(kept.body.out_trade_no)).toHaveLength(1);
    expect(sandbox.faults.get().dropNotifications).toBe(0);
    // The order is paid all the same: a merchant must find out by querying.
    const q = await call('GET', `/v3/pay/transactions/out-trade-no/${lost.body.out_trade_no}?mchid=${lost.body.mchid}`);
    expect(q.body.trade_state).toBe('SUCCESS');
  });

  it('duplicates each notification K times, one after another', async () => {
    sandbox.faults.set({ duplicateNotifications: 2 });
    const { body, prepayId } = await prepay();
    await postPay(payParams(prepayId));
    const n = await sandbox.waitForNotification(
      (x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered' && x.attempts.length === 3,
    );
    expect(n.attempts.map((a) => a.copy)).toEqual(['original', 'duplicate #1', 'duplicate #2']);
    const got = byOrder(body.out_trade_no);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => JSON.parse(r.body).id)).size).toBe(1);
    expect(got.every(verifyNotification)).toBe(true);
  });

  it('duplicates concurrently: all copies are in flight at once', async () => {
    sandbox.faults.set({ duplicateNotifications: 4, duplicateConcurrently: true });
    const { body, prepayId } = await prepay();
    const before = receiver.received.length;
    // Hold every answer until all five copies have arrived: only concurrent delivery can get there.
    answer = async () => {
      await receiver.waitFor(before + 5);
      return 204;
    };
    await postPay(payParams(prepayId));
    const n = await sandbox.waitForNotification(
      (x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered' && x.attempts.length === 5,
    );
    expect(n.attempts.every((a) => a.status === 204)).toBe(true);
    expect(byOrder(body.out_trade_no)).toHaveLength(5);
  });

  it('delays notifications by the configured ms', async () => {
    sandbox.faults.set({ notificationDelayMs: 200 });
    const { body, prepayId } = await prepay();
    await postPay(payParams(prepayId));
    const n = await sandbox.waitForNotification((x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered');
    expect(n.attempts[0]!.offsetMs).toBeGreaterThanOrEqual(199);
  });

  it('delivers out of order: held until the window fills, then newest first', async () => {
    sandbox.faults.set({ reorderNotifications: 2 });
    const a = await prepay();
    const b = await prepay();
    await postPay(payParams(a.prepayId));
    expect(sandbox.state.notifications().find((x) => x.outTradeNo === a.body.out_trade_no)!.state).toBe('queued');
    await postPay(payParams(b.prepayId));
    await sandbox.waitForNotification((x) => x.outTradeNo === a.body.out_trade_no && x.state === 'delivered');
    await sandbox.waitForNotification((x) => x.outTradeNo === b.body.out_trade_no && x.state === 'delivered');
    const order = receiver.received
      .map((r) => decrypt(r).out_trade_no)
      .filter((o) => o === a.body.out_trade_no || o === b.body.out_trade_no);
    expect(order).toEqual([b.body.out_trade_no, a.body.out_trade_no]);
  });

  it('releases held notifications on flushHeldNotifications()', async () => {
    sandbox.faults.set({ reorderNotifications: 10 });
    const a = await prepay();
    await postPay(payParams(a.prepayId));
    expect(sandbox.state.notifications().find((x) => x.outTradeNo === a.body.out_trade_no)!.state).toBe('queued');
    sandbox.flushHeldNotifications();
    await sandbox.waitForNotification((x) => x.outTradeNo === a.body.out_trade_no && x.state === 'delivered');
  });

  it('releases held notifications when the out-of-order fault is switched off', async () => {
    sandbox.faults.set({ reorderNotifications: 5 });
    const a = await prepay();
    await postPay(payParams(a.prepayId));
    sandbox.faults.set({ reorderNotifications: 0 });
    await sandbox.waitForNotification((x) => x.outTradeNo === a.body.out_trade_no && x.state === 'delivered');
  });

  it('corrupts the next notification signature; a merchant that rejects it gets a valid retry', async () => {
    sandbox.faults.set({ corruptNotificationSignatures: 1 });
    answer = (r) => (verifyNotification(r) ? 204 : 401);
    const { body, prepayId } = await prepay();
    await postPay(payParams(prepayId));
    const n = await sandbox.waitForNotification((x) => x.outTradeNo === body.out_trade_no && x.state === 'delivered');
    expect(n.attempts.map((a) => [a.status, a.signatureCorrupted])).toEqual([
      [401, true],
      [204, false],
    ]);
  });

  it('answers the next N API calls with 500 SYSTEM_ERROR, signed', async () => {
    sandbox.faults.set({ failApi: { count: 2, mode: '500' } });
    const body = jsapiBody(sandbox);
    for (let i = 0; i < 2; i++) {
      const res = await call('POST', '/v3/pay/transactions/jsapi', body);
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ code: 'SYSTEM_ERROR', message: '系统异常，请稍后重试' });
      expect(res.signatureValid).toBe(true);
    }
    expect((await call('POST', '/v3/pay/transactions/jsapi', body)).status).toBe(200);
    expect(sandbox.faults.get().failApi).toBeNull();
  });

  it('answers 429 FREQUENCY_LIMITED only under the given path prefix', async () => {
    sandbox.faults.set({ failApi: { count: 1, mode: '429', pathPrefix: '/v3/refund' } });
    expect((await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox))).status).toBe(200);
    const res = await call('GET', '/v3/refund/domestic/refunds/R0001');
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('FREQUENCY_LIMITED');
    expect((await call('GET', '/v3/refund/domestic/refunds/R0001')).status).toBe(404);
  });

  it('lets the next API call time out: the connection hangs, then is cut', async () => {
    sandbox.faults.set({ failApi: { count: 1, mode: 'timeout', timeoutMs: 300 } });
    const started = Date.now();
    await expect(call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox))).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect((await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox))).status).toBe(200);
  });

  it('fails jscode2session the way api.weixin.qq.com does', async () => {
    sandbox.faults.set({ failApi: { count: 1, mode: '500', pathPrefix: '/sns' } });
    const q = new URLSearchParams({
      appid: sandbox.credentials.appid,
      secret: sandbox.credentials.appsecret,
      js_code: 'sandbox:o1',
      grant_type: 'authorization_code',
    });
    const res = await fetch(`${sandbox.url}/sns/jscode2session?${q}`);
    expect(await res.json()).toEqual({ errcode: -1, errmsg: 'system error' });
  });

  it('corrupts the next response signature only', async () => {
    sandbox.faults.set({ corruptResponseSignatures: 1 });
    const bad = await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox));
    expect(bad.status).toBe(200);
    expect(bad.signatureValid).toBe(false);
    expect((await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox))).signatureValid).toBe(true);
  });

  it('is switchable over HTTP: POST merges, GET shows, DELETE resets, bad input is a 400', async () => {
    const post = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dropNotifications: 3, failApi: { count: 1, mode: '429' } }),
    });
    expect(post.status).toBe(200);
    const shown = (await (await fetch(`${sandbox.url}/sandbox/faults`)).json()) as Record<string, unknown>;
    expect(shown).toMatchObject({
      dropNotifications: 3,
      failApi: { count: 1, mode: '429' },
      duplicateNotifications: 0,
    });
    expect(sandbox.faults.get().dropNotifications).toBe(3);
    const bad = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dropNotifications: -1 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('PARAM_ERROR');
    const unknown = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ explode: true }),
    });
    expect(unknown.status).toBe(400);
    const put = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duplicateNotifications: 1 }),
    });
    expect(await put.json()).toMatchObject({ duplicateNotifications: 1, dropNotifications: 0, failApi: null });
    const del = await fetch(`${sandbox.url}/sandbox/faults`, { method: 'DELETE' });
    expect(((await del.json()) as { duplicateNotifications: number }).duplicateNotifications).toBe(0);
    expect(sandbox.faults.get().failApi).toBeNull();
  });
});
