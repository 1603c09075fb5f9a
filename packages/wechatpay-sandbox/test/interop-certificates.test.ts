import { Aes, Decorator, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import WechatpayNodeV3 from 'wechatpay-node-v3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../src/index.js';
import { notifyReceiver, orderNo, type Received } from './helpers.js';

/**
 * Two independent WeChat Pay SDKs from npm drive the sandbox in platform-certificate mode, each as
 * its README shows: download the certificates (decrypting them with the APIv3 key), prepay, verify
 * the answers against the downloaded certificates, and verify and decrypt a notification.
 */

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;

beforeAll(async () => {
  sandbox = await createSandbox({ timeScale: 0.001, keyMode: 'platform-cert' });
  receiver = await notifyReceiver(() => 204);
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

async function pay(prepayId: string, openid: string, sign: (message: string) => string) {
  const c = sandbox.credentials;
  const timeStamp = String(Math.floor(Date.now() / 1000));
  const nonceStr = Formatter.nonce();
  const pkg = `prepay_id=${prepayId}`;
  const paySign = sign(`${c.appid}\n${timeStamp}\n${nonceStr}\n${pkg}\n`);
  const res = await fetch(`${sandbox.url}/sandbox/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appId: c.appid, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign, openid }),
  });
  expect(res.status).toBe(200);
}

async function notificationFor(outTradeNo: string): Promise<Received> {
  await sandbox.waitForNotification((n) => n.outTradeNo === outTradeNo && n.state === 'delivered');
  return receiver.received.find(
    (r) => r.body.includes('"TRANSACTION.SUCCESS"') && !seen.has(r) && (seen.add(r), true),
  )!;
}
const seen = new Set<Received>();

/** The plugin configured with these platform certificates, as a merchant runs it. */
function pluginClient(certs: Record<string, string>) {
  const c = sandbox.credentials;
  // The plugin's chained client is a dynamic proxy; its typings do not describe the path segments.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const wxpay: any = new Wechatpay({
    mchid: c.mchid,
    serial: c.merchantSerialNo,
    privateKey: c.merchantPrivateKeyPem,
    certs,
    baseURL: `${sandbox.url}/`,
  } as never);
  return wxpay;
}

/**
 * Downloads the platform certificates as the plugin's own downloader (`wxpay crt`) does: decrypt each
 * certificate in a transformResponse that runs before the plugin's response verifier, so the list
 * is verified with the certificate it carries.
 */
async function downloadWithPlugin() {
  const c = sandbox.credentials;
  const certs: Record<string, string> = {};
  const bootstrap = pluginClient({ any: undefined } as never);
  const [, ...axiosDefaults] = bootstrap.client.v3.defaults.transformResponse as unknown[];
  const { data: list, headers } = await bootstrap.v3.certificates.get({
    transformResponse: [certificateInjector(certs, c.apiV3Key), Decorator.responseVerifier(certs), ...axiosDefaults],
  });
  return { list, headers, certs };
}

/** Decrypts each listed certificate into certs before the plugin's verifier sees the answer. */
function certificateInjector(certs: Record<string, string>, apiV3Key: string) {
  return (response: string) => {
    const list = JSON.parse(response) as {
      data?: Array<{
        serial_no: string;
        encrypt_certificate: { ciphertext: string; nonce: string; associated_data: string };
      }>;
    };
    for (const { serial_no: serial, encrypt_certificate: e } of list.data ?? []) {
      certs[serial] = Aes.AesGcm.decrypt(e.ciphertext, apiV3Key, e.nonce, e.associated_data);
    }
    return response;
  };
}

describe('wechatpay-axios-plugin in certificate mode', () => {
  it('downloads the certificates as its certificate downloader does, then prepays, queries and verifies a notification', async () => {
    const c = sandbox.credentials;
    const { list, headers, certs } = await downloadWithPlugin();
    const wxpay = pluginClient(certs);
    expect(list.data).toHaveLength(1);
    const serial = list.data[0].serial_no as string;
    expect(Object.keys(certs)).toEqual([serial]);
    expect(headers['wechatpay-serial']).toBe(serial);
    expect(certs[serial]).toContain('BEGIN CERTIFICATE');

    const outTradeNo = orderNo('AXC');
    const { data: prepay } = await wxpay.v3.pay.transactions.jsapi.post({
      appid: c.appid,
      mchid: c.mchid,
      description: '证书模式 interop',
      out_trade_no: outTradeNo,
      notify_url: receiver.url,
      amount: { total: 888, currency: 'CNY' },
      payer: { openid: 'oInteropCert1' },
    });
    expect(prepay.prepay_id).toMatch(/^wx/);
    await pay(prepay.prepay_id as string, 'oInteropCert1', (m) => Rsa.sign(m, c.merchantPrivateKeyPem));

    const note = await notificationFor(outTradeNo);
    const h = note.headers;
    expect(h['wechatpay-serial']).toBe(serial);
    expect(
      Rsa.verify(
        Formatter.response(String(h['wechatpay-timestamp']), String(h['wechatpay-nonce']), note.body),
        String(h['wechatpay-signature']),
        certs[serial]!,
      ),
    ).toBe(true);
    const envelope = JSON.parse(note.body) as {
      resource: { ciphertext: string; nonce: string; associated_data: string };
    };
    const resource = JSON.parse(
      Aes.AesGcm.decrypt(
        envelope.resource.ciphertext,
        c.apiV3Key,
        envelope.resource.nonce,
        envelope.resource.associated_data,
      ),
    ) as Record<string, unknown>;
    expect(resource).toMatchObject({ out_trade_no: outTradeNo, trade_state: 'SUCCESS' });

    // Queried answers verify against the downloaded certificate (the plugin throws otherwise).
    const { data: tx } = await wxpay.v3.pay.transactions.outTradeNo.$out_trade_no$.get({
      params: { mchid: c.mchid },
      out_trade_no: outTradeNo,
    });
    expect(tx).toEqual(resource);
  });

  it('after a rotation an answer signed with the new certificate fails until the certificates are downloaded again', async () => {
    const { certs } = await downloadWithPlugin();
    const wxpay = pluginClient(certs);
    const rotated = sandbox.keys.rotate();
    // The new certificate signs from now on: a client holding only the old one refuses the answer…
    const failed = await wxpay.v3.certificates.get().then(
      () => null,
      (e: { code?: string }) => e.code,
    );
    expect(failed).toBe('EV3_RES_HEADER_PLATFORM_SERIAL');
    // …and takes it once it has downloaded the list again (decrypted with the APIv3 key, as above).
    const again = await downloadWithPlugin();
    expect(again.list.data[0].serial_no).toBe(rotated.serialNo);
    expect(Object.keys(again.certs)).toHaveLength(2);
    const { data } = await pluginClient(again.certs).v3.certificates.get();
    expect(data.data.map((d: { serial_no: string }) => d.serial_no)).toEqual(Object.keys(again.certs));
  });
});

describe('wechatpay-node-v3 in certificate mode', () => {
  /** The SDK's documented hook for its HTTP layer (createHttp): here it reaches the sandbox and keeps the answer's headers. */
  function sandboxHttp() {
    const last: { headers: Headers | null; text: string } = { headers: null, text: '' };
    const send = async (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
      const target = url.replace('https://api.mch.weixin.qq.com', sandbox.url);
      const res = await fetch(target, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      last.headers = res.headers;
      last.text = await res.text();
      return { status: res.status, data: last.text ? (JSON.parse(last.text) as unknown) : {} };
    };
    return {
      last,
      service: {
        get: (url: string, headers: Record<string, string>) => send('GET', url, headers),
        post: (url: string, params: Record<string, unknown>, headers: Record<string, string>) =>
          send('POST', url, headers, params),
        upload: () => Promise.reject(new Error('not used')),
      },
    };
  }

  it('downloads the certificates, prepays, verifies each answer and a notification with verifySign, decrypts it', async () => {
    const c = sandbox.credentials;
    const pay = new WechatpayNodeV3({
      appid: c.appid,
      mchid: c.mchid,
      serial_no: c.merchantSerialNo,
      // the SDK wants the merchant certificate here only to read its serial, which is given above
      publicKey: Buffer.from(c.wechatpayPublicKeyPem),
      privateKey: Buffer.from(c.merchantPrivateKeyPem),
      key: c.apiV3Key,
    });
    const http = sandboxHttp();
    pay.createHttp(http.service as never);

    const certificates = (await pay.get_certificates(c.apiV3Key)) as Array<{ serial_no: string; publicKey: string }>;
    expect(certificates).toHaveLength(sandbox.keys.certificates().length);
    expect(certificates[0]!.publicKey).toContain('BEGIN PUBLIC KEY');
    const verifyLast = () =>
      pay.verifySign({
        timestamp: http.last.headers!.get('wechatpay-timestamp')!,
        nonce: http.last.headers!.get('wechatpay-nonce')!,
        serial: http.last.headers!.get('wechatpay-serial')!,
        signature: http.last.headers!.get('wechatpay-signature')!,
        body: http.last.text,
        apiSecret: c.apiV3Key,
      });

    const outTradeNo = orderNo('NV3');
    const prepay = (await pay.transactions_jsapi({
      description: '证书模式 node-v3',
      out_trade_no: outTradeNo,
      notify_url: receiver.url,
      amount: { total: 666, currency: 'CNY' },
      payer: { openid: 'oInteropCert2' },
    })) as { status: number; data: { package: string; paySign: string; timeStamp: string; nonceStr: string } };
    expect(prepay.status).toBe(200);
    expect(await verifyLast()).toBe(true);

    // the SDK signed the requestPayment parameters itself: the sandbox's pay sheet checks them
    const paid = await fetch(`${sandbox.url}/sandbox/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...prepay.data, openid: 'oInteropCert2' }),
    });
    expect(paid.status).toBe(200);

    const note = await notificationFor(outTradeNo);
    const verified = await pay.verifySign({
      timestamp: String(note.headers['wechatpay-timestamp']),
      nonce: String(note.headers['wechatpay-nonce']),
      serial: String(note.headers['wechatpay-serial']),
      signature: String(note.headers['wechatpay-signature']),
      body: note.body,
      apiSecret: c.apiV3Key,
    });
    expect(verified).toBe(true);
    const { resource } = JSON.parse(note.body) as {
      resource: { ciphertext: string; nonce: string; associated_data: string };
    };
    const decrypted = pay.decipher_gcm(resource.ciphertext, resource.associated_data, resource.nonce, c.apiV3Key);
    expect(decrypted).toMatchObject({ out_trade_no: outTradeNo, trade_state: 'SUCCESS', amount: { total: 666 } });

    const query = (await pay.query({ out_trade_no: outTradeNo })) as { status: number; data: unknown };
    expect(query.status).toBe(200);
    expect(query.data).toEqual(decrypted);
    expect(await verifyLast()).toBe(true);

    // A forged answer signature is caught by the SDK's verifier.
    sandbox.faults.set({ corruptResponseSignatures: 1 });
    await pay.query({ out_trade_no: outTradeNo });
    expect(await verifyLast()).toBe(false);
  });
});
