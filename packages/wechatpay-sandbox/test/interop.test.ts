import { createHash } from 'node:crypto';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../src/index.js';
import { notifyReceiver, orderNo, type Received, sandboxStateDir } from './helpers.js';

/**
 * An independent implementation agrees with the sandbox: wechatpay-axios-plugin, used exactly as a
 * merchant uses it, signs requests the sandbox accepts and verifies every answer with the WeChat
 * Pay public key (it throws when a signature does not verify); its Rsa/Aes/Formatter helpers
 * verify and decrypt the notifications.
 */

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;
// The plugin's chained client is a dynamic proxy; its typings do not describe the path segments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let wxpay: any;

interface AxiosLikeError {
  response?: { status: number; data: { code?: string } };
  code?: string;
  message: string;
}

beforeAll(async () => {
  sandbox = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001 });
  receiver = await notifyReceiver(() => 204);
  const c = sandbox.credentials;
  wxpay = new Wechatpay({
    mchid: c.mchid,
    serial: c.merchantSerialNo,
    privateKey: c.merchantPrivateKeyPem,
    certs: { [c.wechatpayPublicKeyId]: c.wechatpayPublicKeyPem },
    baseURL: `${sandbox.url}/`,
  } as never);
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

/** Verifies and decrypts a received notification with the plugin's own helpers. */
function openNotification(r: Received) {
  const c = sandbox.credentials;
  const h = r.headers;
  const verified =
    h['wechatpay-serial'] === c.wechatpayPublicKeyId &&
    Rsa.verify(
      Formatter.response(String(h['wechatpay-timestamp']), String(h['wechatpay-nonce']), r.body),
      String(h['wechatpay-signature']),
      c.wechatpayPublicKeyPem,
    );
  const envelope = JSON.parse(r.body) as {
    event_type: string;
    resource: { ciphertext: string; nonce: string; associated_data: string };
  };
  const plaintext = Aes.AesGcm.decrypt(
    envelope.resource.ciphertext,
    c.apiV3Key,
    envelope.resource.nonce,
    envelope.resource.associated_data,
  );
  return { verified, eventType: envelope.event_type, resource: JSON.parse(plaintext) as Record<string, unknown> };
}

async function failure(p: Promise<unknown>): Promise<AxiosLikeError> {
  try {
    await p;
  } catch (err) {
    return err as AxiosLikeError;
  }
  throw new Error('expected the call to fail');
}

describe('wechatpay-axios-plugin as the merchant client', () => {
  it('runs the whole loop: prepay, pay, notification, queries, refund, refund notification', async () => {
    const c = sandbox.credentials;
    const outTradeNo = orderNo('AX');
    const { data: prepay, status } = await wxpay.v3.pay.transactions.jsapi.post({
      appid: c.appid,
      mchid: c.mchid,
      description: 'interop 测试',
      out_trade_no: outTradeNo,
      notify_url: receiver.url,
      amount: { total: 2599, currency: 'CNY' },
      payer: { openid: 'oInterop01' },
    });
    expect(status).toBe(200);
    expect(prepay.prepay_id).toMatch(/^wx/);

    // The paySign as the plugin's README builds it for wx.requestPayment.
    const timeStamp = String(Formatter.timestamp());
    const nonceStr = Formatter.nonce();
    const pkg = `prepay_id=${prepay.prepay_id}`;
    const paySign = Rsa.sign(Formatter.joinedByLineFeed(c.appid, timeStamp, nonceStr, pkg), c.merchantPrivateKeyPem);
    const paid = await fetch(`${sandbox.url}/sandbox/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        appId: c.appid,
        timeStamp,
        nonceStr,
        package: pkg,
        signType: 'RSA',
        paySign,
        openid: 'oInterop01',
      }),
    });
    expect(paid.status).toBe(200);

    await sandbox.waitForNotification((n) => n.outTradeNo === outTradeNo && n.state === 'delivered');
    const received = receiver.received.find((r) => openNotification(r).resource.out_trade_no === outTradeNo)!;
    const opened = openNotification(received);
    expect(opened.verified).toBe(true);
    expect(opened.eventType).toBe('TRANSACTION.SUCCESS');
    expect(opened.resource).toMatchObject({ trade_state: 'SUCCESS', amount: { total: 2599, payer_total: 2599 } });

    const { data: byNo } = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({
      params: { mchid: c.mchid },
      out_trade_no: outTradeNo,
    });
    expect(byNo).toEqual(opened.resource);
    const { data: byId } = await wxpay.v3.pay.transactions.id._transaction_id_.get({
      params: { mchid: c.mchid },
      transaction_id: byNo.transaction_id,
    });
    expect(byId).toEqual(byNo);

    const outRefundNo = orderNo('RAX');
    const { data: refund } = await wxpay.v3.refund.domestic.refunds.post({
      out_trade_no: outTradeNo,
      out_refund_no: outRefundNo,
      reason: '商品已售完',
      notify_url: receiver.url,
      amount: { refund: 599, total: 2599, currency: 'CNY' },
    });
    expect(refund.status).toBe('PROCESSING');
    await sandbox.waitForNotification((n) => n.outRefundNo === outRefundNo && n.state === 'delivered');
    const refundNote = receiver.received.map(openNotification).find((n) => n.resource.out_refund_no === outRefundNo)!;
    expect(refundNote.verified).toBe(true);
    expect(refundNote.eventType).toBe('REFUND.SUCCESS');
    const { data: refundQuery } = await wxpay.v3.refund.domestic.refunds._out_refund_no_.get({
      out_refund_no: outRefundNo,
    });
    expect(refundQuery).toMatchObject({ status: 'SUCCESS', refund_id: refundNote.resource.refund_id });
  });

  it('closes an order: 204, verified', async () => {
    const c = sandbox.credentials;
    const outTradeNo = orderNo('AXC');
    await wxpay.v3.pay.transactions.jsapi.post({
      appid: c.appid,
      mchid: c.mchid,
      description: 'close me',
      out_trade_no: outTradeNo,
      notify_url: receiver.url,
      amount: { total: 1 },
      payer: { openid: 'oInterop02' },
    });
    const res = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.close.post(
      { mchid: c.mchid },
      { out_trade_no: outTradeNo },
    );
    expect(res.status).toBe(204);
  });

  it('downloads the trade bill; the plugin parses it and its SHA1 matches', async () => {
    const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const { data: bill } = await wxpay.v3.bill.tradebill.get({ params: { bill_date: today, bill_type: 'ALL' } });
    expect(bill.hash_type).toBe('SHA1');
    const url = new URL(bill.download_url);
    const { data: file } = await wxpay.v3.billdownload.file.get({
      params: { token: url.searchParams.get('token') },
      responseType: 'arraybuffer',
    });
    const bytes = Buffer.from(file);
    expect(createHash('sha1').update(bytes).digest('hex')).toBe(bill.hash_value);
    const parsed = Formatter.castCsvBill(bytes) as {
      rows: Array<Record<string, string>>;
      summary: Record<string, string>;
    };
    expect(parsed.rows.length).toBeGreaterThanOrEqual(2);
    expect(parsed.rows.some((r) => r['交易状态'] === 'SUCCESS' && r['订单金额'] === '25.99')).toBe(true);
    expect(parsed.rows.some((r) => r['交易状态'] === 'REFUND' && r['退款金额'] === '5.99')).toBe(true);
    expect(parsed.summary['总交易单数']).toBe(String(parsed.rows.length));
  });

  it("gets WeChat's error shapes for bad requests", async () => {
    const c = sandbox.credentials;
    const notFound = await failure(
      wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({ params: { mchid: c.mchid }, out_trade_no: orderNo() }),
    );
    expect(notFound.response?.status).toBe(404);
    expect(notFound.response?.data.code).toBe('ORDER_NOT_EXIST');
    const bad = await failure(
      wxpay.v3.pay.transactions.jsapi.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'x',
        out_trade_no: 'abc',
        notify_url: receiver.url,
        amount: { total: 1 },
        payer: { openid: 'o' },
      }),
    );
    expect(bad.response?.status).toBe(400);
    expect(bad.response?.data.code).toBe('PARAM_ERROR');
  });

  it("refuses a response whose signature was corrupted (the plugin's own verifier)", async () => {
    const c = sandbox.credentials;
    sandbox.faults.set({ corruptResponseSignatures: 1 });
    const err = await failure(
      wxpay.v3.pay.transactions.jsapi.post({
        appid: c.appid,
        mchid: c.mchid,
        description: 'x',
        out_trade_no: orderNo(),
        notify_url: receiver.url,
        amount: { total: 1 },
        payer: { openid: 'o1' },
      }),
    );
    expect(err.code).toBe('EV3_RES_HEADER_SIGNATURE_DIGEST');
  });

  it('a client with another merchant key is refused: 401 SIGN_ERROR', async () => {
    const c = sandbox.credentials;
    const other = await createSandbox();
    try {
      const stranger = new Wechatpay({
        mchid: c.mchid,
        serial: c.merchantSerialNo,
        privateKey: other.credentials.merchantPrivateKeyPem,
        certs: { [c.wechatpayPublicKeyId]: c.wechatpayPublicKeyPem },
        baseURL: `${sandbox.url}/`,
      } as never) as unknown as typeof wxpay;
      const err = await failure(
        stranger.v3.pay.transactions.outTradeNo.$out_trade_no$.get({
          params: { mchid: c.mchid },
          out_trade_no: orderNo(),
        }),
      );
      expect(err.response?.status).toBe(401);
      expect(err.response?.data.code).toBe('SIGN_ERROR');
    } finally {
      await other.close();
    }
  });
});
