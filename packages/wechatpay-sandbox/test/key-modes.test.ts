import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// each sandbox in a certificate mode makes RSA keys and X.509 certificates at start: slow on a busy machine
vi.setConfig({ testTimeout: 90_000 });
import {
  aesGcmDecrypt,
  buildAuthorization,
  buildResponseSignString,
  createSandbox,
  verifySha256Rsa,
  type Sandbox,
} from '../src/index.js';
import { jsapiBody, notifyReceiver, sandboxStateDir, type Received } from './helpers.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function start(opts: Parameters<typeof createSandbox>[0]) {
  const sandbox = await createSandbox({
    timeScale: 0.001,
    stateDir: opts?.stateDir ?? (await sandboxStateDir(opts?.keyMode)),
    ...opts,
  });
  open.push(sandbox);
  return sandbox;
}

async function receiver(answer?: Parameters<typeof notifyReceiver>[0]) {
  const r = await notifyReceiver(answer);
  open.push(r);
  return r;
}

/** A merchant request, signed; the answer with the serial it was signed with and the raw text. */
async function call(sandbox: Sandbox, method: string, pathAndQuery: string, body?: unknown, serial?: string) {
  const c = sandbox.credentials;
  const text = body === undefined ? '' : JSON.stringify(body);
  const res = await fetch(`${sandbox.url}${pathAndQuery}`, {
    method,
    headers: {
      Accept: 'application/json',
      'User-Agent': 'key-modes-test',
      ...(text ? { 'Content-Type': 'application/json' } : {}),
      ...(serial ? { 'Wechatpay-Serial': serial } : {}),
      Authorization: buildAuthorization({
        mchid: c.mchid,
        serialNo: c.merchantSerialNo,
        privateKey: c.merchantPrivateKeyPem,
        method,
        pathAndQuery,
        body: text,
      }),
    },
    ...(text ? { body: text } : {}),
  });
  const raw = await res.text();
  return {
    status: res.status,
    raw,
    body: (raw ? JSON.parse(raw) : {}) as Record<string, unknown>,
    serial: res.headers.get('wechatpay-serial'),
    verifiesWith: (publicKeyOrCert: string) =>
      verifySha256Rsa(
        buildResponseSignString(
          res.headers.get('wechatpay-timestamp') ?? '',
          res.headers.get('wechatpay-nonce') ?? '',
          raw,
        ),
        res.headers.get('wechatpay-signature') ?? '',
        publicKeyOrCert,
      ),
  };
}

interface CertificateItem {
  serial_no: string;
  effective_time: string;
  expire_time: string;
  encrypt_certificate: { algorithm: string; nonce: string; associated_data: string; ciphertext: string };
}

/** Downloads and decrypts the platform certificates, as a merchant does; keyed by serial. */
async function downloadCertificates(sandbox: Sandbox) {
  const res = await call(sandbox, 'GET', '/v3/certificates');
  expect(res.status).toBe(200);
  const items = (res.body.data as CertificateItem[]).map((item) => {
    expect(item.encrypt_certificate.algorithm).toBe('AEAD_AES_256_GCM');
    expect(item.encrypt_certificate.associated_data).toBe('certificate');
    const pem = aesGcmDecrypt(
      item.encrypt_certificate.ciphertext,
      sandbox.credentials.apiV3Key,
      item.encrypt_certificate.nonce,
      item.encrypt_certificate.associated_data,
    );
    return { item, pem, x509: new X509Certificate(pem) };
  });
  return { res, items, bySerial: new Map(items.map((i) => [i.item.serial_no, i.pem])) };
}

function notificationVerifies(r: Received, keyBySerial: Map<string, string>) {
  const serial = String(r.headers['wechatpay-serial']);
  const key = keyBySerial.get(serial);
  if (!key) return { serial, valid: false };
  const valid = verifySha256Rsa(
    buildResponseSignString(String(r.headers['wechatpay-timestamp']), String(r.headers['wechatpay-nonce']), r.body),
    String(r.headers['wechatpay-signature']),
    key,
  );
  return { serial, valid };
}

async function payOne(sandbox: Sandbox, notifyUrl: string) {
  const body = jsapiBody(sandbox, { notify_url: notifyUrl });
  const prepay = await call(sandbox, 'POST', '/v3/pay/transactions/jsapi', body);
  expect(prepay.status).toBe(200);
  const { signRequestPayment } = await import('../src/index.js');
  const params = signRequestPayment(
    { appId: sandbox.credentials.appid, prepayId: String(prepay.body.prepay_id) },
    sandbox.credentials.merchantPrivateKeyPem,
  );
  sandbox.pay({ ...params, openid: body.payer.openid });
  return body.out_trade_no;
}

describe('public-key mode (the default)', () => {
  it('serves an empty certificate list, signed with the public key', async () => {
    const sandbox = await start({});
    const res = await call(sandbox, 'GET', '/v3/certificates');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [] });
    expect(res.serial).toBe(sandbox.credentials.wechatpayPublicKeyId);
    expect(res.verifiesWith(sandbox.credentials.wechatpayPublicKeyPem)).toBe(true);
    expect(sandbox.credentials.keyMode).toBe('public-key');
    expect(sandbox.credentials.wechatpayCertificates).toEqual([]);
  });
});

describe('platform-certificate mode', () => {
  it('serves X.509 certificates issued by the sandbox CA, encrypted with the APIv3 key, and signs every answer with one', async () => {
    const sandbox = await start({ keyMode: 'platform-cert' });
    const { res, items } = await downloadCertificates(sandbox);
    expect(items).toHaveLength(1);
    const [cert] = items;
    expect(cert!.item.serial_no).toMatch(/^[0-9A-F]{40}$/);
    expect(cert!.x509.serialNumber.toUpperCase()).toBe(cert!.item.serial_no);
    expect(cert!.x509.verify(new X509Certificate(sandbox.keys.caCertificatePem()!).publicKey)).toBe(true);
    expect(Date.parse(cert!.item.expire_time) - Date.parse(cert!.item.effective_time)).toBeGreaterThan(
      4 * 365 * 86_400_000,
    );
    expect(cert!.item.effective_time).toMatch(/\+08:00$/);
    // The list itself is signed with the certificate it carries.
    expect(res.serial).toBe(cert!.item.serial_no);
    expect(res.verifiesWith(cert!.pem)).toBe(true);
    expect(res.verifiesWith(sandbox.credentials.wechatpayPublicKeyPem)).toBe(false);

    // credentials.json carries the certificate beside the pinned fields.
    expect(sandbox.credentials.keyMode).toBe('platform-cert');
    expect(sandbox.credentials.wechatpayCertificates).toEqual([
      {
        serialNo: cert!.item.serial_no,
        certificatePem: cert!.pem,
        effectiveTime: cert!.item.effective_time,
        expireTime: cert!.item.expire_time,
      },
    ]);

    // Errors are signed with it too; a Wechatpay-Serial naming the public key changes nothing here.
    const missing = await call(
      sandbox,
      'GET',
      `/v3/pay/transactions/out-trade-no/NOPE000001?mchid=${sandbox.credentials.mchid}`,
      undefined,
      sandbox.credentials.wechatpayPublicKeyId,
    );
    expect(missing.status).toBe(404);
    expect(missing.serial).toBe(cert!.item.serial_no);
    expect(missing.verifiesWith(cert!.pem)).toBe(true);
  });

  it('signs notifications with the platform certificate', async () => {
    const sandbox = await start({ keyMode: 'platform-cert' });
    const r = await receiver();
    const { bySerial } = await downloadCertificates(sandbox);
    const outTradeNo = await payOne(sandbox, r.url);
    await sandbox.waitForNotification((n) => n.outTradeNo === outTradeNo && n.state === 'delivered');
    expect(notificationVerifies(r.received[0]!, bySerial)).toEqual({ serial: [...bySerial.keys()][0], valid: true });
  });

  it('rotates: the new certificate signs, the old one stays listed and valid, credentials.json follows', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'sandbox-keys-'));
    const sandbox = await start({ keyMode: 'platform-cert', stateDir });
    const before = await downloadCertificates(sandbox);
    const oldSerial = before.items[0]!.item.serial_no;

    const rotated = await fetch(`${sandbox.url}/sandbox/keys/rotate`, { method: 'POST' });
    expect(rotated.status).toBe(201);
    const view = (await rotated.json()) as { serialNo: string; certificates: Array<{ serialNo: string }> };
    expect(view.certificates.map((c) => c.serialNo)).toEqual([view.serialNo, oldSerial]);

    const after = await downloadCertificates(sandbox);
    expect([...after.bySerial.keys()]).toEqual([view.serialNo, oldSerial]);
    expect(after.res.serial).toBe(view.serialNo);
    expect(after.res.verifiesWith(after.bySerial.get(view.serialNo)!)).toBe(true);

    const onDisk = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8')) as {
      wechatpayCertificates: Array<{ serialNo: string }>;
    };
    expect(onDisk.wechatpayCertificates.map((c) => c.serialNo)).toEqual([view.serialNo, oldSerial]);

    // The certificates and their keys are kept across restarts like every other key.
    await sandbox.close();
    const again = await start({ keyMode: 'platform-cert', stateDir });
    expect(again.keys.certificates().map((c) => c.serialNo)).toEqual([view.serialNo, oldSerial]);

    // Retiring drops the others at once.
    const retired = again.keys.rotate({ retirePrevious: true });
    expect(again.keys.certificates().map((c) => c.serialNo)).toEqual([retired.serialNo]);
  });

  it('refuses to rotate in public-key mode', async () => {
    const sandbox = await start({});
    const res = await fetch(`${sandbox.url}/sandbox/keys/rotate`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('NO_CERTIFICATES');
  });
});

describe('switching from certificate to public key', () => {
  it('signs an answer with the public key only when the request names it in Wechatpay-Serial', async () => {
    const sandbox = await start({ keyMode: 'switching' });
    const { bySerial, items } = await downloadCertificates(sandbox);
    expect(items).toHaveLength(1);
    const certSerial = items[0]!.item.serial_no;
    const c = sandbox.credentials;

    const plain = await call(sandbox, 'GET', `/v3/pay/transactions/out-trade-no/NOPE000001?mchid=${c.mchid}`);
    expect(plain.serial).toBe(certSerial);
    expect(plain.verifiesWith(bySerial.get(certSerial)!)).toBe(true);

    const named = await call(
      sandbox,
      'GET',
      `/v3/pay/transactions/out-trade-no/NOPE000001?mchid=${c.mchid}`,
      undefined,
      c.wechatpayPublicKeyId,
    );
    expect(named.serial).toBe(c.wechatpayPublicKeyId);
    expect(named.verifiesWith(c.wechatpayPublicKeyPem)).toBe(true);
  });

  it('signs callbacks with either key, the public key taking the pinned share', async () => {
    const sandbox = await start({ keyMode: 'switching' });
    const r = await receiver();
    const { bySerial } = await downloadCertificates(sandbox);
    const c = sandbox.credentials;
    bySerial.set(c.wechatpayPublicKeyId, c.wechatpayPublicKeyPem);
    const pinned = await fetch(`${sandbox.url}/sandbox/keys/switch-share`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ share: 0.5 }),
    });
    expect(((await pinned.json()) as { switchShare: number }).switchShare).toBe(0.5);
    for (let i = 0; i < 6; i++) {
      const no = await payOne(sandbox, r.url);
      await sandbox.waitForNotification((n) => n.outTradeNo === no && n.state === 'delivered');
    }
    const verdicts = r.received.map((x) => notificationVerifies(x, bySerial));
    expect(verdicts.every((v) => v.valid)).toBe(true);
    expect(verdicts.filter((v) => v.serial === c.wechatpayPublicKeyId)).toHaveLength(3);
  });

  it('grows the public key share over the switch period, scaled by the time scale', async () => {
    // 4 days × 0.01 = 3456 s of switching
    const sandbox = await start({ keyMode: 'switching', switchDays: 4, timeScale: 0.01 });
    const startedAt = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(startedAt);
      expect(sandbox.keys.switchShare()).toBeLessThan(0.01);
      vi.setSystemTime(startedAt + 864_000); // one scaled day
      expect(sandbox.keys.switchShare()).toBeCloseTo(0.25, 2);
      vi.setSystemTime(startedAt + 4 * 864_000);
      expect(sandbox.keys.switchShare()).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('signature probe (签名探测)', () => {
  it('passes when the merchant refuses the forged signature, fails when it accepts it, and shows both on the page', async () => {
    const sandbox = await start({ keyMode: 'platform-cert' });
    const refusing = await receiver(() => 401);
    const accepting = await receiver(() => 200);
    const res = await fetch(`${sandbox.url}/sandbox/signature-probes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notifyUrl: refusing.url }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ status: 401, refused: true, notifyUrl: refusing.url });
    const sent = refusing.received[0]!;
    expect(String(sent.headers['wechatpay-signature'])).toMatch(/^WECHATPAY\/SIGNTEST\//);
    expect(sent.headers['wechatpay-serial']).toBe(sandbox.keys.certificates()[0]!.serialNo);

    expect(await sandbox.sendSignatureProbe(accepting.url)).toMatchObject({ status: 200, refused: false });

    const page = await (await fetch(`${sandbox.url}/sandbox/`)).text();
    const results = [...page.matchAll(/data-testid="signature-probe-result">([^<]+)</g)].map((m) => m[1]);
    expect(results).toEqual(['FAILED', 'passed']);
  });

  it('as a fault, precedes the next notification with a probe to its notify_url', async () => {
    const sandbox = await start({});
    const r = await receiver((x) =>
      String(x.headers['wechatpay-signature']).startsWith('WECHATPAY/SIGNTEST/') ? 401 : 204,
    );
    sandbox.faults.set({ signatureProbes: 1 });
    const no = await payOne(sandbox, r.url);
    await sandbox.waitForNotification((n) => n.outTradeNo === no && n.state === 'delivered');
    expect(r.received).toHaveLength(2);
    expect(String(r.received[0]!.headers['wechatpay-signature'])).toMatch(/^WECHATPAY\/SIGNTEST\//);
    const probes = (await (await fetch(`${sandbox.url}/sandbox/api/signature-probes`)).json()) as {
      items: Array<{ refused: boolean; notifyUrl: string }>;
    };
    expect(probes.items).toEqual([expect.objectContaining({ refused: true, notifyUrl: r.url })]);
    expect(sandbox.faults.get().signatureProbes).toBe(0);
  });
});
