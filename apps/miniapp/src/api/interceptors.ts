import { getApiBase } from './config';
import { addErrorInterceptor, addRequestInterceptor, setSessionExpiredHandler } from './http';
import { useUserStore } from '../store/user';
import { renewAdminSession } from '../store/admin-session';

let installed = false;

/** Registers the app's interceptors; called once after pinia is installed (the token lives there). */
export function installHttpInterceptors(): void {
  if (installed) return;
  installed = true;

  addRequestInterceptor((config) => {
    if (/^https?:\/\//i.test(config.url)) return config;
    return { ...config, url: `${getApiBase()}${config.url.startsWith('/') ? '' : '/'}${config.url}` };
  });

  // The first call that needs the shopper logs them in (uni.login → POST /api/auth/login).
  addRequestInterceptor(async (config) => {
    if (config.auth === 'user') await useUserStore().ensureLogin();
    return config;
  });

  addRequestInterceptor((config) => {
    if (config.auth === 'none') return config;
    const user = useUserStore();
    const token = config.auth === 'admin' ? user.adminToken : user.token;
    if (!token) return config;
    return { ...config, header: { ...config.header, Authorization: `Bearer ${token}` } };
  });

  // An expired shopper token: drop it and send the call once more, which logs in afresh. An expired
  // admin token: renew it with the refresh token and send the call once more.
  setSessionExpiredHandler((auth, sent) => {
    if (auth === 'admin') return renewAdminSession(sent);
    const user = useUserStore();
    // Another call may have logged in again meanwhile: only the token this call sent is dropped.
    if (user.token && sent.header.Authorization === `Bearer ${user.token}`) user.clearSession('user');
    return true;
  });

  addErrorInterceptor((error, config) => {
    // An expired or revoked token is useless: drop it so the next call logs in afresh.
    if (error.status === 401 && config.auth !== 'none') useUserStore().clearSession(config.auth);
  });

  addErrorInterceptor((error, config) => {
    if (config.toast) uni.showToast({ title: error.message, icon: 'none', duration: 2500 });
  });
}
