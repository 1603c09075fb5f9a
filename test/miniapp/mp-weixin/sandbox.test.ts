/**
 * The sandbox build of the mini-program — what `pnpm dev:mp-weixin` writes to dist/dev/mp-weixin for
 * WeChat DevTools — in WeChat's component framework, against a BFF in sandbox mode over HTTP:
 * it logs in with a made-up openid kept in storage (no `wx.login`, whose codes no sandbox can trade)
 * and pays through its in-app pay sheet, which posts the signed parameters to the sandbox's
 * `POST /sandbox/pay` as WeChat's client would (no `wx.requestPayment`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedBuild, type BuildResult } from '../support/build';
import { TEST_BUILD_ENV } from '../support/build-env';
import { MiniProgram } from './runtime';
import { newPhone, startShop, TEA, TOTAL, toCheckout, waitForCard, waitForOrderCard, type Shop } from './shop';

const OPENID_KEY = 'uni-checkout:sandbox-openid';
let build: BuildResult;
let shop: Shop;
let mp: MiniProgram;

beforeAll(async () => {
  build = await cachedBuild('mp-weixin-sandbox', TEST_BUILD_ENV);
  console.log(`mp-weixin sandbox build: ${build.cached ? 'reused' : `${build.ms} ms`}`);
  shop = await startShop();
}, 420_000);

afterAll(async () => {
  mp?.close();
  await shop?.stop();
});

/** A phone in WeChat DevTools: the sandbox's origin is reachable too (不校验合法域名). */
function devToolsPhone(storage?: ReadonlyMap<string, unknown>): MiniProgram {
  const sandboxOrigin = new URL(shop.sandbox.baseUrl).origin;
  return newPhone(shop, build.outDir, 'o-devtools-wechat-user', {
    requestOrigins: { [sandboxOrigin]: sandboxOrigin },
    storage,
  });
}

async function sandboxTransaction(orderNo: string): Promise<{ trade_state: string; payer: { openid: string } }> {
  const res = await fetch(new URL('/sandbox/api/transactions', shop.sandbox.baseUrl));
  const { items } = (await res.json()) as {
    items: { out_trade_no: string; trade_state: string; payer: { openid: string } }[];
  };
  const tx = items.find((t) => t.out_trade_no === orderNo);
  if (!tx) throw new Error(`the sandbox has no transaction ${orderNo}`);
  return tx;
}

async function resultStatus(expected: 'paid' | 'unpaid'): Promise<string> {
  await mp.waitForRoute('pages/result/index', 20_000);
  const status = await mp.find('result-status');
  await mp.waitFor(() => status.getAttribute('data-check') === expected, expected, 20_000);
  return MiniProgram.text(status);
}

describe('the sandbox mp-weixin build (WeChat DevTools against pnpm dev)', () => {
  let openid = '';
  let paidOrderNo = '';

  it('is the development build: the sandbox pay sheet is a page of its own subpackage', async () => {
    const appJson = JSON.parse(await readFile(path.join(build.outDir, 'app.json'), 'utf8')) as {
      subPackages: { root: string; pages: string[] }[];
    };
    expect(appJson.subPackages).toContainEqual({ root: 'pages-sandbox', pages: ['pay/index'] });
  });

  it('logs in with a sandbox openid made up once and kept, and pays through the in-app sheet', async () => {
    mp = devToolsPhone();
    await mp.launch();
    await waitForCard(mp, TEA.title);
    openid = String(mp.storage.get(OPENID_KEY) ?? '');
    expect(openid).toMatch(/^oDev[0-9A-Za-z]{24}$/);
    expect(mp.calls.get('login')).toBeUndefined();

    await toCheckout(mp, 20);
    await mp.tap('checkout-submit');
    await mp.waitForRoute('pages-sandbox/pay/index', 20_000);
    await mp.waitFor(() => mp.all('sandbox-pay-amount').some((el) => MiniProgram.text(el) === TOTAL), 'the amount');
    expect(await mp.text('sandbox-pay-merchant')).toBe('uni-checkout 沙箱商户');
    await mp.tap('sandbox-pay-confirm');

    expect(await resultStatus('paid')).toBe('支付成功');
    expect(await mp.text('result-amount')).toContain(TOTAL);
    paidOrderNo = await mp.text('order-no');
    expect(mp.calls.get('requestPayment')).toBeUndefined();
    // WeChat Pay (the sandbox) settled it for the shopper the sheet named
    expect(await sandboxTransaction(paidOrderNo)).toMatchObject({ trade_state: 'SUCCESS', payer: { openid } });
  }, 120_000);

  it('取消 on the sheet answers like a dismissed WeChat pay sheet: the order stays 待支付', async () => {
    await mp.open('/pages/index/index');
    await toCheckout(mp);
    await mp.tap('checkout-submit');
    await mp.waitForRoute('pages-sandbox/pay/index', 20_000);
    await mp.waitFor(() => mp.all('sandbox-pay-amount').some((el) => MiniProgram.text(el) === TOTAL), 'the amount');
    await mp.tap('sandbox-pay-cancel');
    expect(await resultStatus('unpaid')).not.toBe('支付成功');
    const orderNo = await mp.text('order-no');
    expect(orderNo).not.toBe(paidOrderNo);
    expect((await sandboxTransaction(orderNo)).trade_state).toBe('NOTPAY');

    // 重新支付 opens the sheet again, and this time the shopper pays
    await mp.tap('result-pay-again');
    await mp.waitForRoute('pages-sandbox/pay/index', 20_000);
    await mp.waitFor(() => mp.all('sandbox-pay-amount').some((el) => MiniProgram.text(el) === TOTAL), 'the amount');
    await mp.tap('sandbox-pay-confirm');
    expect(await resultStatus('paid')).toBe('支付成功');
    expect(await mp.text('order-no')).toBe(orderNo);
    expect(await sandboxTransaction(orderNo)).toMatchObject({ trade_state: 'SUCCESS', payer: { openid } });
    expect(mp.missing).toEqual(new Set());
    expect(mp.errors).toEqual([]);
  }, 120_000);

  it('the next launch is the same shopper: same openid, a fresh login, the earlier orders', async () => {
    const stored = new Map(mp.storage);
    stored.delete('uni-checkout:token'); // the session may have expired; the openid stays
    mp.close();
    mp = devToolsPhone(stored);
    await mp.launch();
    await mp.open('/pages/orders/index');
    const card = await waitForOrderCard(mp, paidOrderNo);
    expect(MiniProgram.text(card.querySelector('[data-testid="order-card-status"]')!)).toBe('已支付');
    expect(mp.storage.get(OPENID_KEY)).toBe(openid);
    expect(mp.calls.get('login')).toBeUndefined();
  }, 120_000);
});
