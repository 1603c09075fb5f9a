/**
 * The admin's side of the BFF's session rules: the refund form's limit is the server's
 * `refundableFen`; a refused short access token is renewed with the refresh token (once for calls
 * refused together) and the call sent again; `logout()` ends the session at the BFF and here.
 */
import type { AdminOrder } from '@uni-checkout/shared';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { getStats } from '../src/api/admin';
import { installHttpInterceptors } from '../src/api/interceptors';
import { ADMIN_LOGIN_PAGE, useAdminOrderStore, useAdminSessionStore } from '../src/pages-admin/store/admin';
import { useUserStore } from '../src/store/user';

interface Sent {
  url: string;
  method: string;
  data: unknown;
  header: Record<string, string>;
}
type Answer = { statusCode: number; data: unknown };

/** uni's storage over a Map, uni.request answered by `bff`, page changes recorded. */
function fakeUni(bff: (req: Sent) => Answer) {
  const storage = new Map<string, unknown>();
  const sent: Sent[] = [];
  const pages: string[] = [];
  (globalThis as unknown as { uni: unknown }).uni = {
    getStorageSync: (k: string) => (storage.has(k) ? storage.get(k) : ''),
    setStorageSync: (k: string, v: unknown) => void storage.set(k, v),
    removeStorageSync: (k: string) => void storage.delete(k),
    showToast: () => undefined,
    reLaunch: ({ url }: { url: string }) => void pages.push(url),
    redirectTo: ({ url }: { url: string }) => void pages.push(url),
    request: (opts: Sent & { success: (res: Answer) => void }) => {
      const req = { url: opts.url, method: opts.method, data: opts.data, header: opts.header };
      sent.push(req);
      const answer = bff(req);
      setTimeout(() => opts.success(answer), 5);
    },
  };
  return { storage, sent, pages };
}

const stats = {
  today: { paidCount: 1, gmvFen: 100, refundedFen: 0 },
  days: [],
  range: {
    from: '2026-11-16',
    to: '2026-11-29',
    paidCount: 1,
    gmvFen: 100,
    refundedFen: 0,
    netFen: 100,
    refundRate: 0,
    averageOrderFen: 100,
  },
};
const unauthorized = (code: string): Answer => ({ statusCode: 401, data: { error: { code, message: code } } });
const pathOf = (url: string) => new URL(url).pathname;

describe('admin refund form', () => {
  beforeEach(() => {
    fakeUni(() => ({ statusCode: 500, data: null }));
    setActivePinia(createPinia());
  });

  it("limits a refund to the server's refundableFen, refunds in flight included", async () => {
    const store = useAdminOrderStore();
    // paid 256.00, nothing refunded yet, 206.00 still with WeChat: the server says 50.00 is left
    store.order = {
      orderNo: 'UC2026112900000001',
      status: 'PAID',
      totalFen: 25600,
      refundedFen: 0,
      refundableFen: 5000,
      refunds: [{ status: 'PROCESSING', amountFen: 20600 }],
      refundRequests: [],
    } as unknown as AdminOrder;
    expect(store.refundableNowFen).toBe(5000);
    expect(await store.refund('100', '破损')).toBe(false);
    expect(store.refundError).toBe('最多可退 ¥50.00');

    // whatever the amounts look like, the server's figure is the limit
    store.order = { ...store.order, refunds: [], refundableFen: 3000 } as AdminOrder;
    expect(store.refundableNowFen).toBe(3000);
  });
});

describe('admin session', () => {
  let tokens: { access: string; refresh: string; n: number };
  let uniFake: ReturnType<typeof fakeUni>;
  beforeEach(() => {
    tokens = { access: 'access-1', refresh: 'refresh-1', n: 1 };
    uniFake = fakeUni((req) => {
      const path = pathOf(req.url);
      if (path === '/api/admin/refresh') {
        if ((req.data as { refreshToken: string }).refreshToken !== tokens.refresh)
          return unauthorized('REFRESH_TOKEN_INVALID');
        tokens.n += 1;
        tokens.access = `access-${tokens.n}`;
        tokens.refresh = `refresh-${tokens.n}`;
        const session = { token: tokens.access, expiresIn: 900, refreshToken: tokens.refresh, refreshExpiresAt: '' };
        return { statusCode: 200, data: session };
      }
      if (path === '/api/admin/logout') return { statusCode: 204, data: '' };
      if (req.header.Authorization !== `Bearer ${tokens.access}`) return unauthorized('UNAUTHORIZED');
      return { statusCode: 200, data: stats };
    });
    setActivePinia(createPinia());
    installHttpInterceptors();
    useUserStore().setAdminSession({ token: 'access-1', refreshToken: 'refresh-1' });
  });

  it('renews an expired access token once for calls refused together, and sends them again', async () => {
    tokens.access = 'access-1-expired';
    tokens.refresh = 'refresh-1';
    const answers = await Promise.all([getStats(), getStats(), getStats()]);
    expect(answers).toEqual([stats, stats, stats]);
    const refreshes = uniFake.sent.filter((r) => pathOf(r.url) === '/api/admin/refresh');
    expect(refreshes).toHaveLength(1);
    const user = useUserStore();
    expect(user.adminToken).toBe(tokens.access);
    expect(user.adminRefreshToken).toBe(tokens.refresh);
    expect(uniFake.storage.get('uni-checkout:admin-refresh-token')).toBe(tokens.refresh);
  });

  it('asks for the password again when the refresh is refused (the session was ended)', async () => {
    tokens.access = 'elsewhere';
    tokens.refresh = 'revoked';
    await expect(getStats()).rejects.toMatchObject({ status: 401 });
    const user = useUserStore();
    expect(user.adminToken).toBeNull();
    expect(user.adminRefreshToken).toBeNull();
  });

  it('logout() ends the session at the BFF, forgets it here and opens the login page', async () => {
    const session = useAdminSessionStore();
    await session.logout();
    const logout = uniFake.sent.find((r) => pathOf(r.url) === '/api/admin/logout');
    expect(logout?.method).toBe('POST');
    expect(logout?.data).toEqual({ refreshToken: 'refresh-1' });
    expect(useUserStore().isAdmin).toBe(false);
    expect(uniFake.storage.has('uni-checkout:admin-token')).toBe(false);
    expect(uniFake.storage.has('uni-checkout:admin-refresh-token')).toBe(false);
    expect(uniFake.pages).toEqual([ADMIN_LOGIN_PAGE]);
  });
});
