/**
 * The controls can flip faults and pay orders, so only the developer's own pages may reach them:
 * malformed input answers JSON (never Express's HTML page with a stack trace), browsers from other
 * origins are refused, and the cashier sends the shopper back only to the shop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, signRequestPayment, type Sandbox } from '../src/index.js';
import { jsapiBody, merchantClient, sandboxStateDir } from './helpers.js';

let sandbox: Sandbox;
let withH5: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001 });
  withH5 = await createSandbox({
    stateDir: await sandboxStateDir(),
    timeScale: 0.001,
    h5Origins: ['https://shop.example:8443'],
  });
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  await withH5?.close();
});

const CONTROLS = [
  '/sandbox/faults',
  '/sandbox/pay',
  '/sandbox/login-code',
  '/sandbox/confirm-receipt',
  '/sandbox/keys/rotate',
  '/sandbox/signature-probes',
  '/sandbox/bill/transactions',
];

describe('malformed JSON to the controls', () => {
  it('answers a JSON 400 on every control, without HTML or a stack trace', async () => {
    for (const path of [...CONTROLS, '/sandbox/no-such-control']) {
      for (const method of ['POST', 'PUT']) {
        const res = await fetch(sandbox.url + path, {
          method,
          headers: { 'content-type': 'application/json' },
          body: '{"dropNotifications": 1,',
        });
        const text = await res.text();
        expect([path, method, res.status]).toEqual([path, method, 400]);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(text).not.toMatch(/<html|<pre|\n\s+at /i);
        expect(JSON.parse(text)).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      }
    }
    // the same with a body that does not decode (Content-Encoding gzip over plain text)
    const gz = await fetch(`${sandbox.url}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: '{}',
    });
    expect(gz.status).toBe(400);
    expect(gz.headers.get('content-type')).toMatch(/^application\/json/);
    expect(sandbox.faults.get().dropNotifications).toBe(0);
  });
});

describe('an APIv3 body that cannot be read', () => {
  it('answers 400 INVALID_REQUEST, signed, and creates nothing', async () => {
    const call = merchantClient(sandbox);
    const body = JSON.stringify(jsapiBody(sandbox));
    for (const encoding of ['gzip', 'br', 'x-unknown']) {
      const res = await fetch(`${sandbox.url}/v3/pay/transactions/jsapi`, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'user-agent': 'uni-checkout-test',
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body,
      });
      const answer = (await res.json()) as { code: string };
      expect([encoding, res.status, answer.code]).toEqual([encoding, 400, 'INVALID_REQUEST']);
    }
    const outTradeNo = (JSON.parse(body) as { out_trade_no: string }).out_trade_no;
    const query = await call(
      'GET',
      `/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${sandbox.credentials.mchid}`,
    );
    expect(query.status).toBe(404);
  });
});

describe('who may call the controls from a browser', () => {
  const post = (base: string, origin: string, body = '{"dropNotifications":7}', type = 'application/json') =>
    fetch(`${base}/sandbox/faults`, { method: 'POST', headers: { origin, 'content-type': type }, body });

  it('admits loopback origins on any port', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:1', 'http://[::1]:8080', 'https://localhost']) {
      const preflight = await fetch(`${sandbox.url}/sandbox/faults`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect([origin, preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([
        origin,
        204,
        origin,
      ]);
      const res = await post(sandbox.url, origin);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    }
    sandbox.faults.reset();
  });

  it('refuses any other origin before acting: no CORS grant, faults untouched, form posts too', async () => {
    for (const origin of [
      'https://evil.example',
      'http://localhost.evil.example',
      'http://127.0.0.1.evil.example:5173',
      'http://192.168.1.20:5173',
      'null',
    ]) {
      const preflight = await fetch(`${sandbox.url}/sandbox/faults`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const res = await post(sandbox.url, origin);
      expect([origin, res.status]).toEqual([origin, 403]);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(await res.json()).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
      // a cross-site form needs no preflight: it is refused all the same
      const form = await post(sandbox.url, origin, 'dropNotifications=7', 'application/x-www-form-urlencoded');
      expect(form.status).toBe(403);
    }
    expect(sandbox.faults.get().dropNotifications).toBe(0);
    // no Origin: not a browser (the BFF, curl, tests)
    expect((await fetch(`${sandbox.url}/sandbox/faults`)).status).toBe(200);
  });

  it('admits the configured h5 origin as well', async () => {
    const res = await post(withH5.url, 'https://shop.example:8443');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example:8443');
    expect((await post(withH5.url, 'https://shop.example:9443')).status).toBe(403);
  });
});

describe("the cashier's return", () => {
  async function cashierFor(s: Sandbox, returnUrl: string) {
    const call = merchantClient(s);
    const body = jsapiBody(s, {
      notify_url: 'http://127.0.0.1:9/notify',
      payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' },
    });
    const { body: pre } = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
    const params = signRequestPayment(
      { appId: s.credentials.appid, prepayId: pre.prepay_id },
      s.credentials.merchantPrivateKeyPem,
    );
    const q = new URLSearchParams({ ...params, openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', return: returnUrl });
    const res = await fetch(`${s.url}/sandbox/cashier?${q}`);
    return { status: res.status, html: await res.text() };
  }

  it('goes back to loopback shops only', async () => {
    for (const ok of [
      'http://127.0.0.1:5173/#/pages/result/index?orderNo=1',
      'http://localhost:9/r',
      'http://[::1]:5173/',
    ]) {
      const page = await cashierFor(sandbox, ok);
      expect([ok, page.status]).toEqual([ok, 200]);
      expect(page.html).not.toContain('data-testid="cashier-problem"');
    }
    for (const bad of ['https://evil.example/steal', 'http://localhost.evil.example/', 'javascript:alert(1)']) {
      const page = await cashierFor(sandbox, bad);
      expect([bad, page.status]).toEqual([bad, 400]);
      expect(page.html).toContain('return 参数必须是本机');
      expect(page.html).not.toContain('evil.example/steal"');
    }
  });

  it('and to the configured h5 origin', async () => {
    expect((await cashierFor(withH5, 'https://shop.example:8443/#/pages/result/index')).status).toBe(200);
    expect((await cashierFor(withH5, 'https://shop.example/#/pages/result/index')).status).toBe(400);
  });
});
