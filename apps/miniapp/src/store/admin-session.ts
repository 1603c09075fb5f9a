/**
 * The admin's session on this device: the short access token renewed with the single-use refresh
 * token, logout, and the redirect of admin pages to the login page. The request interceptors use it
 * on every admin call, so it is part of the main package; the admin pages' own stores live in the
 * pages-admin subpackage (pages-admin/store/admin.ts).
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { adminLogout, adminRefresh } from '../api/admin';
import type { RequestConfig } from '../api/http';
import { useUserStore } from './user';

export const ADMIN_LOGIN_PAGE = '/pages-admin/login/index';

let renewing: Promise<boolean> | null = null;

/**
 * The admin's short access token was refused: trade the single-use refresh token for a new pair —
 * once for any number of calls refused together — and answer whether to send the call again.
 * A refused refresh (the session was ended: logout, admin disabled) answers false: log in again.
 */
export function renewAdminSession(sent?: Pick<RequestConfig, 'header'>): Promise<boolean> {
  const user = useUserStore();
  // another call renewed the session meanwhile: send again with the new token
  if (sent && user.adminToken && sent.header.Authorization !== `Bearer ${user.adminToken}`) {
    return Promise.resolve(true);
  }
  const refreshToken = user.adminRefreshToken;
  if (!refreshToken) return Promise.resolve(false);
  renewing ??= adminRefresh(refreshToken)
    .then(
      (session) => {
        user.setAdminSession(session);
        return true;
      },
      () => false,
    )
    .finally(() => {
      renewing = null;
    });
  return renewing;
}

/** The admin's session: `logout()` ends it at the BFF and on this device. */
export const useAdminSessionStore = defineStore('admin-session', () => {
  const loggingOut = ref(false);
  const isAdmin = computed(() => useUserStore().isAdmin);

  /**
   * Ends the session at the BFF (its refresh token and every access token it issued stop working)
   * and forgets it here, then opens the login page. Offline, the session is forgotten here anyway.
   */
  async function logout(options: { goToLogin?: boolean } = {}): Promise<void> {
    const user = useUserStore();
    const refreshToken = user.adminRefreshToken;
    loggingOut.value = true;
    try {
      if (refreshToken) await adminLogout(refreshToken).catch(() => undefined);
    } finally {
      user.clearSession('admin');
      loggingOut.value = false;
    }
    if (options.goToLogin ?? true) uni.reLaunch({ url: ADMIN_LOGIN_PAGE });
  }

  return { isAdmin, loggingOut, logout };
});

/** Admin pages without an admin session go to the login page (and come back after it). */
export function requireAdminSession(here: string): boolean {
  if (useUserStore().isAdmin) return true;
  uni.redirectTo({ url: `${ADMIN_LOGIN_PAGE}?redirect=${encodeURIComponent(here)}` });
  return false;
}
