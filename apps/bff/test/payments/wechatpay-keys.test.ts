/**
 * The key store against the sandbox in each key mode: certificates downloaded over a verified
 * answer, refreshed on an unknown serial at most once a minute, probes / expired / unknown refused
 * with a sentence saying why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  buildResponseSignString,
  createSandbox,
  randomNonce,
  signSha256Rsa,
  type Sandbox,
} from '@uni-checkout/wechatpay-sandbox';
import { sandboxIdentityDir } from '../support/harness.js';
import {
  WechatpayKeys,
  type CertificateStore,
  type KeysLogger,
  type PlatformCertificate,
  type WechatpayKeyMode,
} from '../../src/payments/wechatpay-keys.js';

const open: Sandbox[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function memoryStore(
  now: () => number = Date.now,
): CertificateStore & { downloads: number; rows: PlatformCertificate[] } {
  let claimedAt = 0;
  const store = {
    downloads: 0,
    rows: [] as PlatformCertificate[],
    load: async () => store.rows,
    save: async (certs: PlatformCertificate[]) => {
      store.rows = [...store.rows.filter((r) => !certs.some((c) => c.serialNo === r.serialNo)), ...certs];
    },
    claimRefresh: async (minIntervalMs: number) => {
      if (now() - claimedAt < minIntervalMs) return false;
      claimedAt = now();
      store.downloads += 1;
      return true;
    },
  };
  return store;
}

function captureLogger() {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const logger: KeysLogger = {
    info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
  return { lines, logger };
}

/** A signed GET to the sandbox, as the BFF sends it (`Wechatpay-Serial` names the key it expects). */
function sandboxGet(sandbox: Sandbox, pathAndQuery: string, serial?: string) {
  const c = sandbox.credentials;
  return fetch(`${sandbox.url}${pathAndQuery}`, {
    headers: {
      Accept: 'application/json',
      'User-Agent': 'bff-keys-test',
      ...(serial ? { 'Wechatpay-Serial': serial } : {}),
      Authorization: buildAuthorization({
        mchid: c.mchid,
        serialNo: c.merchantSerialNo,
        privateKey: c.merchantPrivateKeyPem,
        method: 'GET',
        pathAndQuery,
      }),
    },
  });
}

function certificateFetcher(sandbox: Sandbox, serial?: string) {
  return async () => {
    const res = await sandboxGet(sandbox, '/v3/certificates', serial);
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  };
}

/** Platform-certificate keys over a given store, as a process that starts with what another stored. */
function platformCertKeys(sandbox: Sandbox, store: ReturnType<typeof memoryStore>, now?: () => Date) {
  return new WechatpayKeys({
    mode: 'platform-cert',
    publicKeys: [],
    apiV3Key: sandbox.credentials.apiV3Key,
    fetchCertificates: certificateFetcher(sandbox),
    store,
    logger: captureLogger().logger,
    ...(now ? { now } : {}),
  });
}

async function setup(sandboxMode: WechatpayKeyMode, bffMode: WechatpayKeyMode, apiV3Key?: string) {
  const sandbox = await createSandbox({ stateDir: sandboxIdentityDir(), timeScale: 0.001, keyMode: sandboxMode });
  open.push(sandbox);
  const c = sandbox.credentials;
  const store = memoryStore();
  const { lines, logger } = captureLogger();
  const keys = new WechatpayKeys({
    mode: bffMode,
    publicKeys: bffMode === 'platform-cert' ? [] : [{ id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem }],
    apiV3Key: apiV3Key ?? c.apiV3Key,
    fetchCertificates: certificateFetcher(sandbox, bffMode === 'switching' ? c.wechatpayPublicKeyId : undefined),
    store,
    logger,
  });
  return { sandbox, keys, store, lines };
}

/** A message signed by the sandbox's current signer, as its answers are. */
async function signedAnswer(sandbox: Sandbox, serial?: string) {
  const res = await sandboxGet(
    sandbox,
    `/v3/pay/transactions/out-trade-no/NOPE000001?mchid=${sandbox.credentials.mchid}`,
    serial,
  );
  return { headers: Object.fromEntries(res.headers), body: await res.text() };
}

describe('platform-certificate mode', () => {
  it('downloads, decrypts and verifies the certificates, then verifies answers signed with them', async () => {
    const { sandbox, keys, store, lines } = await setup('platform-cert', 'platform-cert');
    await keys.start();
    const serial = sandbox.keys.certificates()[0]!.serialNo;
    expect(keys.describe().certificateSerials).toEqual([serial]);
    expect(store.rows.map((r) => r.serialNo)).toEqual([serial]);
    expect(lines.find((l) => l.msg.includes('downloaded and verified'))?.obj).toMatchObject({ signedBy: serial });
    expect(keys.verify(await signedAnswer(sandbox))).toEqual({ ok: true, serial });
    keys.stop();
  });

  it('takes up a rotated certificate on its first unknown serial, then downloads at most once a minute', async () => {
    const { sandbox, keys, store } = await setup('platform-cert', 'platform-cert');
    await keys.start();
    // the boot download takes no slot
    expect(store.downloads).toBe(0);
    const rotated = sandbox.keys.rotate();
    const answer = await signedAnswer(sandbox);
    expect(keys.verify(answer)).toMatchObject({ ok: false, reason: 'UNKNOWN_SERIAL', serial: rotated.serialNo });
    expect(await keys.verifyOrRefresh(answer)).toEqual({ ok: true, serial: rotated.serialNo });
    expect(store.downloads).toBe(1);

    // a second rotation within the minute: the slot is taken, nothing is downloaded
    const again = sandbox.keys.rotate();
    const answer2 = await signedAnswer(sandbox);
    expect(await keys.verifyOrRefresh(answer2)).toMatchObject({
      ok: false,
      reason: 'UNKNOWN_SERIAL',
      serial: again.serialNo,
    });
    expect(store.downloads).toBe(1);
    // …unless another process already stored it: it is taken from the store
    store.rows.push({
      serialNo: again.serialNo,
      certificatePem: again.certificatePem,
      effectiveAt: new Date(again.effectiveTime),
      expireAt: new Date(again.expireTime),
    });
    expect(await keys.verifyOrRefresh(answer2)).toEqual({ ok: true, serial: again.serialNo });
    expect(store.downloads).toBe(1);
    keys.stop();
  });

  it('downloads on an unknown serial when the slot is free, once for many concurrent callers', async () => {
    let clock = Date.now();
    const sandbox = await createSandbox({ stateDir: sandboxIdentityDir(), timeScale: 0.001, keyMode: 'platform-cert' });
    open.push(sandbox);
    const store = memoryStore(() => clock);
    const keys = platformCertKeys(sandbox, store);
    await keys.start();
    const rotated = sandbox.keys.rotate();
    clock += 61_000;
    const answer = await signedAnswer(sandbox);
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => keys.verifyOrRefresh(answer)));
    expect(verdicts.every((v) => v.ok && v.serial === rotated.serialNo)).toBe(true);
    expect(store.downloads).toBe(1);
    keys.stop();
  });

  it('never takes a list that does not decrypt with the APIv3 key', async () => {
    const { keys, lines } = await setup('platform-cert', 'platform-cert', 'X'.repeat(32));
    await expect(keys.start()).rejects.toThrow(/no valid WeChat Pay platform certificate/);
    expect(lines.find((l) => l.level === 'error')?.msg).toMatch(/does not decrypt with the APIv3 key/);
    expect(keys.describe().certificateSerials).toEqual([]);
  });

  it('refuses an expired certificate, naming it', async () => {
    const { sandbox, keys, store } = await setup('platform-cert', 'platform-cert');
    await keys.start();
    keys.stop();
    const answer = await signedAnswer(sandbox);
    // another process, six years on, with the same stored certificate
    const later = platformCertKeys(sandbox, store, () => new Date(Date.now() + 6 * 365 * 86_400_000));
    const verdict = await later.verifyOrRefresh(answer);
    expect(verdict).toMatchObject({
      ok: false,
      reason: 'EXPIRED_CERTIFICATE',
      serial: sandbox.keys.certificates()[0]!.serialNo,
    });
    expect(!verdict.ok && verdict.detail).toMatch(/is not valid now/);
  });

  it('says what a public-key-only merchant should configure', async () => {
    const { keys, lines } = await setup('public-key', 'platform-cert');
    await expect(keys.start()).rejects.toThrow();
    const line = lines.find((l) => l.level === 'error')!;
    expect(line.msg).toMatch(/no platform certificate.*WECHATPAY_PUBLIC_KEY_FILE/);
  });
});

describe('public-key mode', () => {
  it('refuses a certificate-signed answer with one sentence naming the mismatch', async () => {
    const { sandbox, keys } = await setup('platform-cert', 'public-key');
    await keys.start();
    const verdict = keys.verify(await signedAnswer(sandbox));
    expect(verdict).toMatchObject({ ok: false, reason: 'UNKNOWN_SERIAL' });
    expect(!verdict.ok && verdict.detail).toMatch(
      /platform certificate .* public-key mode .*WECHATPAY_KEY_MODE=switching/,
    );
  });

  it('accepts any of several public key ids, refuses an unconfigured one', async () => {
    const sandbox = await createSandbox({ stateDir: sandboxIdentityDir(), timeScale: 0.001 });
    open.push(sandbox);
    const c = sandbox.credentials;
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keys = new WechatpayKeys({
      mode: 'public-key',
      publicKeys: [
        {
          id: 'PUB_KEY_ID_0100000000000000000000000001',
          pem: other.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        },
        { id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem },
      ],
      apiV3Key: c.apiV3Key,
      logger: captureLogger().logger,
    });
    expect(keys.verify(await signedAnswer(sandbox))).toEqual({ ok: true, serial: c.wechatpayPublicKeyId });
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = randomNonce();
    const forgedId = 'PUB_KEY_ID_0100000000000000000000000002';
    const verdict = keys.verify({
      headers: {
        'wechatpay-timestamp': ts,
        'wechatpay-nonce': nonce,
        'wechatpay-serial': forgedId,
        'wechatpay-signature': signSha256Rsa(buildResponseSignString(ts, nonce, '{}'), other.privateKey),
      },
      body: '{}',
    });
    expect(verdict).toMatchObject({ ok: false, reason: 'UNKNOWN_SERIAL', serial: forgedId });
  });

  it('refuses the signature probe', async () => {
    const sandbox = await createSandbox({ stateDir: sandboxIdentityDir(), timeScale: 0.001 });
    open.push(sandbox);
    const c = sandbox.credentials;
    const keys = new WechatpayKeys({
      mode: 'public-key',
      publicKeys: [{ id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem }],
      apiV3Key: c.apiV3Key,
      logger: captureLogger().logger,
    });
    const verdict = keys.verify({
      headers: {
        'wechatpay-timestamp': String(Math.floor(Date.now() / 1000)),
        'wechatpay-nonce': randomNonce(),
        'wechatpay-serial': c.wechatpayPublicKeyId,
        'wechatpay-signature': 'WECHATPAY/SIGNTEST/abc',
      },
      body: '{}',
    });
    expect(verdict).toMatchObject({ ok: false, reason: 'SIGNATURE_PROBE', serial: c.wechatpayPublicKeyId });
  });
});

describe('switching', () => {
  it('asks for public-key answers and accepts both keys, picked by Wechatpay-Serial', async () => {
    const { sandbox, keys } = await setup('switching', 'switching');
    await keys.start();
    const c = sandbox.credentials;
    expect(keys.requestSerial()).toBe(c.wechatpayPublicKeyId);
    expect(keys.verify(await signedAnswer(sandbox, keys.requestSerial()))).toEqual({
      ok: true,
      serial: c.wechatpayPublicKeyId,
    });
    const certSerial = sandbox.keys.certificates()[0]!.serialNo;
    expect(keys.verify(await signedAnswer(sandbox))).toEqual({ ok: true, serial: certSerial });
    keys.stop();
  });
});
