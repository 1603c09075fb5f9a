import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { compiledBff } from '../support/bff-process.js';

const dir = mkdtempSync(path.join(tmpdir(), 'uc-config-'));
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = path.join(dir, 'apiclient_key.pem');
const pubFile = path.join(dir, 'pub_key.pem');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));

const merchant = {
  WECHAT_APPID: 'wx' + randomBytes(8).toString('hex'),
  WECHAT_APPSECRET: randomBytes(16).toString('hex'),
  WECHATPAY_MCHID: '1900000109',
  WECHATPAY_MCH_SERIAL: randomBytes(20).toString('hex').toUpperCase(),
  WECHATPAY_MCH_PRIVATE_KEY_FILE: keyFile,
  WECHATPAY_APIV3_KEY: randomBytes(16).toString('hex'),
  WECHATPAY_PUBLIC_KEY_FILE: pubFile,
  WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0119000001092025010100000000000001',
};
const production = {
  ...merchant,
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
  PUBLIC_BASE_URL: 'https://shop.example.com',
  JWT_SECRET: randomBytes(32).toString('hex'),
};

function failure(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('given no merchant id outside production, runs in sandbox mode with documented defaults', () => {
    const config = loadConfig({});
    expect(config.wechat.mode).toBe('sandbox');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.orderPayTimeoutMinutes).toBe(30);
    expect(config.pgliteDir).toMatch(/\.data[/\\]pglite$/);
  });

  it('given a complete production environment, loads the merchant identity from the key files', () => {
    const config = loadConfig(production);
    expect(config.wechat.mode).toBe('merchant');
    if (config.wechat.mode !== 'merchant') throw new Error('unreachable');
    expect(config.wechat.credentials.mchid).toBe('1900000109');
    expect(config.wechat.credentials.mchPrivateKeyPem).toContain('PRIVATE KEY');
    expect(config.wechat.credentials.payBase).toBe('https://api.mch.weixin.qq.com');
  });

  it('takes the key mode from the keys: public key(s), none (platform certificates), or switching', () => {
    const load = (env: Record<string, string | undefined>) => {
      const config = loadConfig({ ...env });
      if (config.wechat.mode !== 'merchant') throw new Error('expected merchant mode');
      return config.wechat.credentials;
    };
    expect(load(merchant)).toMatchObject({
      keyMode: 'public-key',
      wechatpayPublicKeys: [{ id: merchant.WECHATPAY_PUBLIC_KEY_ID }],
    });
    expect(
      load({ ...merchant, WECHATPAY_PUBLIC_KEY_FILE: undefined, WECHATPAY_PUBLIC_KEY_ID: undefined }),
    ).toMatchObject({ keyMode: 'platform-cert', wechatpayPublicKeys: [] });
    expect(load({ ...merchant, WECHATPAY_KEY_MODE: 'switching' }).keyMode).toBe('switching');
    const two = load({
      ...merchant,
      WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_0100000000000000000000000002, PUB_KEY_ID_0100000000000000000000000001',
      WECHATPAY_PUBLIC_KEY_FILE: `${pubFile},${pubFile}`,
    });
    expect(two.wechatpayPublicKeys.map((k) => k.id)).toEqual([
      'PUB_KEY_ID_0100000000000000000000000002',
      'PUB_KEY_ID_0100000000000000000000000001',
    ]);
  });

  it('refuses sandbox mode in production', () => {
    expect(failure({ NODE_ENV: 'production' })).toMatch(/WECHATPAY_MCHID is required in production/);
  });

  it('hashes admin passwords at N=2^17 unless ADMIN_PASSWORD_SCRYPT_COST says otherwise, never lower in production', () => {
    expect(loadConfig({}).adminPasswordScryptCost).toBe(17);
    expect(loadConfig(production).adminPasswordScryptCost).toBe(17);
    expect(loadConfig({ ADMIN_PASSWORD_SCRYPT_COST: '12' }).adminPasswordScryptCost).toBe(12);
    expect(loadConfig({ ...production, ADMIN_PASSWORD_SCRYPT_COST: '18' }).adminPasswordScryptCost).toBe(18);
    expect(failure({ ...production, ADMIN_PASSWORD_SCRYPT_COST: '12' })).toBe(
      "ADMIN_PASSWORD_SCRYPT_COST may not be below 17 in production (OWASP's scrypt floor): unset it.",
    );
  });

  it('reads JOB_INTERVAL_MS and SANDBOX_TIME_SCALE', () => {
    expect(loadConfig({ JOB_INTERVAL_MS: '250' }).jobIntervalMs).toBe(250);
    expect(loadConfig({}).jobIntervalMs).toBe(30_000);
    const scaled = loadConfig({ SANDBOX_TIME_SCALE: '0.01' }).wechat;
    expect(scaled.mode === 'sandbox' && scaled.timeScale).toBe(0.01);
    const real = loadConfig({}).wechat;
    expect(real.mode === 'sandbox' && real.timeScale).toBe(1);
  });

  it('reads the abuse limits, with their documented defaults', () => {
    expect(loadConfig({}).limits).toEqual({
      maxUnpaidOrders: 5,
      maxUnitsPerSku: 20,
      ordersPerMinute: 10,
      paysPerMinute: 20,
      orderReadsPerMinute: 120,
      wechatQueriesPerMinute: 4,
      loginsPerClientPerMinute: 60,
      loginsPerMinute: 600,
    });
    const set = loadConfig({ SHOPPER_MAX_UNPAID_ORDERS: '2', LOGINS_PER_MINUTE: '1000' }).limits;
    expect([set.maxUnpaidOrders, set.loginsPerMinute]).toEqual([2, 1000]);
  });

  const jobInterval =
    'JOB_INTERVAL_MS must be a whole number from 50 to 86400000 (how often background jobs run, in milliseconds: e.g. 30000 for every 30 s)';
  const timeScale =
    'SANDBOX_TIME_SCALE must be a positive number, the speed of the sandbox clocks: 1 is real time, 0.01 runs its retry schedule 100 times faster';
  it.each([
    ['JOB_INTERVAL_MS', 'soon', jobInterval],
    ['JOB_INTERVAL_MS', '10', jobInterval],
    ['JOB_INTERVAL_MS', '1.5', jobInterval],
    ['JOB_INTERVAL_MS', '-100', jobInterval],
    ['JOB_INTERVAL_MS', '', jobInterval],
    ['SANDBOX_TIME_SCALE', 'fast', timeScale],
    ['SANDBOX_TIME_SCALE', '0', timeScale],
    ['SANDBOX_TIME_SCALE', '-1', timeScale],
    ['SANDBOX_TIME_SCALE', 'Infinity', timeScale],
    ['SANDBOX_TIME_SCALE', '', timeScale],
    [
      'ADMIN_PASSWORD_SCRYPT_COST',
      '9',
      expect.stringMatching(/^ADMIN_PASSWORD_SCRYPT_COST must be a whole number from 10 to 18 /),
    ],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace or silent'],
    ['JOBS_ENABLED', 'yes', 'JOBS_ENABLED must be true or false'],
    [
      'SHOPPER_MAX_UNPAID_ORDERS',
      '0',
      'SHOPPER_MAX_UNPAID_ORDERS must be a whole number from 1 to 1000 (how many open unpaid orders one shopper may hold)',
    ],
    [
      'SHOPPER_ORDERS_PER_MINUTE',
      'lots',
      'SHOPPER_ORDERS_PER_MINUTE must be a whole number from 1 to 1000000 (order placements per shopper per minute)',
    ],
  ])('%s=%j stops with one sentence a person can act on, not zod wording', (name, value, message) => {
    const text = failure({ [name]: value });
    expect(text).toEqual(message);
    expect(text).not.toMatch(/expected|received|Too small|Invalid input|NaN/);
  });

  it('the process exits with 78 and that sentence for a bad SANDBOX_TIME_SCALE', async () => {
    // the compiled BFF, as `start` runs it
    const { command, args } = await compiledBff();
    const result = spawnSync(command, args, {
      env: { PATH: process.env.PATH, SANDBOX_TIME_SCALE: '-1', JOB_INTERVAL_MS: '30000' },
      encoding: 'utf8',
      timeout: 150_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr.trim()).toBe(`uni-checkout BFF: configuration error: ${timeScale}`);
  }, 180_000);

  const cases: [Record<string, string | undefined>, RegExp][] = [
    [{ PORT: 'eighty' }, /PORT must be a port number/],
    [{ PORT: '70000' }, /PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgresql:\/\/ URL/],
    [{ WECHATPAY_BASE: 'ftp://x' }, /WECHATPAY_BASE must be an http\(s\) URL/],
    [{ WECHAT_API_BASE: 'not a url' }, /WECHAT_API_BASE must be an http\(s\) URL/],
    [{ ORDER_PAY_TIMEOUT_MINUTES: '0' }, /ORDER_PAY_TIMEOUT_MINUTES must be between 1 and 1440/],
    [{ ADMIN_USERNAME: 'root' }, /ADMIN_USERNAME and ADMIN_PASSWORD go together/],
    [{ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'short' }, /ADMIN_PASSWORD must be at least 10 characters/],
    [{ JWT_SECRET: 'abc' }, /JWT_SECRET must be at least 32 characters/],
    [{ ...merchant, WECHATPAY_APIV3_KEY: 'too-short' }, /WECHATPAY_APIV3_KEY must be exactly 32 bytes/],
    [
      { ...merchant, WECHATPAY_PUBLIC_KEY_FILE: undefined },
      /WECHATPAY_PUBLIC_KEY_FILE is required when WECHATPAY_PUBLIC_KEY_ID is set/,
    ],
    [
      { ...merchant, WECHATPAY_MCH_PRIVATE_KEY_FILE: '/nope/key.pem' },
      /WECHATPAY_MCH_PRIVATE_KEY_FILE points at \/nope\/key.pem, which cannot be read/,
    ],
    [
      { ...merchant, WECHATPAY_MCH_PRIVATE_KEY_FILE: pubFile },
      /WECHATPAY_MCH_PRIVATE_KEY_FILE .* is not a PEM private key/,
    ],
    [{ ...merchant, WECHATPAY_PUBLIC_KEY_ID: 'abc' }, /WECHATPAY_PUBLIC_KEY_ID must look like PUB_KEY_ID_/],
    [
      { ...merchant, WECHATPAY_PUBLIC_KEY_ID: 'PUB_KEY_ID_01,PUB_KEY_ID_02' },
      /WECHATPAY_PUBLIC_KEY_ID lists 2 ids but WECHATPAY_PUBLIC_KEY_FILE lists 1 files/,
    ],
    [
      {
        ...merchant,
        WECHATPAY_PUBLIC_KEY_FILE: undefined,
        WECHATPAY_PUBLIC_KEY_ID: undefined,
        WECHATPAY_KEY_MODE: 'switching',
      },
      /WECHATPAY_KEY_MODE=switching needs the WeChat Pay public key/,
    ],
    [
      { ...merchant, WECHATPAY_KEY_MODE: 'platform-cert' },
      /WECHATPAY_KEY_MODE=platform-cert but a WeChat Pay public key is set/,
    ],
    [{ ...merchant, WECHATPAY_KEY_MODE: 'both' }, /WECHATPAY_KEY_MODE must be public-key, platform-cert or switching/],
    [{ ...production, JWT_SECRET: undefined }, /JWT_SECRET is required in production/],
    [
      { ...production, PUBLIC_BASE_URL: 'http://shop.example.com' },
      /PUBLIC_BASE_URL must be an https:\/\/ origin in production/,
    ],
    [{ ...production, DATABASE_URL: undefined }, /DATABASE_URL is required in production/],
  ];
  it.each(cases.map(([env, message]) => [message.source, env, message] as const))(
    'stops with one sentence naming the variable: %s',
    (_name, env, message) => {
      expect(failure(env)).toMatch(message);
    },
  );

  it('the process exits with the sentence on stderr and no stack trace', async () => {
    const { command, args } = await compiledBff();
    const result = spawnSync(command, args, {
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
      encoding: 'utf8',
      timeout: 150_000,
    });
    expect(result.status).toBe(78);
    expect(result.stderr.trim()).toBe(
      'uni-checkout BFF: configuration error: WECHATPAY_MCHID is required in production (sandbox mode is refused when NODE_ENV=production): set the merchant variables from the README.',
    );
  }, 180_000);
});
