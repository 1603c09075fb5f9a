import { defineStore } from 'pinia';
import type { AdminLoginRequest } from '@uni-checkout/shared';
import { computed, ref } from 'vue';
import { adminLogin } from '../api/admin';

/** Storage keys are namespaced: several uni-app projects may share an h5 origin in development. */
const TOKEN_KEY = 'uni-checkout:token';
const ADMIN_TOKEN_KEY = 'uni-checkout:admin-token';

function readStored(key: string): string | null {
  try {
    const value: unknown = uni.getStorageSync(key);
    return typeof value === 'string' && value !== '' ? value : null;
  } catch {
    return null;
  }
}

function writeStored(key: string, value: string | null): void {
  try {
    if (value) uni.setStorageSync(key, value);
    else uni.removeStorageSync(key);
  } catch {
    // Storage full or unavailable (private browsing): the session still works until restart.
  }
}

export const useUserStore = defineStore('user', () => {
  /** The shopper's BFF session (a JWT from `POST /api/auth/login`). */
  const token = ref<string | null>(readStored(TOKEN_KEY));
  /** The admin's BFF session (from `POST /api/admin/login`), kept apart from the shopper's. */
  const adminToken = ref<string | null>(readStored(ADMIN_TOKEN_KEY));

  const isLoggedIn = computed(() => token.value !== null);
  const isAdmin = computed(() => adminToken.value !== null);

  function restore(): void {
    token.value = readStored(TOKEN_KEY);
    adminToken.value = readStored(ADMIN_TOKEN_KEY);
  }

  function setToken(value: string): void {
    token.value = value;
    writeStored(TOKEN_KEY, value);
  }

  function setAdminToken(value: string): void {
    adminToken.value = value;
    writeStored(ADMIN_TOKEN_KEY, value);
  }

  /** `POST /api/admin/login`; a wrong password rejects with the BFF's ApiError (already toasted). */
  async function loginAdmin(credentials: AdminLoginRequest): Promise<void> {
    const { token: issued } = await adminLogin(credentials);
    setAdminToken(issued);
  }

  function clearSession(which: 'user' | 'admin'): void {
    if (which === 'admin') {
      adminToken.value = null;
      writeStored(ADMIN_TOKEN_KEY, null);
    } else {
      token.value = null;
      writeStored(TOKEN_KEY, null);
    }
  }

  return { token, adminToken, isLoggedIn, isAdmin, restore, setToken, setAdminToken, loginAdmin, clearSession };
});
