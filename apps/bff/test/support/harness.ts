/**
 * One purchase world for integration tests: a fresh database (PostgreSQL or PGlite), the WeChat Pay
 * sandbox on a free port, and the BFF started in merchant mode pointing at the sandbox — the same
 * code path as production, with WeChat replaced by the sandbox over real HTTP.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import {
  CREDENTIALS_FILE,
  createSandbox,
  type Sandbox,
  type SandboxCredentials,
} from '@uni-checkout/wechatpay-sandbox';
import type { WechatpayKeyMode } from '../../src/payments/wechatpay-keys.js';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { start, type RunningBff } from '../../src/index.js';
import type { DbKind } from '../../src/db/index.js';
import { createTestDb, provided } from './db.js';
import { GENEROUS_LIMITS } from './limits.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiClient {
  token: string | undefined;
  get<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  del<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

/**
 * A cursor-paged list read to its end, one array per page (each answer must be 200); `maxPages`
 * stops a list that never ends.
 */
export async function allPages<T>(client: ApiClient, path: string, maxPages = 50): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse<{ items: T[]; nextCursor: string | null }> = await client.get(
      cursor ? `${path}&cursor=${cursor}` : path,
    );
    expect(res.status).toBe(200);
    pages.push(res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor && pages.length < maxPages);
  return pages;
}

export function apiClient(baseUrl: string, token?: string): ApiClient {
  const call = async (method: string, p: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(baseUrl + p, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as any, headers: res.headers };
  };
  return {
    token,
    get: (p, h) => call('GET', p, undefined, h),
    post: (p, b, h) => call('POST', p, b, h),
    put: (p, b, h) => call('PUT', p, b, h),
    del: (p, h) => call('DELETE', p, undefined, h),
  };
}

export interface Harness {
  bff: RunningBff;
  sandbox: Sandbox;
  /** the environment the BFF was started with (merchant mode against the sandbox) */
  env: Record<string, string>;
  /** where the sandbox keeps its keys (wechatpay-private-key.pem: WeChat Pay's signing key) */
  sandboxStateDir: string;
  databaseUrl: string | undefined;
  /** every log line the BFF wrote, parsed */
  logs: Record<string, unknown>[];
  anonymous: ApiClient;
  /** logs a shopper in through jscode2session (`sandbox:<openid>` codes) */
  shopper(openid?: string): Promise<ApiClient & { openid: string }>;
  /** the bootstrap admin, logged in */
  admin(): Promise<ApiClient>;
  /** another BFF process on the same database and sandbox (multi-instance tests) */
  startAnotherBff(env?: Record<string, string>): Promise<RunningBff>;
  close(): Promise<void>;
}

/**
 * A sandbox state dir (`dir`, or a new one) holding the run's sandbox identity (global-setup.ts)
 * when there is one: a sandbox started on it skips generating its RSA keys, several seconds on a
 * busy machine. Each sandbox gets its own copy, so what one writes (certificates) no other sees.
 * `ownApp` gives the copy a mini-program of its own (a new appid and appsecret, as a newly
 * generated identity has), for tests that keep several sandboxes' access tokens in one database.
 * `certificates` copies the identity with a platform certificate and its CA already issued, for a
 * sandbox in a certificate mode (which would otherwise generate both at start).
 */
export function sandboxIdentityDir(
  dir = mkdtempSync(path.join(tmpdir(), 'uc-sandbox-')),
  opts: { ownApp?: boolean; certificates?: boolean } = {},
): string {
  const identity = provided(opts.certificates ? 'sandboxCertificateStateTemplate' : 'sandboxStateTemplate');
  if (!identity) return dir;
  cpSync(identity, dir, { recursive: true });
  if (opts.ownApp) {
    const file = path.join(dir, CREDENTIALS_FILE);
    const credentials = JSON.parse(readFileSync(file, 'utf8')) as SandboxCredentials;
    credentials.appid = `wx${randomBytes(8).toString('hex')}`;
    credentials.appsecret = randomBytes(16).toString('hex');
    writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
  }
  return dir;
}

export const ADMIN = { username: 'admin', password: 'correct-horse-battery' };

/**
 * ADMIN_PASSWORD_SCRYPT_COST for test BFFs: N=2^10, the lowest the configuration accepts, instead of
 * production's 2^17 — the same scrypt, ~128x cheaper. Every BFF start hashes twice (the bootstrap
 * admin and the stand-in hash that unknown usernames are checked against) and every admin login
 * once more. Production's cost is tested in passwords.test.ts and config.test.ts, the timing of
 * logins in admin-lockout.test.ts.
 */
export const TEST_SCRYPT_COST = '10';

export async function startHarness(
  opts: {
    db?: DbKind;
    env?: Record<string, string>;
    timeScale?: number;
    keyMode?: WechatpayKeyMode;
    /** The sandbox in another mode than the BFF (a misconfigured merchant). */
    sandboxKeyMode?: WechatpayKeyMode;
    /** the abuse limits as configured by default, instead of GENEROUS_LIMITS */
    defaultLimits?: boolean;
  } = {},
): Promise<Harness> {
  // The key mode of the merchant, for the sandbox and the BFF alike; TEST_WECHATPAY_KEY_MODE runs
  // any suite in another mode (public-key | platform-cert | switching).
  const keyMode = opts.keyMode ?? (process.env.TEST_WECHATPAY_KEY_MODE as WechatpayKeyMode | undefined) ?? 'public-key';
  const db = await createTestDb(opts.db ?? 'postgres', { seed: true });
  const stateDir = mkdtempSync(path.join(tmpdir(), 'uc-harness-'));
  // a state dir keeps the sandbox's WeChat Pay private key on disk, where tests can read it to
  // sign notifications of their own (forged, stale, mismatching)
  const sandboxKeyMode = opts.sandboxKeyMode ?? keyMode;
  const sandboxStateDir = sandboxIdentityDir(path.join(stateDir, 'sandbox'), {
    certificates: sandboxKeyMode !== 'public-key',
  });
  const sandbox = await createSandbox({
    port: 0,
    stateDir: sandboxStateDir,
    timeScale: opts.timeScale ?? 0.001,
    keyMode: sandboxKeyMode,
    // at timeScale 0.001 WeChat's one minute between partial refunds is 60 ms, which back-to-back
    // refunds in one test would hit; the rule itself is the sandbox's own tests' subject
    refundIntervalMs: 0,
  });
  const c = sandbox.credentials;
  const keyFile = path.join(stateDir, 'apiclient_key.pem');
  const pubFile = path.join(stateDir, 'wechatpay_pub.pem');
  writeFileSync(keyFile, c.merchantPrivateKeyPem, { mode: 0o600 });
  writeFileSync(pubFile, c.wechatpayPublicKeyPem);

  // an in-memory PGlite has no URL: it is handed to the BFF as an open database (same process)
  const handOver = db.databaseUrl ? {} : { db };
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'debug',
    DATA_DIR: stateDir,
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    MIGRATE_ON_START: 'false',
    JWT_SECRET: randomUUID() + randomUUID(),
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    WECHAT_APPID: c.appid,
    WECHAT_APPSECRET: c.appsecret,
    WECHAT_API_BASE: sandbox.url,
    WECHATPAY_MCHID: c.mchid,
    WECHATPAY_MCH_SERIAL: c.merchantSerialNo,
    WECHATPAY_MCH_PRIVATE_KEY_FILE: keyFile,
    WECHATPAY_APIV3_KEY: c.apiV3Key,
    // platform-certificate merchants hold no public key; switching ones hold both
    ...(keyMode === 'platform-cert'
      ? {}
      : { WECHATPAY_PUBLIC_KEY_FILE: pubFile, WECHATPAY_PUBLIC_KEY_ID: c.wechatpayPublicKeyId }),
    ...(keyMode === 'switching' ? { WECHATPAY_KEY_MODE: 'switching' } : {}),
    WECHATPAY_BASE: sandbox.url,
    JOBS_ENABLED: 'false',
    ADMIN_PASSWORD_SCRYPT_COST: TEST_SCRYPT_COST,
    // suites place many orders per shopper and log in many shoppers from loopback; the abuse
    // limits' own tests (test/hardening/) set them back to their defaults
    ...(opts.defaultLimits ? {} : GENEROUS_LIMITS),
    ...opts.env,
  };
  const logs: Record<string, unknown>[] = [];
  const sink = () =>
    new Writable({
      write(chunk, _enc, cb) {
        for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
        cb();
      },
    });
  const started: RunningBff[] = [];
  const bff = await start({ port: 0, env, logDestination: sink(), ...handOver });
  started.push(bff);
  const anonymous = apiClient(bff.url);

  return {
    bff,
    sandbox,
    sandboxStateDir,
    env,
    databaseUrl: db.databaseUrl,
    logs,
    anonymous,
    async shopper(openid = 'o' + randomUUID().replace(/-/g, '').slice(0, 27)) {
      const res = await anonymous.post('/api/auth/login', { code: `sandbox:${openid}` });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
      return Object.assign(apiClient(bff.url, res.body.token), { openid });
    },
    async admin() {
      const res = await anonymous.post('/api/admin/login', ADMIN);
      if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
      return apiClient(bff.url, res.body.token);
    },
    async startAnotherBff(extra = {}) {
      const another = await start({ port: 0, env: { ...env, ...extra }, logDestination: sink(), ...handOver });
      started.push(another);
      return another;
    },
    async close() {
      for (const s of started.reverse()) await s.stop();
      await sandbox.close();
      await db.close();
    },
  };
}

/**
 * The harness of one `describe` (or file): started before its tests, closed after them, the
 * sandbox's faults cleared before each test. The answer stands for the harness from `beforeAll` on.
 */
export function useHarness(opts?: Parameters<typeof startHarness>[0]): Harness {
  let current: Harness | undefined;
  beforeAll(async () => {
    current = await startHarness(opts);
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => {
    current?.sandbox.faults.reset();
  });
  return new Proxy({} as Harness, {
    get(_target, key) {
      if (!current) throw new Error(`harness.${String(key)} read before the harness started (outside a test or hook)`);
      return Reflect.get(current, key);
    },
  });
}
