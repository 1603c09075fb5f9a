import { defineStore } from 'pinia';
import type { AdminLoginRequest, AdminSession, User } from '@uni-checkout/shared';
import { computed, ref } from 'vue';
import { adminLogin } from '../api/admin';
import { loginWithCode } from '../api/auth';
import { ApiError } from '../api/http';
// #ifdef H5 || SANDBOX
import { getClientConfig } from '../api/client-config';
import { randomToken } from '../utils/random';
// #endif
import { readStored, writeStored } from '../utils/storage';

/** Storage keys are namespaced: several uni-app projects may share an h5 origin in development. */
const TOKEN_KEY = 'uni-checkout:token';
const OPENID_KEY = 'uni-checkout:openid';
const ADMIN_TOKEN_KEY = 'uni-checkout:admin-token';
const ADMIN_REFRESH_TOKEN_KEY = 'uni-checkout:admin-refresh-token';
/** h5 and the sandbox build: this device's made-up shopper, see `sandboxLoginCode`. */
const SANDBOX_OPENID_KEY = 'uni-checkout:sandbox-openid';

function readString(key: string): string | null {
  const value = readStored(key);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The mini-program's real login: a single-use code from WeChat, valid five minutes. */
function weixinLoginCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    uni.login({
      provider: 'weixin',
      success: (res) =>
        res.code ? resolve(res.code) : reject(new ApiError('LOGIN_FAILED', '微信登录失败，请稍后重试', 0, res.errMsg)),
      fail: (err) => reject(new ApiError('LOGIN_FAILED', '微信登录失败，请稍后重试', 0, err.errMsg)),
    });
  });
}

// #ifdef H5 || SANDBOX
/**
 * Against a BFF in sandbox mode (it says so in `GET /api/client-config`) the shopper logs in as
 * `sandbox:<openid>`, a code only the sandbox's jscode2session accepts — real WeChat refuses it —
 * with an openid made up once per device and kept in storage, so the shopper finds their orders
 * again after a reload or a restart. h5 has no `uni.login` at all; the mini-program's sandbox build
 * (WeChat DevTools against `pnpm dev`, no AppID of its own) gets codes from `uni.login` that no
 * sandbox can trade. Null when the BFF is in merchant mode.
 */
async function sandboxLoginCode(): Promise<string | null> {
  const config = await getClientConfig();
  if (config.wechatMode !== 'sandbox') return null;
  let openid = readString(SANDBOX_OPENID_KEY);
  if (!openid) {
    // #ifdef H5
    openid = `oH5${randomToken(25)}`;
    // #endif
    // #ifndef H5
    openid = `oDev${randomToken(24)}`;
    // #endif
    writeStored(SANDBOX_OPENID_KEY, openid);
  }
  return `sandbox:${openid}`;
}
// #endif

async function loginCode(): Promise<string> {
  // #ifdef H5
  const code = await sandboxLoginCode();
  if (code === null) throw new ApiError('LOGIN_UNAVAILABLE', '网页版仅用于沙箱演示，请在微信小程序中打开', 0);
  return code;
  // #endif
  // #ifdef SANDBOX
  return (await sandboxLoginCode()) ?? weixinLoginCode();
  // #endif
  // #ifndef H5 || SANDBOX
  return weixinLoginCode();
  // #endif
}

export const useUserStore = defineStore('user', () => {
  /** The shopper's BFF session (a JWT from `POST /api/auth/login`). */
  const token = ref<string | null>(readString(TOKEN_KEY));
  /** The shopper's openid (not a secret; the h5 pay sheet needs it as WeChat's client knows it). */
  const openid = ref<string | null>(readString(OPENID_KEY));
  /** The admin's BFF session (from `POST /api/admin/login`), kept apart from the shopper's. */
  const adminToken = ref<string | null>(readString(ADMIN_TOKEN_KEY));
  /** Single use: traded for a new pair when the short admin token expires (see store/admin.ts). */
  const adminRefreshToken = ref<string | null>(readString(ADMIN_REFRESH_TOKEN_KEY));

  const isLoggedIn = computed(() => token.value !== null);
  const isAdmin = computed(() => adminToken.value !== null);

  function restore(): void {
    token.value = readString(TOKEN_KEY);
    openid.value = readString(OPENID_KEY);
    adminToken.value = readString(ADMIN_TOKEN_KEY);
    adminRefreshToken.value = readString(ADMIN_REFRESH_TOKEN_KEY);
  }

  function setToken(value: string): void {
    token.value = value;
    writeStored(TOKEN_KEY, value);
  }

  function setAdminToken(value: string): void {
    adminToken.value = value;
    writeStored(ADMIN_TOKEN_KEY, value);
  }

  /** A login's or a refresh's answer: the access token and the refresh token that replaces the last. */
  function setAdminSession(session: Pick<AdminSession, 'token' | 'refreshToken'>): void {
    setAdminToken(session.token);
    adminRefreshToken.value = session.refreshToken;
    writeStored(ADMIN_REFRESH_TOKEN_KEY, session.refreshToken);
  }

  let loggingIn: Promise<string> | null = null;

  /**
   * The shopper's token, logging in first when there is none: `uni.login` → `POST /api/auth/login`.
   * Concurrent callers share one login (a WeChat code is single-use).
   */
  function ensureLogin(): Promise<string> {
    if (token.value) return Promise.resolve(token.value);
    loggingIn ??= (async () => {
      try {
        const session = await loginWithCode(await loginCode());
        setToken(session.token);
        setOpenid(session.user);
        return session.token;
      } finally {
        loggingIn = null;
      }
    })();
    return loggingIn;
  }

  function setOpenid(user: User): void {
    openid.value = user.openid;
    writeStored(OPENID_KEY, user.openid);
  }

  /** `POST /api/admin/login`; a wrong password rejects with the BFF's ApiError (already toasted). */
  async function loginAdmin(credentials: AdminLoginRequest): Promise<void> {
    setAdminSession(await adminLogin(credentials));
  }

  function clearSession(which: 'user' | 'admin'): void {
    if (which === 'admin') {
      adminToken.value = null;
      adminRefreshToken.value = null;
      writeStored(ADMIN_TOKEN_KEY, null);
      writeStored(ADMIN_REFRESH_TOKEN_KEY, null);
    } else {
      token.value = null;
      writeStored(TOKEN_KEY, null);
    }
  }

  return {
    token,
    openid,
    adminToken,
    adminRefreshToken,
    isLoggedIn,
    isAdmin,
    restore,
    setToken,
    setAdminToken,
    setAdminSession,
    ensureLogin,
    loginAdmin,
    clearSession,
  };
});
