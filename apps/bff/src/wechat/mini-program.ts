/**
 * The mini-program side of WeChat: code2Session (小程序登录, GET /sns/jscode2session).
 * Its errcodes become stable AppErrors: a bad or reused code is the caller's 4xx,
 * WeChat being unreachable or busy is a 502.
 */
import { z } from 'zod';
import { AppError } from '../errors.js';

const sessionSchema = z.object({
  openid: z.string().min(1),
  session_key: z.string().optional(),
  unionid: z.string().optional(),
  errcode: z.literal(0).optional(),
});
const errorSchema = z.object({ errcode: z.number().int(), errmsg: z.string().optional() });

export interface MiniProgramSession {
  openid: string;
  unionid: string | undefined;
}

export interface MiniProgramClient {
  code2Session(code: string): Promise<MiniProgramSession>;
}

export function createMiniProgramClient(opts: {
  apiBase: string;
  appid: string;
  appsecret: string;
  timeoutMs?: number;
  onCall?: (outcome: string) => void;
}): MiniProgramClient {
  return {
    async code2Session(code) {
      const url = new URL('/sns/jscode2session', opts.apiBase);
      url.searchParams.set('appid', opts.appid);
      url.searchParams.set('secret', opts.appsecret);
      url.searchParams.set('js_code', code);
      url.searchParams.set('grant_type', 'authorization_code');
      let body: unknown;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
        if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
        body = await res.json();
      } catch {
        opts.onCall?.('unavailable');
        throw new AppError('WECHAT_UNAVAILABLE', 502, 'WeChat login service is unavailable, please retry');
      }
      const err = errorSchema.safeParse(body);
      if (err.success && err.data.errcode !== 0) {
        opts.onCall?.(`errcode_${err.data.errcode}`);
        throw errcodeToAppError(err.data.errcode);
      }
      const session = sessionSchema.safeParse(body);
      if (!session.success) {
        opts.onCall?.('bad_response');
        throw new AppError('WECHAT_UNAVAILABLE', 502, 'WeChat login service answered something unexpected');
      }
      opts.onCall?.('ok');
      return { openid: session.data.openid, unionid: session.data.unionid };
    },
  };
}

function errcodeToAppError(errcode: number): AppError {
  switch (errcode) {
    case 40029:
      return new AppError('WECHAT_CODE_INVALID', 400, 'the login code is invalid or expired: call uni.login again');
    case 40163:
      return new AppError('WECHAT_CODE_USED', 400, 'the login code was already used: call uni.login again');
    case 40226:
      return new AppError('FORBIDDEN', 403, 'WeChat blocked this login as high risk');
    case 45011:
      return new AppError('RATE_LIMITED', 429, 'too many logins, please retry in a minute');
    case 40013:
    case 40125:
    case 41002:
    case 41004:
      return new AppError(
        'WECHAT_CREDENTIALS_INVALID',
        400,
        'WeChat rejected the mini-program credentials: check WECHAT_APPID and WECHAT_APPSECRET',
      );
    case -1:
      return new AppError('WECHAT_UNAVAILABLE', 502, 'WeChat is busy, please retry');
    default:
      return new AppError('WECHAT_UNAVAILABLE', 502, `WeChat login failed (errcode ${errcode})`);
  }
}
