/** The environment of a BFF a browser or mini-program test starts: sandbox mode, its own database and data folder. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { GENEROUS_LIMITS } from '../../../apps/bff/test/support/limits';

export function sandboxBffEnv(options: {
  dataDir: string;
  databaseUrl: string | undefined;
  admin: { username: string; password: string };
  /** the h5 site's origin, when a browser calls the BFF */
  corsOrigin?: string;
}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    DATA_DIR: options.dataDir,
    DATABASE_URL: options.databaseUrl,
    MIGRATE_ON_START: 'false',
    // sandbox mode: the BFF starts the sandbox and pays through it
    WECHATPAY_MCHID: undefined,
    SANDBOX_PORT: '0',
    SANDBOX_STATE_DIR: path.join(options.dataDir, 'sandbox'),
    // refunds settle (and notify) in tens of milliseconds instead of seconds
    SANDBOX_TIME_SCALE: '0.01',
    JOBS_ENABLED: 'false',
    JWT_SECRET: randomBytes(32).toString('hex'),
    // the flows log in and order from loopback, more often than the defaults allow one client
    ...GENEROUS_LIMITS,
    ...(options.corsOrigin ? { CORS_ORIGINS: options.corsOrigin } : {}),
    ADMIN_USERNAME: options.admin.username,
    ADMIN_PASSWORD: options.admin.password,
  };
}
