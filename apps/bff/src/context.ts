import type { Config, MerchantCredentials } from './config.js';
import type { Db, PrismaClient } from './db/index.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Limits } from './limits/index.js';
import type { TokenService } from './auth/tokens.js';
import type { MiniProgramClient } from './wechat/mini-program.js';
import type { WechatPayClient } from './payments/wechatpay-types.js';

/** Everything a route or use-case may need, built once by start(). */
export interface AppContext {
  config: Config;
  db: Db;
  prisma: PrismaClient;
  logger: Logger;
  metrics: Metrics;
  tokens: TokenService;
  /** rate limits and lock-outs (PostgreSQL-backed, shared by every process; in memory on PGlite) */
  limits: Limits;
  miniProgram: MiniProgramClient;
  /** WeChat Pay APIv3 (the real one, or the sandbox in sandbox mode) */
  wechatpay: WechatPayClient;
  /** the merchant identity in force (sandbox mode: the sandbox's) — never sent to clients */
  merchant: MerchantCredentials;
  wechatMode: 'merchant' | 'sandbox';
  /** public origin WeChat Pay notifies (notify_url = publicBaseUrl + /api/pay/notify/…) */
  publicBaseUrl: string;
  /** the sandbox's URL in sandbox mode (the h5 build uses its cashier) */
  sandboxUrl: string | undefined;
  now: () => Date;
}
