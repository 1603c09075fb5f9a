import { describe, expect, it } from 'vitest';
import { Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { useHarness } from '../support/harness.js';
import { placeOrder, requestPayment } from '../support/shop.js';

/** What reaches the logs when things go wrong: never a credential, whoever logs the error. */
describe('secrets stay out of the logs (PostgreSQL, WeChat Pay sandbox)', () => {
  const h = useHarness({ db: 'postgres' });

  /** A genuine failed APIv3 call, as wechatpay-axios-plugin throws it: an axios error holding the signed request. */
  async function failedWechatPayCall(): Promise<unknown> {
    const c = h.sandbox.credentials;
    const client = new Wechatpay({
      mchid: c.mchid,
      serial: c.merchantSerialNo,
      privateKey: c.merchantPrivateKeyPem,
      certs: { [c.wechatpayPublicKeyId]: Rsa.from(c.wechatpayPublicKeyPem, Rsa.KEY_TYPE_PUBLIC) },
      baseURL: `${h.sandbox.url}/`,
    });
    try {
      await client.client.request('v3/pay/transactions/out-trade-no/UC00000000000000000000000000', 'get', undefined, {
        params: { mchid: c.mchid },
      });
    } catch (err) {
      return err;
    }
    throw new Error('the sandbox answered an unknown order with success');
  }

  it('logs a WeChat Pay client error as which call failed how, without its Authorization header or request', async () => {
    const err = await failedWechatPayCall();
    const authorization = (err as { config: { headers: Record<string, string> } }).config.headers.Authorization!;
    expect(authorization).toMatch(/^WECHATPAY2-SHA256-RSA2048 /);
    const signature = /signature="([^"]+)"/.exec(authorization)![1]!;

    const from = h.logs.length;
    h.bff.ctx.logger.error({ err }, 'wechatpay call failed');
    h.bff.ctx.logger.child({ reqId: 'r1' }).warn({ err, orderNo: 'UC00000000000000000000000000' }, 'query failed');
    const lines = h.logs.slice(from);
    expect(lines).toHaveLength(2);
    const text = JSON.stringify(lines);
    for (const secret of [signature, 'WECHATPAY2-SHA256-RSA2048', 'PRIVATE KEY', h.sandbox.credentials.apiV3Key])
      expect(text).not.toContain(secret);
    expect(lines[0]!.err).toMatchObject({ status: 404, method: 'get', url: expect.stringContaining('out-trade-no') });
  });

  it('after a whole purchase and a refused request, no key, secret, token or paySign was logged', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const params = await requestPayment(shopper, order.orderNo);
    await h.anonymous.post('/api/admin/login', { username: 'admin', password: 'wrong-password-1' });
    const c = h.sandbox.credentials;
    const text = JSON.stringify(h.logs);
    for (const secret of [
      c.appsecret,
      c.apiV3Key,
      'PRIVATE KEY',
      h.env.JWT_SECRET!,
      shopper.token!,
      params.paySign,
      'wrong-password-1',
    ])
      expect(text).not.toContain(secret);
  });
});
