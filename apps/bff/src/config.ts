/**
 * The BFF's configuration, parsed once at boot. A wrong or missing value stops the process with
 * one sentence naming the variable and the fix (ConfigError), never a stack trace.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { workspaceRoot } from './paths.js';

/** How WeChat Pay's signatures are checked (see payments/wechatpay-keys.ts). */
export type WechatpayKeyMode = 'public-key' | 'platform-cert' | 'switching';

/** A 微信支付公钥 from the configuration, by its `PUB_KEY_ID_…`. */
export interface WechatpayPublicKey {
  id: string;
  pem: string;
}

/** log2 of scrypt's N: OWASP's scrypt floor is N=2^17, r=8, p=1 (the production default and minimum) */
export const DEFAULT_SCRYPT_COST = 17;
export const SCRYPT_COST_MIN = 10;
export const SCRYPT_COST_MAX = 18;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface MerchantCredentials {
  appid: string;
  appsecret: string;
  /** jscode2session origin */
  apiBase: string;
  mchid: string;
  mchSerial: string;
  mchPrivateKeyPem: string;
  apiV3Key: string;
  /**
   * How WeChat Pay signs for this merchant: public key(s) only, platform certificates only
   * (downloaded from GET /v3/certificates), or both while switching from one to the other.
   */
  keyMode: WechatpayKeyMode;
  /** The WeChat Pay public keys (微信支付公钥), first one current; empty in platform-certificate mode. */
  wechatpayPublicKeys: WechatpayPublicKey[];
  /** WeChat Pay APIv3 origin */
  payBase: string;
}

export type WechatConfig =
  | { mode: 'merchant'; credentials: MerchantCredentials }
  | {
      mode: 'sandbox';
      sandboxPort: number;
      sandboxStateDir: string;
      timeScale: number;
      /** how the in-process sandbox signs (SANDBOX_KEY_MODE); the BFF follows it */
      sandboxKeyMode: WechatpayKeyMode;
    };

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  databaseUrl: string | undefined;
  pgliteDir: string;
  dataDir: string;
  /** undefined: derived from the listening address (sandbox mode only) */
  publicBaseUrl: string | undefined;
  corsOrigins: string[];
  /** /metrics needs `Authorization: Bearer <it>` when set */
  metricsToken: string | undefined;
  /** Express "trust proxy" list; empty: X-Forwarded-For is never believed */
  trustProxy: string[];
  jwtSecret: string | undefined;
  admin: { username: string; password: string } | undefined;
  orderPayTimeoutMinutes: number;
  migrateOnStart: boolean;
  jobsEnabled: boolean;
  jobIntervalMs: number;
  /** log2 of scrypt's N for new admin password hashes */
  adminPasswordScryptCost: number;
  /** a shipped order counts as received this many days after shipping, whatever WeChat says */
  autoReceiveDays: number;
  /** first retry delay of a failed shipping-info upload; doubles per attempt up to an hour */
  shippingRetryBaseMs: number;
  /** abuse limits: per shopper, per client and in total (README "Abuse limits") */
  limits: LimitsConfig;
  logLevel: string;
  wechat: WechatConfig;
}

export interface LimitsConfig {
  /** open unpaid orders one shopper may hold */
  maxUnpaidOrders: number;
  /** units of one SKU over a shopper's open unpaid orders, the new one included */
  maxUnitsPerSku: number;
  /** per shopper, per minute */
  ordersPerMinute: number;
  paysPerMinute: number;
  orderReadsPerMinute: number;
  /** how often one shopper's order reads may ask WeChat Pay about unpaid orders, per minute */
  wechatQueriesPerMinute: number;
  /** POST /api/auth/login per client (IP) and in total, per minute, checked before jscode2session */
  loginsPerClientPerMinute: number;
  loginsPerMinute: number;
}

type Env = Record<string, string | undefined>;

const httpUrl = (name: string) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, `${name} must be an http(s) URL such as https://api.example.com`)
    .transform((v) => v.replace(/\/+$/, ''));

const port = (name: string, dflt: number) =>
  z.coerce
    .number({ message: `${name} must be a port number` })
    .int(`${name} must be a whole number`)
    .min(0, `${name} must be between 0 and 65535`)
    .max(65535, `${name} must be between 0 and 65535`)
    .default(dflt);

/** An integer variable in [min, max]; `what` tells a person what it means, for the error sentence. */
const wholeNumber = (name: string, min: number, max: number, what: string) =>
  z
    .string()
    .trim()
    .refine(
      (v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max,
      `${name} must be a whole number from ${min} to ${max} (${what})`,
    )
    .transform(Number);

const perMinute = (name: string, what: string) => wholeNumber(name, 1, 1_000_000, `${what} per minute`);

const trueOrFalse = (name: string) =>
  z.enum(['true', 'false'], { message: `${name} must be true or false` }).optional();

const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], {
      message: 'NODE_ENV must be development, production or test',
    })
    .default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port('PORT', 3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgresql:// URL, or unset for the embedded PGlite database')
    .optional(),
  PGLITE_DIR: z.string().optional(),
  DATA_DIR: z.string().optional(),
  PUBLIC_BASE_URL: httpUrl('PUBLIC_BASE_URL').optional(),
  CORS_ORIGINS: z.string().optional(),
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  // Express "trust proxy": the proxies (addresses, CIDRs or loopback/linklocal/uniquelocal) whose
  // X-Forwarded-For is believed; unset, none is, and the client is the socket's peer
  TRUST_PROXY: z.string().optional(),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters (try: openssl rand -hex 32)').optional(),
  ADMIN_USERNAME: z
    .string()
    .min(1, 'ADMIN_USERNAME must be 1 to 64 characters')
    .max(64, 'ADMIN_USERNAME must be 1 to 64 characters')
    .optional(),
  ADMIN_PASSWORD: z.string().min(10, 'ADMIN_PASSWORD must be at least 10 characters').optional(),
  ADMIN_PASSWORD_SCRYPT_COST: wholeNumber(
    'ADMIN_PASSWORD_SCRYPT_COST',
    SCRYPT_COST_MIN,
    SCRYPT_COST_MAX,
    `the base-2 logarithm of scrypt's N; ${DEFAULT_SCRYPT_COST} (N=2^${DEFAULT_SCRYPT_COST}) is the default`,
  ).default(DEFAULT_SCRYPT_COST),
  ORDER_PAY_TIMEOUT_MINUTES: z.coerce
    .number({ message: 'ORDER_PAY_TIMEOUT_MINUTES must be a number of minutes' })
    .int('ORDER_PAY_TIMEOUT_MINUTES must be a whole number of minutes')
    .min(1, 'ORDER_PAY_TIMEOUT_MINUTES must be between 1 and 1440')
    .max(1440, 'ORDER_PAY_TIMEOUT_MINUTES must be between 1 and 1440')
    .default(30),
  MIGRATE_ON_START: trueOrFalse('MIGRATE_ON_START'),
  JOBS_ENABLED: trueOrFalse('JOBS_ENABLED'),
  JOB_INTERVAL_MS: wholeNumber(
    'JOB_INTERVAL_MS',
    50,
    24 * 3600_000,
    'how often background jobs run, in milliseconds: e.g. 30000 for every 30 s',
  ).default(30_000),
  AUTO_RECEIVE_DAYS: z.coerce
    .number({ message: 'AUTO_RECEIVE_DAYS must be a number of days' })
    .min(0, 'AUTO_RECEIVE_DAYS must be between 0 and 90')
    .max(90, 'AUTO_RECEIVE_DAYS must be between 0 and 90')
    .default(10),
  SHIPPING_RETRY_BASE_MS: z.coerce
    .number({ message: 'SHIPPING_RETRY_BASE_MS must be a number of milliseconds' })
    .int('SHIPPING_RETRY_BASE_MS must be a whole number of milliseconds')
    .min(0, 'SHIPPING_RETRY_BASE_MS must be between 0 and 3600000')
    .max(3_600_000, 'SHIPPING_RETRY_BASE_MS must be between 0 and 3600000')
    .default(30_000),
  SHOPPER_MAX_UNPAID_ORDERS: wholeNumber(
    'SHOPPER_MAX_UNPAID_ORDERS',
    1,
    1000,
    'how many open unpaid orders one shopper may hold',
  ).default(5),
  SHOPPER_MAX_UNITS_PER_SKU: wholeNumber(
    'SHOPPER_MAX_UNITS_PER_SKU',
    1,
    100_000,
    "how many units of one SKU a shopper's open unpaid orders may hold together",
  ).default(20),
  SHOPPER_ORDERS_PER_MINUTE: perMinute('SHOPPER_ORDERS_PER_MINUTE', 'order placements per shopper').default(10),
  SHOPPER_PAYS_PER_MINUTE: perMinute('SHOPPER_PAYS_PER_MINUTE', 'pay requests per shopper').default(20),
  SHOPPER_ORDER_READS_PER_MINUTE: perMinute(
    'SHOPPER_ORDER_READS_PER_MINUTE',
    'reads of one order page per shopper',
  ).default(120),
  SHOPPER_WECHAT_QUERIES_PER_MINUTE: perMinute(
    'SHOPPER_WECHAT_QUERIES_PER_MINUTE',
    "WeChat Pay queries one shopper's order reads may cause",
  ).default(4),
  LOGINS_PER_CLIENT_PER_MINUTE: perMinute('LOGINS_PER_CLIENT_PER_MINUTE', 'shopper logins per client address').default(
    60,
  ),
  LOGINS_PER_MINUTE: perMinute('LOGINS_PER_MINUTE', 'shopper logins in total, all clients together').default(600),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace or silent',
    })
    .default('info'),
  WECHAT_APPID: z
    .string()
    .regex(/^wx[0-9a-f]{16}$/, 'WECHAT_APPID must look like wx followed by 16 hex digits')
    .optional(),
  WECHAT_APPSECRET: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'WECHAT_APPSECRET must be the 32 hex digit AppSecret')
    .optional(),
  WECHAT_API_BASE: httpUrl('WECHAT_API_BASE').default('https://api.weixin.qq.com'),
  WECHATPAY_MCHID: z
    .string()
    .regex(/^\d{8,10}$/, 'WECHATPAY_MCHID must be the merchant id, 8-10 digits')
    .optional(),
  WECHATPAY_MCH_SERIAL: z
    .string()
    .regex(/^[0-9A-Fa-f]{8,40}$/, 'WECHATPAY_MCH_SERIAL must be the hex serial number of the merchant API certificate')
    .optional(),
  WECHATPAY_MCH_PRIVATE_KEY_FILE: z.string().optional(),
  WECHATPAY_APIV3_KEY: z.string().optional(),
  WECHATPAY_PUBLIC_KEY_FILE: z.string().optional(),
  WECHATPAY_KEY_MODE: z
    .enum(['public-key', 'platform-cert', 'switching'], {
      message:
        'WECHATPAY_KEY_MODE must be public-key, platform-cert or switching (or unset: decided by WECHATPAY_PUBLIC_KEY_FILE/_ID)',
    })
    .optional(),
  WECHATPAY_PUBLIC_KEY_ID: z
    .string()
    .regex(
      /^PUB_KEY_ID_\w+(\s*,\s*PUB_KEY_ID_\w+)*$/,
      'WECHATPAY_PUBLIC_KEY_ID must look like PUB_KEY_ID_0112345678… (several: comma-separated, in the order of WECHATPAY_PUBLIC_KEY_FILE)',
    )
    .optional(),
  WECHATPAY_BASE: httpUrl('WECHATPAY_BASE').default('https://api.mch.weixin.qq.com'),
  SANDBOX_PORT: port('SANDBOX_PORT', 9800),
  SANDBOX_STATE_DIR: z.string().optional(),
  SANDBOX_TIME_SCALE: z
    .string()
    .trim()
    .refine(
      (v) => v !== '' && Number.isFinite(Number(v)) && Number(v) > 0,
      'SANDBOX_TIME_SCALE must be a positive number, the speed of the sandbox clocks: 1 is real time, 0.01 runs its retry schedule 100 times faster',
    )
    .transform(Number)
    .default(1),
  SANDBOX_KEY_MODE: z
    .enum(['public-key', 'platform-cert', 'switching'], {
      message: 'SANDBOX_KEY_MODE must be public-key, platform-cert or switching',
    })
    .default('public-key'),
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const name = issue.path.join('.');
  return issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`;
}

function readPem(variable: string, file: string, kind: 'private' | 'public'): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`${variable} points at ${file}, which cannot be read: give the path of the PEM file.`);
  }
  try {
    if (kind === 'private') createPrivateKey(pem);
    else createPublicKey(pem);
  } catch {
    throw new ConfigError(
      `${variable} (${file}) is not a PEM ${kind} key: download it again from the merchant platform.`,
    );
  }
  return pem;
}

const MERCHANT_VARS = [
  'WECHAT_APPID',
  'WECHAT_APPSECRET',
  'WECHATPAY_MCHID',
  'WECHATPAY_MCH_SERIAL',
  'WECHATPAY_MCH_PRIVATE_KEY_FILE',
  'WECHATPAY_APIV3_KEY',
] as const;

/**
 * The key mode from the configuration: public key(s) set → public-key mode (switching with
 * WECHATPAY_KEY_MODE=switching); none → platform-certificate mode. Several public keys (a rotation)
 * are comma-separated lists of ids and files, in the same order.
 */
function merchantKeys(e: {
  WECHATPAY_KEY_MODE?: WechatpayKeyMode | undefined;
  WECHATPAY_PUBLIC_KEY_FILE?: string | undefined;
  WECHATPAY_PUBLIC_KEY_ID?: string | undefined;
}): { keyMode: WechatpayKeyMode; wechatpayPublicKeys: WechatpayPublicKey[] } {
  const split = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const ids = split(e.WECHATPAY_PUBLIC_KEY_ID);
  const files = split(e.WECHATPAY_PUBLIC_KEY_FILE);
  if (ids.length === 0 && files.length > 0)
    throw new ConfigError(
      'WECHATPAY_PUBLIC_KEY_ID is required when WECHATPAY_PUBLIC_KEY_FILE is set: give the PUB_KEY_ID_… shown beside the public key in the merchant platform.',
    );
  if (files.length === 0 && ids.length > 0)
    throw new ConfigError(
      'WECHATPAY_PUBLIC_KEY_FILE is required when WECHATPAY_PUBLIC_KEY_ID is set: give the path of pub_key.pem downloaded from the merchant platform.',
    );
  if (ids.length !== files.length)
    throw new ConfigError(
      `WECHATPAY_PUBLIC_KEY_ID lists ${ids.length} ids but WECHATPAY_PUBLIC_KEY_FILE lists ${files.length} files: give one file per id, in the same order.`,
    );
  const publicKeys = ids.map((id, i) => ({ id, pem: readPem('WECHATPAY_PUBLIC_KEY_FILE', files[i]!, 'public') }));
  const mode = e.WECHATPAY_KEY_MODE ?? (publicKeys.length > 0 ? 'public-key' : 'platform-cert');
  if (mode !== 'platform-cert' && publicKeys.length === 0)
    throw new ConfigError(
      `WECHATPAY_KEY_MODE=${mode} needs the WeChat Pay public key: set WECHATPAY_PUBLIC_KEY_FILE and WECHATPAY_PUBLIC_KEY_ID.`,
    );
  if (mode === 'platform-cert' && publicKeys.length > 0)
    throw new ConfigError(
      'WECHATPAY_KEY_MODE=platform-cert but a WeChat Pay public key is set: unset WECHATPAY_PUBLIC_KEY_FILE/_ID, or use WECHATPAY_KEY_MODE=switching to accept both.',
    );
  return { keyMode: mode, wechatpayPublicKeys: publicKeys };
}

/** Parses and checks the environment; throws ConfigError with one actionable sentence. */
export function loadConfig(env: Env = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(firstIssue(parsed.error));
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const root = workspaceRoot();
  const dataDir = path.resolve(e.DATA_DIR ?? path.join(root, '.data'));

  let wechat: WechatConfig;
  if (e.WECHATPAY_MCHID) {
    for (const name of MERCHANT_VARS) {
      if (!e[name])
        throw new ConfigError(
          `${name} is required when WECHATPAY_MCHID is set: see the configuration table in README.md.`,
        );
    }
    if (Buffer.byteLength(e.WECHATPAY_APIV3_KEY!, 'utf8') !== 32) {
      throw new ConfigError(
        'WECHATPAY_APIV3_KEY must be exactly 32 bytes: copy the APIv3 key (APIv3密钥) set in the merchant platform.',
      );
    }
    wechat = {
      mode: 'merchant',
      credentials: {
        appid: e.WECHAT_APPID!,
        appsecret: e.WECHAT_APPSECRET!,
        apiBase: e.WECHAT_API_BASE,
        mchid: e.WECHATPAY_MCHID,
        mchSerial: e.WECHATPAY_MCH_SERIAL!.toUpperCase(),
        mchPrivateKeyPem: readPem('WECHATPAY_MCH_PRIVATE_KEY_FILE', e.WECHATPAY_MCH_PRIVATE_KEY_FILE!, 'private'),
        apiV3Key: e.WECHATPAY_APIV3_KEY!,
        ...merchantKeys(e),
        payBase: e.WECHATPAY_BASE,
      },
    };
  } else if (production) {
    throw new ConfigError(
      'WECHATPAY_MCHID is required in production (sandbox mode is refused when NODE_ENV=production): set the merchant variables from the README.',
    );
  } else {
    wechat = {
      mode: 'sandbox',
      sandboxPort: e.SANDBOX_PORT,
      sandboxStateDir: path.resolve(e.SANDBOX_STATE_DIR ?? path.join(dataDir, 'sandbox')),
      timeScale: e.SANDBOX_TIME_SCALE,
      sandboxKeyMode: e.SANDBOX_KEY_MODE,
    };
  }

  if (production) {
    if (!e.JWT_SECRET)
      throw new ConfigError(
        'JWT_SECRET is required in production: set it to a random string of at least 32 characters (openssl rand -hex 32).',
      );
    if (!e.PUBLIC_BASE_URL)
      throw new ConfigError(
        'PUBLIC_BASE_URL is required in production: set it to the public https origin WeChat Pay will send notifications to.',
      );
    if (!e.PUBLIC_BASE_URL.startsWith('https://'))
      throw new ConfigError(
        'PUBLIC_BASE_URL must be an https:// origin in production: WeChat Pay only notifies https URLs.',
      );
    if (e.ADMIN_PASSWORD_SCRYPT_COST < DEFAULT_SCRYPT_COST)
      throw new ConfigError(
        `ADMIN_PASSWORD_SCRYPT_COST may not be below ${DEFAULT_SCRYPT_COST} in production (OWASP's scrypt floor): unset it.`,
      );
    if (!e.DATABASE_URL)
      throw new ConfigError(
        'DATABASE_URL is required in production: the embedded PGlite database is for development only.',
      );
  }
  if ((e.ADMIN_USERNAME === undefined) !== (e.ADMIN_PASSWORD === undefined)) {
    throw new ConfigError(
      'ADMIN_USERNAME and ADMIN_PASSWORD go together: set both to create the bootstrap admin, or neither.',
    );
  }

  const corsOrigins = (e.CORS_ORIGINS ?? (production ? '' : 'http://127.0.0.1:5173,http://localhost:5173'))
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);

  return {
    nodeEnv: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    databaseUrl: e.DATABASE_URL,
    pgliteDir: path.resolve(e.PGLITE_DIR ?? path.join(dataDir, 'pglite')),
    dataDir,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    corsOrigins,
    metricsToken: e.METRICS_TOKEN,
    trustProxy: (e.TRUST_PROXY ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    jwtSecret: e.JWT_SECRET,
    admin:
      e.ADMIN_USERNAME && e.ADMIN_PASSWORD ? { username: e.ADMIN_USERNAME, password: e.ADMIN_PASSWORD } : undefined,
    orderPayTimeoutMinutes: e.ORDER_PAY_TIMEOUT_MINUTES,
    migrateOnStart: e.MIGRATE_ON_START ? e.MIGRATE_ON_START === 'true' : !production,
    jobsEnabled: e.JOBS_ENABLED ? e.JOBS_ENABLED === 'true' : e.NODE_ENV !== 'test',
    jobIntervalMs: e.JOB_INTERVAL_MS,
    adminPasswordScryptCost: e.ADMIN_PASSWORD_SCRYPT_COST,
    autoReceiveDays: e.AUTO_RECEIVE_DAYS,
    shippingRetryBaseMs: e.SHIPPING_RETRY_BASE_MS,
    limits: {
      maxUnpaidOrders: e.SHOPPER_MAX_UNPAID_ORDERS,
      maxUnitsPerSku: e.SHOPPER_MAX_UNITS_PER_SKU,
      ordersPerMinute: e.SHOPPER_ORDERS_PER_MINUTE,
      paysPerMinute: e.SHOPPER_PAYS_PER_MINUTE,
      orderReadsPerMinute: e.SHOPPER_ORDER_READS_PER_MINUTE,
      wechatQueriesPerMinute: e.SHOPPER_WECHAT_QUERIES_PER_MINUTE,
      loginsPerClientPerMinute: e.LOGINS_PER_CLIENT_PER_MINUTE,
      loginsPerMinute: e.LOGINS_PER_MINUTE,
    },
    logLevel: e.LOG_LEVEL,
    wechat,
  };
}
