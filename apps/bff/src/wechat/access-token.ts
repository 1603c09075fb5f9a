/**
 * The mini-program's access_token (getStableAccessToken, POST /cgi-bin/stable_token), kept in the
 * database and shared by every BFF process.
 *
 * WeChat limits stable_token calls, and a forced refresh revokes every token handed out before, so
 * N processes must not each fetch their own: a process that finds the stored token about to expire
 * (or refused with 40001/42001) locks its row (SELECT … FOR UPDATE), looks again — another process
 * may have refreshed it meanwhile — and only then asks WeChat. Within one process, concurrent
 * callers share one refresh.
 */
import { z } from 'zod';
import type { PrismaClient } from '../db/index.js';
import { AppError } from '../errors.js';

/** Refresh this long before expiry (WeChat itself renews stable tokens 5 minutes early). */
export const DEFAULT_REFRESH_MARGIN_SECONDS = 300;

const tokenSchema = z.object({
  access_token: z.string().min(16).max(2048),
  expires_in: z.number().int().positive(),
});
const errorSchema = z.object({ errcode: z.number().int(), errmsg: z.string().optional() });

export interface AccessTokenOptions {
  prisma: PrismaClient;
  apiBase: string;
  appid: string;
  appsecret: string;
  /** per HTTP call; default 5000 ms */
  timeoutMs?: number;
  /** default 300 s; never more than a tenth of the token's lifetime */
  refreshMarginSeconds?: number;
  /** observes each stable_token call: 'issued' or `errcode_<n>` / 'unavailable' / 'bad_response' */
  onFetch?: (outcome: string) => void;
}

export interface AccessTokenSource {
  /** A token valid for at least the refresh margin, from the database or freshly fetched. */
  get(): Promise<string>;
  /** WeChat refused `rejected` (40001 / 42001): a new one, fetched once across all processes. */
  refreshAfterRejection(rejected: string): Promise<string>;
}

interface Stored {
  accessToken: string;
  expiresAt: Date;
  obtainedAt: Date;
}

export function createAccessTokenSource(opts: AccessTokenOptions): AccessTokenSource {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const marginMs = (opts.refreshMarginSeconds ?? DEFAULT_REFRESH_MARGIN_SECONDS) * 1000;
  let memo: Stored | null = null;
  let inflight: { key: string; promise: Promise<string> } | null = null;

  const usable = (s: Stored | null | undefined, now = Date.now()): s is Stored => {
    if (!s || s.accessToken === '') return false;
    const lifetime = s.expiresAt.getTime() - s.obtainedAt.getTime();
    return s.expiresAt.getTime() - Math.min(marginMs, lifetime / 10) > now;
  };

  async function fetchToken(forceRefresh: boolean): Promise<{ token: string; expiresInSeconds: number }> {
    let body: unknown;
    try {
      const res = await fetch(new URL('/cgi-bin/stable_token', opts.apiBase), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credential',
          appid: opts.appid,
          secret: opts.appsecret,
          ...(forceRefresh ? { force_refresh: true } : {}),
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
      body = await res.json();
    } catch {
      opts.onFetch?.('unavailable');
      throw new AppError('WECHAT_UNAVAILABLE', 502, 'WeChat access token service is unavailable, please retry', {
        retryable: true,
      });
    }
    const err = errorSchema.safeParse(body);
    if (err.success && err.data.errcode !== 0) {
      opts.onFetch?.(`errcode_${err.data.errcode}`);
      throw tokenErrcodeToAppError(err.data.errcode, err.data.errmsg ?? '');
    }
    const ok = tokenSchema.safeParse(body);
    if (!ok.success) {
      opts.onFetch?.('bad_response');
      throw new AppError(
        'WECHAT_UNAVAILABLE',
        502,
        'WeChat answered the access token request with something unexpected',
        {
          retryable: true,
        },
      );
    }
    opts.onFetch?.('issued');
    return { token: ok.data.access_token, expiresInSeconds: ok.data.expires_in };
  }

  /** Under the row lock: keep what another process stored, or fetch and store a new token. */
  async function refresh(rejected: string | null): Promise<string> {
    // The row must exist to be locked; a placeholder that is never usable.
    await opts.prisma.wechatAccessToken.createMany({
      data: [{ appid: opts.appid, accessToken: '', expiresAt: new Date(0), obtainedAt: new Date(0) }],
      skipDuplicates: true,
    });
    const stored = await opts.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<Stored[]>`
          SELECT "accessToken", "expiresAt", "obtainedAt" FROM "WechatAccessToken"
          WHERE "appid" = ${opts.appid} FOR UPDATE`;
        const row = rows[0];
        if (usable(row) && row.accessToken !== rejected) return row;
        let fetched = await fetchToken(false);
        // Normal mode hands back the current token while it is valid in WeChat's eyes; when WeChat
        // just refused that very token, only a forced refresh gets another.
        if (rejected !== null && fetched.token === rejected) fetched = await fetchToken(true);
        const obtainedAt = new Date();
        const next: Stored = {
          accessToken: fetched.token,
          obtainedAt,
          expiresAt: new Date(obtainedAt.getTime() + fetched.expiresInSeconds * 1000),
        };
        await tx.wechatAccessToken.update({ where: { appid: opts.appid }, data: next });
        return next;
      },
      // the lock is held across at most two stable_token calls
      { maxWait: 2 * timeoutMs + 5000, timeout: 2 * timeoutMs + 5000 },
    );
    memo = stored;
    return stored.accessToken;
  }

  function once(key: string, run: () => Promise<string>): Promise<string> {
    if (inflight?.key === key) return inflight.promise;
    const promise = run().finally(() => {
      if (inflight?.promise === promise) inflight = null;
    });
    inflight = { key, promise };
    return promise;
  }

  return {
    async get() {
      if (usable(memo)) return memo.accessToken;
      const row = await opts.prisma.wechatAccessToken.findUnique({ where: { appid: opts.appid } });
      if (usable(row)) {
        memo = row;
        return row.accessToken;
      }
      return once('refresh', () => refresh(null));
    },
    refreshAfterRejection(rejected) {
      if (memo?.accessToken === rejected) memo = null;
      return once(`rejected:${rejected}`, () => refresh(rejected));
    },
  };
}

function tokenErrcodeToAppError(errcode: number, errmsg: string): AppError {
  const details = { errcode, errmsg, retryable: false };
  switch (errcode) {
    case 40002:
    case 40013:
    case 40125:
    case 41002:
    case 41004:
    case 40164:
    case 40243:
      return new AppError(
        'WECHAT_CREDENTIALS_INVALID',
        502,
        `WeChat refused the mini-program credentials (errcode ${errcode}): check WECHAT_APPID and WECHAT_APPSECRET`,
        details,
      );
    case 45009:
    case 45011:
      return new AppError('WECHAT_RATE_LIMITED', 503, 'WeChat rate-limited the access token request', {
        ...details,
        retryable: true,
      });
    default:
      return new AppError('WECHAT_UNAVAILABLE', 502, `WeChat access token request failed (errcode ${errcode})`, {
        ...details,
        retryable: true,
      });
  }
}
