import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, signRequestPayment, type RequestPaymentParams, type Sandbox } from '../src/index.js';
import { launchChromium } from './chromium.js';
import { jsapiBody, merchantClient, notifyReceiver, sandboxStateDir } from './helpers.js';

let sandbox: Sandbox;
let call: ReturnType<typeof merchantClient>;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;
let browser: Browser;
let shop: Server;
let shopUrl = '';

const OPENID = 'oCashierUser01';

beforeAll(async () => {
  sandbox = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001 });
  call = merchantClient(sandbox);
  receiver = await notifyReceiver(() => 204);
  // Stands in for the h5 shop: any path answers a page; /frame embeds a URL and records messages.
  shop = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (u.pathname === '/frame') {
      res.end(
        `<!doctype html><body><script>window.messages=[];addEventListener('message',function(e){window.messages.push(e.data)});</script><iframe src="${u.searchParams.get('src')}" style="width:480px;height:640px"></iframe></body>`,
      );
      return;
    }
    res.end('<!doctype html><title>shop</title><body>shop</body>');
  });
  await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', resolve));
  shopUrl = `http://127.0.0.1:${(shop.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await sandbox.close();
  await receiver.close();
  await new Promise<void>((resolve) => shop.close(() => resolve()));
});

async function newOrder(description = '测试商品-T恤 x1') {
  const body = jsapiBody(sandbox, { description, notify_url: receiver.url, payer: { openid: OPENID } });
  const { body: pre } = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
  const params = signRequestPayment(
    { appId: sandbox.credentials.appid, prepayId: pre.prepay_id },
    sandbox.credentials.merchantPrivateKeyPem,
  );
  return { outTradeNo: body.out_trade_no, params };
}

function cashierUrl(params: RequestPaymentParams, returnUrl?: string) {
  const q = new URLSearchParams({
    ...params,
    openid: OPENID,
    ...(returnUrl !== undefined ? { return: returnUrl } : {}),
  });
  return `${sandbox.url}/sandbox/cashier?${q}`;
}

const tradeState = async (outTradeNo: string) =>
  (await call('GET', `/v3/pay/transactions/out-trade-no/${outTradeNo}?mchid=${sandbox.credentials.mchid}`)).body
    .trade_state;

describe('/sandbox/cashier', () => {
  it('shows the merchant and the amount; 确认支付 pays and returns with sandboxPay=ok inside the hash route', async () => {
    const { outTradeNo, params } = await newOrder();
    const page = await browser.newPage();
    try {
      const returnUrl = `${shopUrl}/#/pages/pay/result?orderNo=${outTradeNo}`;
      await page.goto(cashierUrl(params, returnUrl));
      expect(await page.getByTestId('cashier-merchant').textContent()).toBe('uni-checkout 沙箱商户');
      expect(await page.getByTestId('cashier-amount').textContent()).toBe('¥12.30');
      expect(await page.getByTestId('cashier-confirm').textContent()).toBe('确认支付');
      expect(await page.getByTestId('cashier-cancel').textContent()).toBe('取消');
      await Promise.all([page.waitForURL(/sandboxPay=/), page.getByTestId('cashier-confirm').click()]);
      expect(page.url()).toBe(`${returnUrl}&sandboxPay=ok`);
      expect(await tradeState(outTradeNo)).toBe('SUCCESS');
      await sandbox.waitForNotification((n) => n.outTradeNo === outTradeNo && n.state === 'delivered');
    } finally {
      await page.close();
    }
  });

  it('取消 returns with sandboxPay=cancel and leaves the order unpaid', async () => {
    const { outTradeNo, params } = await newOrder();
    const page = await browser.newPage();
    try {
      await page.goto(cashierUrl(params, `${shopUrl}/result?orderNo=${outTradeNo}`));
      await Promise.all([page.waitForURL(/sandboxPay=/), page.getByTestId('cashier-cancel').click()]);
      expect(new URL(page.url()).searchParams.get('sandboxPay')).toBe('cancel');
      expect(await tradeState(outTradeNo)).toBe('NOTPAY');
    } finally {
      await page.close();
    }
  });

  it('a simulated failure returns with sandboxPay=fail and the order reads PAYERROR', async () => {
    const { outTradeNo, params } = await newOrder();
    const page = await browser.newPage();
    try {
      await page.goto(cashierUrl(params, `${shopUrl}/result`));
      await Promise.all([page.waitForURL(/sandboxPay=/), page.getByTestId('cashier-fail').click()]);
      expect(new URL(page.url()).searchParams.get('sandboxPay')).toBe('fail');
      expect(await tradeState(outTradeNo)).toBe('PAYERROR');
    } finally {
      await page.close();
    }
  });

  it('posts the result to its parent when embedded, and shows why a paid order cannot be paid again', async () => {
    const { outTradeNo, params } = await newOrder();
    const page = await browser.newPage();
    try {
      await page.goto(`${shopUrl}/frame?src=${encodeURIComponent(cashierUrl(params))}`);
      const frame = page.frameLocator('iframe');
      await frame.getByTestId('cashier-confirm').click();
      await page.waitForFunction(() => (globalThis as unknown as { messages: unknown[] }).messages.length > 0);
      const messages = await page.evaluate(
        () =>
          (globalThis as unknown as { messages: Array<{ type: string; result: string; outTradeNo: string }> }).messages,
      );
      expect(messages[0]).toMatchObject({ type: 'wechatpay-sandbox:pay', result: 'ok', outTradeNo });

      await page.goto(cashierUrl(params, `${shopUrl}/result`));
      expect(await page.getByTestId('cashier-problem').textContent()).toBe('该订单已支付');
      expect(await page.getByTestId('cashier-confirm').isDisabled()).toBe(true);
      // …and goes back to the merchant by itself, saying it was paid
      await page.waitForURL(/sandboxPay=ok/, { timeout: 10_000 });
      expect(await tradeState(outTradeNo)).toBe('SUCCESS');
    } finally {
      await page.close();
    }
  });

  it('refuses a return URL that is not http(s)', async () => {
    const { params } = await newOrder();
    const res = await fetch(cashierUrl(params, 'javascript:alert(1)'));
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('return 参数必须是本机');
    expect(html).not.toContain('alert(1)"');
  });
});

describe('GET /sandbox/ and /sandbox/api/*', () => {
  it('lists transactions, refunds and every notification attempt with its answer, escaped', async () => {
    const { outTradeNo, params } = await newOrder('<script>alert("x")</script>');
    sandbox.pay({ ...params, openid: OPENID });
    await sandbox.waitForNotification((n) => n.outTradeNo === outTradeNo && n.state === 'delivered');
    const refundNo = `R${outTradeNo}`;
    await call('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: outTradeNo,
      out_refund_no: refundNo,
      amount: { refund: 30, total: 1230, currency: 'CNY' },
    });

    const bare = await fetch(`${sandbox.url}/sandbox`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/sandbox/');
    const html = await (await fetch(`${sandbox.url}/sandbox/`)).text();
    expect(html).toContain(outTradeNo);
    expect(html).toContain(refundNo);
    expect(html).toContain('TRANSACTION.SUCCESS');
    expect(html).toContain('<b>204</b>');
    expect(html).not.toContain('<script>alert("x")</script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');

    const txs = (await (await fetch(`${sandbox.url}/sandbox/api/transactions`)).json()) as {
      items: Array<Record<string, unknown>>;
    };
    expect(txs.items.find((t) => t.out_trade_no === outTradeNo)).toMatchObject({
      trade_state: 'REFUND',
      description: '<script>alert("x")</script>',
    });
    const refunds = (await (await fetch(`${sandbox.url}/sandbox/api/refunds`)).json()) as {
      items: Array<Record<string, unknown>>;
    };
    expect(refunds.items.find((r) => r.out_refund_no === refundNo)).toMatchObject({ out_trade_no: outTradeNo });
    const res = await fetch(`${sandbox.url}/sandbox/api/notifications`, {
      headers: { Origin: 'http://127.0.0.1:5173' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    const notes = (await res.json()) as { items: Array<{ out_trade_no: string; attempts: Array<{ status: number }> }> };
    expect(notes.items.find((n) => n.out_trade_no === outTradeNo)?.attempts[0]?.status).toBe(204);
  });
});
