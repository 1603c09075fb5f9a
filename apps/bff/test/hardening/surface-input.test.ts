/**
 * Input the outside review sent: a Content-Encoding the body does not have (400 and a warning on
 * every route, never a 500 or an error line) and empty list parameters (not given, as elsewhere).
 */
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';

const h = useHarness();

describe('a corrupt Content-Encoding', { timeout: 60_000 }, () => {
  it('answers 400 BODY_ENCODING_INVALID and logs a warning on public, authenticated and notify routes', async () => {
    const shopper = await h.shopper();
    const admin = await h.admin();
    const routes: { path: string; token?: string }[] = [
      { path: '/api/auth/login' },
      { path: '/api/admin/login' },
      { path: '/api/orders', token: shopper.token },
      { path: '/api/admin/orders/UC0000000000000000/refunds', token: admin.token },
      { path: '/api/pay/notify/transaction' },
      { path: '/api/pay/notify/refund' },
      { path: '/api/no-such-route' },
    ];
    const errorsBefore = h.logs.filter((l) => (l.level as number) >= 50).length;
    const warningsBefore = h.logs.filter((l) => l.level === 40).length;
    for (const { path, token } of routes) {
      for (const encoding of ['gzip', 'deflate', 'br']) {
        const res = await fetch(h.bff.url + path, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': encoding,
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify({ code: 'sandbox:o-x', username: 'admin', password: 'whatever-it-is' }),
        });
        const body = (await res.json()) as { error?: { code?: string } };
        expect([path, encoding, res.status, body.error?.code]).toEqual([path, encoding, 400, 'BODY_ENCODING_INVALID']);
      }
    }
    expect(h.logs.filter((l) => (l.level as number) >= 50).length).toBe(errorsBefore);
    const warnings = h.logs.filter((l) => l.level === 40).slice(warningsBefore);
    expect(warnings.length).toBeGreaterThanOrEqual(routes.length * 3);
    expect(warnings.every((w) => String(w.msg).includes('Content-Encoding'))).toBe(true);
  });
});

describe('empty list parameters', { timeout: 60_000 }, () => {
  it('?limit= on reconciliations means "not given", as on every other list', async () => {
    const admin = await h.admin();
    const res = await admin.get('/api/admin/reconciliations?limit=&cursor=&billDate=');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ items: expect.any(Array) });
    expect((await admin.get('/api/admin/reconciliations?limit=0')).status).toBe(400);
  });
});
