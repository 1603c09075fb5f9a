import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildAuthorization, createSandbox, type Sandbox } from '../src/index.js';
import { jsapiBody, merchantClient, orderNo } from './helpers.js';

let sandbox: Sandbox;
let call: ReturnType<typeof merchantClient>;

beforeAll(async () => {
  sandbox = await createSandbox({ timeScale: 0.001 });
  call = merchantClient(sandbox);
});
afterAll(() => sandbox.close());

describe('credentials', () => {
  it('has the pinned shape with usable keys and WeChat-like identifiers', () => {
    const c = sandbox.credentials;
    expect(Object.keys(c).sort()).toEqual(
      [
        'apiV3Key',
        'appid',
        'appsecret',
        'baseUrl',
        'mchid',
        'merchantPrivateKeyPem',
        'merchantSerialNo',
        'wechatpayPublicKeyId',
        'wechatpayPublicKeyPem',
        // beside the pinned fields: the key mode and the platform certificates (none in public-key mode)
        'keyMode',
        'wechatpayCertificates',
      ].sort(),
    );
    expect(c.keyMode).toBe('public-key');
    expect(c.wechatpayCertificates).toEqual([]);
    expect(c.baseUrl).toBe(sandbox.url);
    expect(c.appid).toMatch(/^wx[0-9a-f]{16}$/);
    expect(c.mchid).toMatch(/^\d{10}$/);
    expect(c.merchantSerialNo).toMatch(/^[0-9A-F]{40}$/);
    expect(c.wechatpayPublicKeyId).toMatch(/^PUB_KEY_ID_\d+$/);
    expect(Buffer.byteLength(c.apiV3Key)).toBe(32);
    expect(createPrivateKey(c.merchantPrivateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(c.wechatpayPublicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });

  it('keeps keys in stateDir across restarts and rewrites credentials.json with the new URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    const first = await createSandbox({ stateDir: dir });
    const firstCreds = { ...first.credentials };
    await first.close();
    const second = await createSandbox({ stateDir: dir });
    try {
      const { baseUrl: _a, ...restFirst } = firstCreds;
      const { baseUrl: _b, ...restSecond } = second.credentials;
      expect(restSecond).toEqual(restFirst);
      const onDisk = JSON.parse(readFileSync(join(dir, 'credentials.json'), 'utf8'));
      expect(onDisk).toEqual(second.credentials);
      expect(onDisk.baseUrl).toBe(second.url);
      expect(statSync(join(dir, 'credentials.json')).mode & 0o077).toBe(0);
      expect(statSync(join(dir, 'wechatpay-private-key.pem')).mode & 0o077).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('refuses a damaged state directory with a sentence naming the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-bad-'));
    writeFileSync(join(dir, 'credentials.json'), '{"appid":1}');
    await expect(createSandbox({ stateDir: dir })).rejects.toThrow(
      /only one of credentials.json and wechatpay-private-key.pem; delete .* to generate new keys/,
    );
    writeFileSync(join(dir, 'wechatpay-private-key.pem'), 'x');
    await expect(createSandbox({ stateDir: dir })).rejects.toThrow(/is not a valid sandbox credentials file .*delete/);
  });

  it('refuses a timeScale that is not a positive number', async () => {
    await expect(createSandbox({ timeScale: 0 })).rejects.toThrow(RangeError);
    await expect(createSandbox({ timeScale: Number.NaN })).rejects.toThrow('timeScale must be a positive number');
  });

  it('generates fresh keys for every in-memory sandbox', async () => {
    const other = await createSandbox();
    try {
      expect(other.credentials.merchantPrivateKeyPem).not.toBe(sandbox.credentials.merchantPrivateKeyPem);
      expect(
        other.credentials.mchid === sandbox.credentials.mchid && other.credentials.appid === sandbox.credentials.appid,
      ).toBe(false);
    } finally {
      await other.close();
    }
  });
});

describe('merchant request signature (401 SIGN_ERROR)', () => {
  const path = () => `/v3/pay/transactions/out-trade-no/${orderNo()}?mchid=${sandbox.credentials.mchid}`;

  it('accepts a correctly signed request and signs the answer, errors included', async () => {
    const res = await call('GET', path());
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'ORDER_NOT_EXIST', message: '订单不存在' });
    expect(res.signatureValid).toBe(true);
    expect(res.headers.get('request-id')).toMatch(/^08[0-9A-F]{32}-\d{5}$/);
    expect(res.headers.get('wechatpay-serial')).toBe(sandbox.credentials.wechatpayPublicKeyId);
  });

  it.each([
    ['no Authorization header', { authorization: null }, '缺少 Authorization'],
    ['another schema', { authorization: 'Bearer abc' }, 'Authorization 格式错误'],
    [
      'a field missing',
      { authorization: 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",timestamp="1",serial_no="s"' },
      'Authorization 格式错误',
    ],
    ['another mchid', { mchid: '1900000001' }, '商户号'],
    ['another certificate serial', { serialNo: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }, 'serial_no'],
    ['a timestamp 6 minutes old', { timestamp: Math.floor(Date.now() / 1000) - 360 }, '5 分钟'],
    ['a timestamp 6 minutes ahead', { timestamp: Math.floor(Date.now() / 1000) + 360 }, '5 分钟'],
  ])('rejects %s', async (_name, opts, fragment) => {
    const res = await call('GET', path(), undefined, opts as never);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('SIGN_ERROR');
    expect(String(res.body.message)).toContain(fragment);
    // WeChat answers 401 SIGN_ERROR unsigned: it could not tell who asked.
    expect(res.signatureValid).toBe(false);
    expect(res.headers.get('wechatpay-signature')).toBeNull();
    expect(res.headers.get('request-id')).toMatch(/^08/);
  });

  it('rejects a body that differs from the signed one', async () => {
    const body = jsapiBody(sandbox);
    const res = await call('POST', '/v3/pay/transactions/jsapi', body, {
      signBody: JSON.stringify({ ...body, amount: { total: 1, currency: 'CNY' } }),
    });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('SIGN_ERROR');
    expect(sandbox.state.transactions().some((t) => t.out_trade_no === body.out_trade_no)).toBe(false);
  });

  it('rejects a signature over another query string', async () => {
    const p = path();
    const auth = buildAuthorization({
      mchid: sandbox.credentials.mchid,
      serialNo: sandbox.credentials.merchantSerialNo,
      privateKey: sandbox.credentials.merchantPrivateKeyPem,
      method: 'GET',
      pathAndQuery: p.replace(/\?.*/, ''),
    });
    const res = await call('GET', p, undefined, { authorization: auth });
    expect(res.status).toBe(401);
  });

  it('rejects a request signed with another key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p = path();
    const auth = buildAuthorization({
      mchid: sandbox.credentials.mchid,
      serialNo: sandbox.credentials.merchantSerialNo,
      privateKey,
      method: 'GET',
      pathAndQuery: p,
    });
    const res = await call('GET', p, undefined, { authorization: auth });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('SIGN_ERROR');
  });
});

describe('POST /v3/pay/transactions/jsapi', () => {
  it('answers a prepay_id and keeps the order NOTPAY', async () => {
    const body = jsapiBody(sandbox, { time_expire: '2099-01-01T10:00:00+08:00', attach: 'cart=1' });
    const res = await call('POST', '/v3/pay/transactions/jsapi', body);
    expect(res.status).toBe(200);
    expect(res.signatureValid).toBe(true);
    expect(Object.keys(res.body)).toEqual(['prepay_id']);
    expect(res.body.prepay_id).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    const q = await call('GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${body.mchid}`);
    expect(q.status).toBe(200);
    expect(q.body).toEqual({
      appid: body.appid,
      mchid: body.mchid,
      out_trade_no: body.out_trade_no,
      trade_state: 'NOTPAY',
      trade_state_desc: '订单未支付',
      amount: { total: 1230, currency: 'CNY', payer_currency: 'CNY' },
    });
  });

  it('returns the same prepay_id for the same out_trade_no and parameters', async () => {
    const body = jsapiBody(sandbox);
    const a = await call('POST', '/v3/pay/transactions/jsapi', body);
    // Key order does not matter: the parameters are the same.
    const { payer, amount: _amount, ...rest } = body;
    const reordered = { payer, amount: { currency: 'CNY', total: 1230 }, ...rest };
    const b = await call('POST', '/v3/pay/transactions/jsapi', reordered);
    expect(b.status).toBe(200);
    expect(b.body.prepay_id).toBe(a.body.prepay_id);
  });

  it('refuses the same out_trade_no with other parameters: 403 OUT_TRADE_NO_USED', async () => {
    const body = jsapiBody(sandbox);
    await call('POST', '/v3/pay/transactions/jsapi', body);
    const res = await call('POST', '/v3/pay/transactions/jsapi', { ...body, amount: { total: 1, currency: 'CNY' } });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('OUT_TRADE_NO_USED');
    expect(res.signatureValid).toBe(true);
  });

  it('accepts plain-http notify_url on loopback only', async () => {
    for (const url of [
      'http://127.0.0.1:3000/api/pay/notify/transaction',
      'http://localhost:3000/n',
      'http://[::1]:3000/n',
    ]) {
      const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox, { notify_url: url }));
      expect(res.status, url).toBe(200);
    }
  });

  const long = (n: number) => '商'.repeat(n);
  it.each([
    ['description over 127 characters', { description: long(128) }, '/description'],
    ['empty description', { description: '' }, '/description'],
    ['out_trade_no shorter than 6', { out_trade_no: 'A1234' }, '/out_trade_no'],
    ['out_trade_no longer than 32', { out_trade_no: 'A'.repeat(33) }, '/out_trade_no'],
    ['out_trade_no with a forbidden character', { out_trade_no: 'ORDER#000001' }, '/out_trade_no'],
    ['time_expire not RFC 3339', { time_expire: '2099-01-01 10:00:00' }, '/time_expire'],
    ['time_expire an impossible date', { time_expire: '2099-02-30T10:00:00+08:00' }, '/time_expire'],
    ['amount of 0 fen', { amount: { total: 0, currency: 'CNY' } }, '/amount/total'],
    ['amount in yuan with decimals', { amount: { total: 12.3, currency: 'CNY' } }, '/amount/total'],
    ['amount as a string', { amount: { total: '1230', currency: 'CNY' } }, '/amount/total'],
    ['a currency other than CNY', { amount: { total: 100, currency: 'USD' } }, '/amount/currency'],
    ['no payer', { payer: undefined }, '/payer'],
    ['an empty openid', { payer: { openid: '' } }, '/payer/openid'],
    ['no notify_url', { notify_url: undefined }, '/notify_url'],
    [
      'notify_url over plain http to a public host',
      { notify_url: 'http://merchant.example.com/notify' },
      '/notify_url',
    ],
    ['notify_url with query parameters', { notify_url: 'https://merchant.example.com/notify?order=1' }, '/notify_url'],
    ['notify_url that is not a URL', { notify_url: 'notify' }, '/notify_url'],
    ['attach over 128 characters', { attach: 'a'.repeat(129) }, '/attach'],
  ])('400 PARAM_ERROR for %s', async (_name, overrides, field) => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox, overrides));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARAM_ERROR');
    expect((res.body.detail as { field: string }).field).toBe(field);
    expect(res.signatureValid).toBe(true);
  });

  it('400 APPID_MCHID_NOT_MATCH for an appid not bound to the merchant', async () => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox, { appid: 'wx0000000000000000' }));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('APPID_MCHID_NOT_MATCH');
  });

  it('400 INVALID_REQUEST when the body mchid is not the signing merchant', async () => {
    const res = await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox, { mchid: '1900000001' }));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_REQUEST');
  });

  it('400 PARAM_ERROR for a body that is not JSON, INVALID_REQUEST for a non-JSON content type', async () => {
    const bad = await call('POST', '/v3/pay/transactions/jsapi', '{"appid":');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('PARAM_ERROR');
    const notObject = await call('POST', '/v3/pay/transactions/jsapi', '[1,2]');
    expect(notObject.status).toBe(400);
    expect(notObject.body.code).toBe('PARAM_ERROR');

    const c = sandbox.credentials;
    const text = JSON.stringify(jsapiBody(sandbox));
    const res = await fetch(`${sandbox.url}/v3/pay/transactions/jsapi`, {
      method: 'POST',
      headers: {
        'Content-Type': 'text/plain',
        Authorization: buildAuthorization({
          mchid: c.mchid,
          serialNo: c.merchantSerialNo,
          privateKey: c.merchantPrivateKeyPem,
          method: 'POST',
          pathAndQuery: '/v3/pay/transactions/jsapi',
          body: text,
        }),
      },
      body: text,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('INVALID_REQUEST');
  });
});

describe('query and close', () => {
  it('GET by out_trade_no requires mchid: 400 PARAM_ERROR', async () => {
    const res = await call('GET', `/v3/pay/transactions/out-trade-no/${orderNo()}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('PARAM_ERROR');
  });

  it('GET by transaction_id of an unknown or unpaid order: 404 ORDER_NOT_EXIST', async () => {
    const res = await call(
      'GET',
      `/v3/pay/transactions/id/4200000000202611270000000000?mchid=${sandbox.credentials.mchid}`,
    );
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('ORDER_NOT_EXIST');
    expect(res.signatureValid).toBe(true);
  });

  it('closes an unpaid order with 204, is idempotent, and the order reads CLOSED', async () => {
    const body = jsapiBody(sandbox);
    await call('POST', '/v3/pay/transactions/jsapi', body);
    const close = await call('POST', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}/close`, {
      mchid: body.mchid,
    });
    expect(close.status).toBe(204);
    expect(close.text).toBe('');
    expect(close.signatureValid).toBe(true);
    expect(
      (await call('POST', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}/close`, { mchid: body.mchid }))
        .status,
    ).toBe(204);
    const q = await call('GET', `/v3/pay/transactions/out-trade-no/${body.out_trade_no}?mchid=${body.mchid}`);
    expect(q.body.trade_state).toBe('CLOSED');
    expect(q.body.trade_state_desc).toBe('订单已关闭');
    const again = await call('POST', '/v3/pay/transactions/jsapi', body);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('ORDER_CLOSED');
  });

  it('close of an unknown order: 404 ORDER_NOT_EXIST; without mchid: 400 PARAM_ERROR', async () => {
    const unknown = await call('POST', `/v3/pay/transactions/out-trade-no/${orderNo()}/close`, {
      mchid: sandbox.credentials.mchid,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('ORDER_NOT_EXIST');
    const noMchid = await call('POST', `/v3/pay/transactions/out-trade-no/${orderNo()}/close`, {});
    expect(noMchid.status).toBe(400);
    expect(noMchid.body.code).toBe('PARAM_ERROR');
  });

  it('an unknown APIv3 path is a signed 404', async () => {
    const res = await call('GET', '/v3/nothing/here');
    expect(res.status).toBe(404);
    expect(res.signatureValid).toBe(true);
  });
});

describe('GET /sns/jscode2session', () => {
  const session = async (params: Record<string, string>) => {
    const res = await fetch(`${sandbox.url}/sns/jscode2session?${new URLSearchParams(params)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return (await res.json()) as Record<string, unknown>;
  };
  const base = () => ({
    appid: sandbox.credentials.appid,
    secret: sandbox.credentials.appsecret,
    grant_type: 'authorization_code',
  });

  it('logs in as the openid of a sandbox:<openid> code', async () => {
    const body = await session({ ...base(), js_code: 'sandbox:oAlice_01' });
    expect(body.openid).toBe('oAlice_01');
    expect(Buffer.from(String(body.session_key), 'base64')).toHaveLength(16);
    expect(body.errcode).toBeUndefined();
  });

  it('accepts an issued code once, then answers 40163 code been used', async () => {
    const res = await fetch(`${sandbox.url}/sandbox/login-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'oBob' }),
    });
    const { code } = (await res.json()) as { code: string };
    expect((await session({ ...base(), js_code: code })).openid).toBe('oBob');
    const again = await session({ ...base(), js_code: code });
    expect(again.errcode).toBe(40163);
    expect(String(again.errmsg)).toMatch(/^code been used, rid: /);
  });

  it('answers unionid only for codes issued with one', async () => {
    const res = await fetch(`${sandbox.url}/sandbox/login-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'oCarol', unionid: 'uCarol' }),
    });
    const { code } = (await res.json()) as { code: string };
    expect(await session({ ...base(), js_code: code })).toMatchObject({ openid: 'oCarol', unionid: 'uCarol' });
    expect((await session({ ...base(), js_code: 'sandbox:oCarol' })).unionid).toBeUndefined();
  });

  it('an issued code expires after 5 minutes: 40029', async () => {
    const code = sandbox.issueLoginCode('oLate');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 5 * 60_000 + 1000);
      expect((await session({ ...base(), js_code: code })).errcode).toBe(40029);
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ['an unknown code', { js_code: 'abc' }, 40029],
    ['a sandbox code with an invalid openid', { js_code: 'sandbox:bad openid!' }, 40029],
    ['no code', { js_code: '' }, 41008],
    ['a wrong appid', { js_code: 'sandbox:o1', appid: 'wx0000000000000000' }, 40013],
    ['a wrong secret', { js_code: 'sandbox:o1', secret: 'x' }, 40125],
    ['a wrong grant_type', { js_code: 'sandbox:o1', grant_type: 'client_credential' }, 40002],
  ])('answers %s with errcode %i', async (_n, over, errcode) => {
    const body = await session({ ...base(), ...over });
    expect(body.errcode).toBe(errcode);
    expect(body.openid).toBeUndefined();
  });

  it('POST /sandbox/login-code refuses a malformed openid', async () => {
    const res = await fetch(`${sandbox.url}/sandbox/login-code`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ openid: 'a b' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('PARAM_ERROR');
  });
});
