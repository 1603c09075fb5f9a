/**
 * Rate limits and lock-outs, counted by rate-limiter-flexible. On PostgreSQL the counters live in
 * the table "RateLimit" (migration `rate_limit`; the library's own layout, never created at run
 * time), so every BFF process on the database sees the same counts; on the embedded PGlite (one
 * process by construction) they live in memory. Should PostgreSQL fail mid-count, each process
 * falls back to its own in-memory counters (the library's insurance limiter) rather than answering
 * 500 or letting everything through.
 */
import type { RequestHandler, Request } from 'express';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { LimitsConfig } from '../config.js';
import { dbDriver, type Db } from '../db/index.js';
import { AppError } from '../errors.js';

export const RATE_LIMIT_TABLE = 'RateLimit';

/** Admin login: attempts per client per minute; failures per account and client before a lock. */
export const ADMIN_LOGIN_ATTEMPTS_PER_MINUTE = 10;
export const ADMIN_MAX_FAILED_LOGINS = 5;
export const ADMIN_LOCK_MINUTES = 15;

export interface LimitVerdict {
  allowed: boolean;
  /** points used in the current window, this call's included */
  used: number;
  /** until the window ends (0 when allowed and nothing is owed) */
  retryAfterMs: number;
}

/** One named counter: `points` per `durationSeconds` per key. */
export interface Limiter {
  readonly name: string;
  readonly points: number;
  /** Counts one (or `points`) against `key`; refused once the window's allowance is used up. */
  take(key: string, points?: number): Promise<LimitVerdict>;
  /** Points `key` has used in its current window. */
  used(key: string): Promise<number>;
  /** Gives points back (an attempt that should not use up the allowance, such as a success). */
  giveBack(key: string, points?: number): Promise<void>;
  /** Forgets `key` (its window starts afresh). */
  reset(key: string): Promise<void>;
}

export interface Limits {
  store: 'postgres' | 'memory';
  shopperOrders: Limiter;
  shopperPays: Limiter;
  shopperOrderReads: Limiter;
  shopperWechatQueries: Limiter;
  loginsPerClient: Limiter;
  logins: Limiter;
  adminLoginAttempts: Limiter;
  /** failed admin logins per account and client: a lock of that pair only */
  adminLoginFailures: Limiter;
}

function wrap(name: string, points: number, limiter: RateLimiterAbstract): Limiter {
  return {
    name,
    points,
    async take(key, n = 1) {
      try {
        const res = await limiter.consume(key, n);
        return { allowed: true, used: res.consumedPoints, retryAfterMs: 0 };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return { allowed: false, used: rejection.consumedPoints, retryAfterMs: Math.max(rejection.msBeforeNext, 1) };
      }
    },
    async used(key) {
      return (await limiter.get(key))?.consumedPoints ?? 0;
    },
    async giveBack(key, n = 1) {
      await limiter.reward(key, n);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}

export function createLimits(db: Db, config: LimitsConfig): Limits {
  const driver = dbDriver(db);
  // one limiter per process deletes long-expired rows (every 5 minutes, for the whole table)
  let sweeps = true;
  const make = (name: string, points: number, durationSeconds: number): Limiter => {
    const opts = { keyPrefix: name, points, duration: durationSeconds };
    const limiter =
      driver.kind === 'postgres'
        ? new RateLimiterPostgres({
            ...opts,
            storeClient: driver.pool,
            storeType: 'pool',
            tableName: RATE_LIMIT_TABLE,
            tableCreated: true,
            clearExpiredByTimeout: sweeps,
            insuranceLimiter: new RateLimiterMemory(opts),
          })
        : new RateLimiterMemory(opts);
    sweeps = false;
    return wrap(name, points, limiter);
  };
  return {
    store: driver.kind === 'postgres' ? 'postgres' : 'memory',
    shopperOrders: make('shopper-orders', config.ordersPerMinute, 60),
    shopperPays: make('shopper-pays', config.paysPerMinute, 60),
    shopperOrderReads: make('shopper-order-reads', config.orderReadsPerMinute, 60),
    shopperWechatQueries: make('shopper-wechat-queries', config.wechatQueriesPerMinute, 60),
    loginsPerClient: make('logins-client', config.loginsPerClientPerMinute, 60),
    logins: make('logins', config.loginsPerMinute, 60),
    adminLoginAttempts: make('admin-login-client', ADMIN_LOGIN_ATTEMPTS_PER_MINUTE, 60),
    adminLoginFailures: make('admin-login-failures', ADMIN_MAX_FAILED_LOGINS, ADMIN_LOCK_MINUTES * 60),
  };
}

export function rateLimitedError(verdict: LimitVerdict, message: string): AppError {
  return new AppError('RATE_LIMITED', 429, message, { retryAfterSeconds: Math.ceil(verdict.retryAfterMs / 1000) });
}

/** Takes one from each limiter in turn (stopping at the first refusal); throws 429 RATE_LIMITED. */
export async function enforce(checks: [Limiter, string][], message: string): Promise<void> {
  for (const [limiter, key] of checks) {
    const verdict = await limiter.take(key);
    if (!verdict.allowed) throw rateLimitedError(verdict, message);
  }
}

/** Route middleware: one point per request against the key `keyOf` names. */
export function rateLimit(limiter: Limiter, keyOf: (req: Request) => string, message: string): RequestHandler {
  return async (req, _res, next) => {
    await enforce([[limiter, keyOf(req)]], message);
    next();
  };
}

/** The client's address as Express sees it (X-Forwarded-For only from the proxies TRUST_PROXY names). */
export const clientOf = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
