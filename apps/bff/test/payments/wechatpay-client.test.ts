import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  aesGcmEncrypt,
  buildResponseSignString,
  createSandbox,
  randomNonce,
  signSha256Rsa,
  type Sandbox,
} from '@uni-checkout/wechatpay-sandbox';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MerchantCredentials } from '../../src/config.js';
import { createMetrics } from '../../src/metrics.js';
import { toRfc3339Beijing } from '@uni-checkout/shared';
import { createWechatPayClient } from '../../src/payments/wechatpay.js';
import { WechatPayError, type WechatPayClient } from '../../src/payments/wechatpay-types.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

describe('the WeChat Pay client against the sandbox', () => {
  let sandbox: Sandbox;
  let stateDir: string;
  let merchant: MerchantCredentials;
  let metrics: ReturnType<typeof createMetrics>;
  let wx: WechatPayClient;
  const openid = 'oClientTest000000000000000001';

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), 'uc-wxclient-'));
    sandbox = await createSandbox({ port: 0, stateDir, timeScale: 0.001 });
    const c = sandbox.credentials;
    merchant = {
      appid: c.appid,
      appsecret: c.appsecret,
      apiBase: sandbox.url,
      mchid: c.mchid,
      mchSerial: c.merchantSerialNo,
      mchPrivateKeyPem: c.merchantPrivateKeyPem,
      apiV3Key: c.apiV3Key,
      keyMode: 'public-key',
      wechatpayPublicKeys: [{ id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem }],
      payBase: sandbox.url,
    };
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  beforeEach(() => {
    sandbox.faults.reset();
    metrics = createMetrics();
    wx = createWechatPayClient(merchant, { logger: pino({ level: 'silent' }), metrics, timeoutMs: 1_000 });
  });

  const outTradeNo = () => `UCT${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const prepay = (no: string) =>
    wx.jsapiPrepay({
      outTradeNo: no,
      description: '测试商品',
      timeExpire: toRfc3339Beijing(new Date(Date.now() + 30 * 60_000)),
      notifyUrl: 'http://127.0.0.1:9/notify',
      amountFen: 101,
      payerOpenid: openid,
    });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail('expected a WechatPayError'),
      (e: unknown) => e as WechatPayError,
    );
  const outcomes = async () =>
    (await metrics.wechatCalls.get()).values.map((v) => `${v.labels.operation}:${v.labels.outcome}=${v.value}`);

  it('creates, queries and closes a JSAPI order, counting each call', async () => {
    const no = outTradeNo();
    const { prepayId } = await prepay(no);
    expect(prepayId).toMatch(/^wx/);
    expect(await wx.queryByOutTradeNo(no)).toMatchObject({
      out_trade_no: no,
      trade_state: 'NOTPAY',
      amount: { total: 101 },
    });
    await wx.close(no);
    expect((await wx.queryByOutTradeNo(no)).trade_state).toBe('CLOSED');
    expect(await outcomes()).toEqual(['jsapi_prepay:ok=1', 'query:ok=2', 'close:ok=1']);
  });

  it("maps WeChat's errors: business codes are final, 5xx and 429 retryable", async () => {
    expect(await failure(wx.queryByOutTradeNo('UC000000nope'))).toMatchObject({
      code: 'ORDER_NOT_EXIST',
      status: 404,
      retryable: false,
    });
    sandbox.faults.set({ failApi: { count: 1, mode: '500' } });
    expect(await failure(wx.queryByOutTradeNo('UC000000nope'))).toMatchObject({
      code: 'SYSTEM_ERROR',
      status: 500,
      retryable: true,
    });
    sandbox.faults.set({ failApi: { count: 1, mode: '429' } });
    expect(await failure(wx.queryByOutTradeNo('UC000000nope'))).toMatchObject({
      code: 'FREQUENCY_LIMITED',
      status: 429,
      retryable: true,
    });
    const paidNo = outTradeNo();
    const { prepayId } = await prepay(paidNo);
    sandbox.pay({ ...wx.requestPaymentParams(prepayId), openid });
    expect(await failure(wx.close(paidNo))).toMatchObject({ code: 'ORDERPAID', retryable: false });
    expect(await outcomes()).toContain('query:unavailable=2');
  });

  it('gives up after its timeout, as a retryable TIMEOUT', async () => {
    sandbox.faults.set({ failApi: { count: 1, mode: 'timeout', timeoutMs: 5_000 } });
    const started = Date.now();
    expect(await failure(wx.queryByOutTradeNo('UC000000slow'))).toMatchObject({
      code: 'TIMEOUT',
      status: 0,
      retryable: true,
    });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('refuses an answer whose signature does not verify', async () => {
    sandbox.faults.set({ corruptResponseSignatures: 1 });
    expect(await failure(prepay(outTradeNo()))).toMatchObject({ code: 'BAD_SIGNATURE' });
    expect(await outcomes()).toEqual(['jsapi_prepay:bad_signature=1']);
  });

  it('reports an unreachable WeChat as a retryable NETWORK failure', async () => {
    const offline = createWechatPayClient(
      { ...merchant, payBase: 'http://127.0.0.1:9' },
      { logger: pino({ level: 'silent' }), metrics },
    );
    expect(await failure(offline.queryByOutTradeNo('UC000000nope'))).toMatchObject({
      code: 'NETWORK',
      retryable: true,
    });
  });

  it('downloads the trade bill of a day and checks its SHA1', async () => {
    const no = outTradeNo();
    const { prepayId } = await prepay(no);
    sandbox.pay({ ...wx.requestPaymentParams(prepayId), openid });
    const beijingToday = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const bill = await wx.downloadTradeBill(beijingToday);
    expect(bill?.csv).toContain(`\`${no}`);
    expect(bill?.sha1).toMatch(/^[0-9a-f]{40}$/);
  });

  describe('verifyNotification', () => {
    const wechatpayKey = () => readFileSync(path.join(stateDir, 'wechatpay-private-key.pem'), 'utf8');
    function signed(body: string, opts: { timestamp?: number; serial?: string } = {}) {
      const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
      const nonce = randomNonce(32);
      return {
        'wechatpay-timestamp': timestamp,
        'wechatpay-nonce': nonce,
        'wechatpay-serial': opts.serial ?? merchant.wechatpayPublicKeys[0]!.id,
        'wechatpay-signature': signSha256Rsa(buildResponseSignString(timestamp, nonce, body), wechatpayKey()),
        'wechatpay-signature-type': 'WECHATPAY2-SHA256-RSA2048',
      };
    }
    function envelope(resource: object, key = merchant.apiV3Key, associatedData = 'transaction') {
      const nonce = randomNonce(12);
      return JSON.stringify({
        id: randomUUID(),
        create_time: '2026-01-01T00:00:00+08:00',
        resource_type: 'encrypt-resource',
        event_type: 'TRANSACTION.SUCCESS',
        summary: '支付成功',
        resource: {
          original_type: 'transaction',
          algorithm: 'AEAD_AES_256_GCM',
          ciphertext: aesGcmEncrypt(JSON.stringify(resource), key, nonce, associatedData),
          associated_data: associatedData,
          nonce,
        },
      });
    }

    it('decrypts a notification that verifies', async () => {
      const body = envelope({ out_trade_no: 'UC1', trade_state: 'SUCCESS' });
      const n = await wx.verifyNotification<{ out_trade_no: string }>(signed(body), Buffer.from(body));
      expect(n).toMatchObject({
        eventType: 'TRANSACTION.SUCCESS',
        summary: '支付成功',
        resource: { out_trade_no: 'UC1' },
      });
    });

    it('rejects, with a code for each cause', async () => {
      const body = envelope({ out_trade_no: 'UC1' });
      // read at each use: a second boundary crossed between reading the clock and verifying (a slow
      // machine) would otherwise make now + 301 only 300 s ahead of the verifier's clock
      const now = () => Math.floor(Date.now() / 1000);
      const code = async (headers: Record<string, string>, raw = body) => {
        try {
          await wx.verifyNotification(headers, Buffer.from(raw));
          return 'accepted';
        } catch (e) {
          return (e as WechatPayError).code;
        }
      };
      expect(await code({})).toBe('BAD_SIGNATURE');
      expect(await code(signed(body), `${body} `)).toBe('BAD_SIGNATURE');
      expect(await code({ ...signed(body), 'wechatpay-signature': `WECHATPAY/SIGNTEST/${'A'.repeat(20)}` })).toBe(
        'BAD_SIGNATURE',
      );
      expect(await code({ ...signed(body), 'wechatpay-signature-type': 'HMAC-SHA256' })).toBe('BAD_SIGNATURE');
      expect(await code(signed(body, { serial: 'PUB_KEY_ID_OTHER' }))).toBe('UNKNOWN_SERIAL');
      expect(await code(signed(body, { timestamp: now() - 301 }))).toBe('STALE_TIMESTAMP');
      expect(await code(signed(body, { timestamp: now() + 301 }))).toBe('STALE_TIMESTAMP');
      expect(await code(signed(body, { timestamp: now() - 299 }))).toBe('accepted');
      const wrongKey = envelope({ out_trade_no: 'UC1' }, 'k'.repeat(32));
      expect(await code(signed(wrongKey), wrongKey)).toBe('BAD_RESOURCE');
      const notJson = 'hello';
      expect(await code(signed(notJson), notJson)).toBe('BAD_RESOURCE');
    });
  });
});
