/**
 * Shopper login with made-up codes: every accepted request is a jscode2session call on the
 * mini-program's quota, so logins are counted per client and in total before WeChat is asked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, startHarness, type ApiClient, type Harness } from '../support/harness.js';
import { countingProxy, type CountingProxy } from '../support/counting-proxy.js';

const PER_CLIENT = 20;
const TOTAL = 100;

let h: Harness;
let wechat: CountingProxy;
let api: ApiClient;
beforeAll(async () => {
  // the test client stands behind a loopback proxy that names each simulated client
  h = await startHarness({
    env: {
      TRUST_PROXY: 'loopback',
      LOGINS_PER_CLIENT_PER_MINUTE: String(PER_CLIENT),
      LOGINS_PER_MINUTE: String(TOTAL),
    },
  });
  wechat = await countingProxy(h.sandbox.url);
  const bff = await h.startAnotherBff({ WECHAT_API_BASE: wechat.url, WECHATPAY_BASE: wechat.url });
  api = apiClient(bff.url);
}, 60_000);
afterAll(async () => {
  await h?.close();
  await wechat?.close();
});

const jscode2session = () => wechat.count('/sns/jscode2session');
const burst = (n: number, clientOf: (i: number) => string) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      api.post('/api/auth/login', { code: `made-up-code-${i}-${Math.random()}` }, { 'x-forwarded-for': clientOf(i) }),
    ),
  );

describe('POST /api/auth/login under a burst of made-up codes', { timeout: 60_000 }, () => {
  it('given 300 logins from one client at once, asks WeChat only as often as one client may log in', async () => {
    const answers = await burst(300, () => '10.8.0.1');
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBe(300 - PER_CLIENT);
    for (const r of limited) {
      expect(r.body.error.code).toBe('RATE_LIMITED');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    }
    // the others reached WeChat, which refused the made-up codes
    expect(answers.filter((r) => r.status !== 429).every((r) => r.body.error.code === 'WECHAT_CODE_INVALID')).toBe(
      true,
    );
    expect(jscode2session()).toBe(PER_CLIENT);
  });

  it('given 300 logins from 300 clients, asks WeChat no more than the total allows', async () => {
    const before = jscode2session();
    const answers = await burst(300, (i) => `10.9.${i >> 8}.${i & 255}`);
    expect(jscode2session()).toBeLessThanOrEqual(TOTAL);
    expect(jscode2session() - before).toBe(TOTAL - PER_CLIENT);
    expect(answers.filter((r) => r.status === 429).length).toBe(300 - (TOTAL - PER_CLIENT));
  });
});
