import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedBuild, listFiles, repoRoot, type BuildResult } from '../support/build';
import { TEST_BUILD_ENV } from '../support/build-env';
import { MiniProgram } from './runtime';
import { newPhone, startShop, TEA, TOTAL, toCheckout, waitForCard, waitForOrderCard, type Shop } from './shop';
import { staticApiCalls, wechatApiNames } from './wx-api';

let build: BuildResult;
let shop: Shop;
let ADMIN: Shop['admin'];
let mp: MiniProgram;

beforeAll(async () => {
  build = await cachedBuild('mp-weixin', TEST_BUILD_ENV);
  console.log(`mp-weixin build: ${build.cached ? 'reused' : `${build.ms} ms`}`);
  shop = await startShop();
  ADMIN = shop.admin;
}, 420_000);

afterAll(async () => {
  mp?.close();
  await shop?.stop();
});

describe("the production mp-weixin bundle in WeChat's component framework", () => {
  let paidOrderNo = '';
  const paidOrders: string[] = [];

  it('a shopper launches the app, buys two cans, pays with wx.requestPayment and sees 支付成功', async () => {
    mp = newPhone(shop, build.outDir, `o-mpwx-${randomBytes(6).toString('hex')}`);
    await mp.launch();
    expect(mp.currentRoute).toBe('pages/index/index');
    await waitForCard(mp, TEA.title);
    const titles = mp.all('product-title').map((el) => MiniProgram.text(el));
    expect(titles.length).toBeGreaterThan(1);
    expect(titles[0]).toBe(TEA.title);
    expect(mp.calls.get('login')).toBe(1);

    await toCheckout(mp, 20);
    await mp.tap('checkout-submit');
    await mp.waitForRoute('pages/result/index', 20_000);
    const status = await mp.find('result-status');
    await mp.waitFor(() => status.getAttribute('data-check') === 'paid', '支付成功', 20_000);
    expect(MiniProgram.text(status)).toBe('支付成功');
    expect(await mp.text('result-amount')).toContain(TOTAL);
    paidOrderNo = await mp.text('order-no');
    paidOrders.push(paidOrderNo);
    expect(mp.payments).toHaveLength(1);
    expect(mp.payments[0]).toMatchObject({ status: 200, outcome: 'paid' });
    expect((mp.payments[0]!.body as { result?: string }).result ?? 'SUCCESS').toBe('SUCCESS');
  }, 120_000);

  it('the order list shows the order paid', async () => {
    await mp.tap('result-go-shop');
    await mp.waitForRoute('pages/index/index');
    expect(mp.pageStack).toEqual(['pages/index/index']);
    // the ordered lines left the cart, and so did the badge
    expect(mp.tabBadges.has(2)).toBe(false);

    // 我的 (a tab): the paid order waits to ship; its entry opens the list on that tab
    await mp.tapTab('pages/me/index');
    const entry = (key: string) => mp.all('me-order-entry').find((el) => el.getAttribute('data-key') === key);
    const count = (key: string) => {
      const badge = entry(key)?.querySelector('[data-testid="me-order-count"]');
      return badge ? MiniProgram.text(badge) : '';
    };
    await mp.waitFor(() => count('UNSHIPPED') === '1', '我的 · 待发货 1');
    expect(count('PENDING_PAYMENT')).toBe('');
    await mp.tap(entry('UNSHIPPED')!);
    await mp.waitForRoute('pages/orders/index');
    const toShip = await waitForOrderCard(mp, paidOrderNo);
    expect(toShip.querySelectorAll('[data-testid="order-card-rebuy"]')).toHaveLength(1);
    await mp.tapTab('pages/index/index');
    await mp.tap('nav-orders');
    await mp.waitForRoute('pages/orders/index');
    const card = await waitForOrderCard(mp, paidOrderNo);
    expect(MiniProgram.text(card.querySelector('[data-testid="order-card-status"]')!)).toBe('已支付');
    expect(MiniProgram.text(card.querySelector('[data-testid="order-card-total"]')!)).toContain(TOTAL);
    // pull-down refresh loads the list again and ends WeChat's refresh animation
    const stops = mp.calls.get('stopPullDownRefresh') ?? 0;
    await mp.pullDownRefresh();
    await mp.waitFor(() => (mp.calls.get('stopPullDownRefresh') ?? 0) > stops, 'stopPullDownRefresh');
    const refreshed = await waitForOrderCard(mp, paidOrderNo);
    expect(MiniProgram.text(refreshed.querySelector('[data-testid="order-card-status"]')!)).toBe('已支付');
    await mp.tap(refreshed);
    await mp.waitForRoute('pages/order/index');
    await mp.waitFor(() => mp.all('order-status').some((el) => MiniProgram.text(el) === '已支付'), 'order 已支付');
    expect(await mp.text('order-no')).toBe(paidOrderNo);
  }, 120_000);

  it('a second order whose pay sheet is dismissed stays 待支付, and the shopper cancels it on the order page', async () => {
    await mp.open('/pages/index/index');
    await toCheckout(mp);
    mp.cancelNextPayment();
    await mp.tap('checkout-submit');
    await mp.waitForRoute('pages/result/index', 20_000);
    const status = await mp.find('result-status');
    await mp.waitFor(() => status.getAttribute('data-check') === 'unpaid', '待支付', 20_000);
    expect(MiniProgram.text(status)).toBe('待支付');
    const orderNo = await mp.text('order-no');
    expect(orderNo).not.toBe(paidOrderNo);
    expect(mp.payments.at(-1)).toMatchObject({ outcome: 'cancelled' });

    await mp.tap('result-view-order');
    await mp.waitForRoute('pages/order/index');
    await mp.waitFor(() => mp.all('order-status').some((el) => MiniProgram.text(el) === '待支付'), 'order 待支付');
    await mp.tap('order-cancel');
    const modal = await mp.modal();
    expect(modal.title).toBe('取消订单');
    modal.tap('confirm');
    await mp.waitFor(() => mp.all('order-status').some((el) => MiniProgram.text(el) === '已关闭'), 'order 已关闭');
    expect(mp.all('order-cancel')).toHaveLength(0);
    await mp.waitFor(() => mp.toasts.some((t) => t.title === '订单已取消'), 'the 订单已取消 toast');

    await mp.open('/pages/orders/index');
    const closed = await waitForOrderCard(mp, orderNo);
    expect(MiniProgram.text(closed.querySelector('[data-testid="order-card-status"]')!)).toBe('已关闭');
    const paid = await waitForOrderCard(mp, paidOrderNo);
    expect(MiniProgram.text(paid.querySelector('[data-testid="order-card-status"]')!)).toBe('已支付');
  }, 120_000);

  it('WeChat Pay refuses a paySign that does not verify; paying again from the result page succeeds', async () => {
    await mp.open('/pages/index/index');
    await toCheckout(mp);
    mp.tamperNextPaySign();
    await mp.tap('checkout-submit');
    await mp.waitForRoute('pages/result/index', 20_000);
    const status = await mp.find('result-status');
    // after a failed pay sheet the result page waits 20 s for WeChat's word before it says 待支付
    await mp.waitFor(() => status.getAttribute('data-check') === 'unpaid', '待支付', 45_000);
    expect(mp.payments.at(-1)).toMatchObject({ outcome: 'rejected', status: 400, body: { code: 'PAY_SIGN_INVALID' } });
    const orderNo = await mp.text('order-no');

    await mp.tap('result-pay-again');
    await mp.waitFor(() => mp.payments.at(-1)?.outcome === 'paid', 'the second payment', 20_000);
    await mp.waitForRoute('pages/result/index', 20_000);
    const again = await mp.find('result-status');
    await mp.waitFor(() => again.getAttribute('data-check') === 'paid', '支付成功', 20_000);
    expect(MiniProgram.text(again)).toBe('支付成功');
    expect(await mp.text('order-no')).toBe(orderNo);
    paidOrders.push(orderNo);
  }, 120_000);

  it('the admin subpackage: login, then the order list with every order', async () => {
    await mp.open('/pages-admin/orders/index');
    await mp.waitForRoute('pages-admin/login/index');
    await mp.type('admin-username', ADMIN.username);
    await mp.tap('admin-login-submit');
    expect(await mp.text('admin-login-error')).toBe('请输入用户名和密码');
    await mp.type('admin-password', 'not-the-password');
    const toastsBefore = mp.toasts.length;
    await mp.tap('admin-login-submit');
    // the request wrapper toasts the BFF's answer to a wrong password
    await mp.waitFor(() => mp.toasts.length > toastsBefore, 'the wrong-password toast');
    expect(mp.toasts.at(-1)!.icon).toBe('none');
    expect(mp.currentRoute).toBe('pages-admin/login/index');

    await mp.type('admin-password', ADMIN.password);
    await mp.tap('admin-login-submit');
    await mp.waitForRoute('pages-admin/orders/index');
    let row: HTMLElement | undefined;
    await mp.waitFor(
      () => {
        row = mp.all('admin-order-row').find((el) => el.getAttribute('data-order-no') === paidOrderNo);
        return row !== undefined;
      },
      `admin row ${paidOrderNo}`,
      20_000,
    );
    expect(MiniProgram.text(row!.querySelector('[data-testid="admin-order-status"]')!)).toBe('已支付');
    const statuses = mp.all('admin-order-status').map((el) => MiniProgram.text(el));
    expect(statuses.filter((t) => t === '已支付')).toHaveLength(paidOrders.length);
    expect(statuses.filter((t) => t === '已关闭')).toHaveLength(1);

    // 统计: the figures of the last 14 days, and uCharts draws their chart on the page's canvas
    await mp.tap('admin-nav-stats');
    await mp.waitForRoute('pages-admin/stats/index');
    await mp.find('stats-range-gmv', 20_000);
    await mp.waitFor(() => (mp.canvases.get('admin-stats-chart')?.frames ?? 0) > 0, 'the stats chart drawn');
    const chart = mp.canvases.get('admin-stats-chart')!;
    expect(chart.texts).toEqual(expect.arrayContaining(['成交额', '退款']));
    expect(chart.calls.filter((c) => c === 'fillRect' || c === 'fill').length).toBeGreaterThan(0);
    expect(await mp.text('stats-range-paid')).toBe(String(paidOrders.length));
  }, 120_000);

  it('calls only wx APIs the runtime implements, all of them listed in apps/miniapp/README.md', async () => {
    const called = [...mp.calls.keys()].sort();
    const lines = called.map(
      (name) =>
        `${name.padEnd(28)} ${mp.calls.get(name)} × ${mp.implemented.includes(name) ? 'implemented' : 'MISSING'}`,
    );
    console.log(`wx APIs the bundle called (${called.length}):\n  ${lines.join('\n  ')}`);
    console.log(`implemented by the runtime (${mp.implemented.length}): ${mp.implemented.join(', ')}`);
    const assets = new Map<string, number>();
    for (const { api, url } of mp.assetUrls) assets.set(`${api} ${url}`, (assets.get(`${api} ${url}`) ?? 0) + 1);
    console.log(
      `network assets requested outside wx.request (third-party hosts):\n  ${[...assets].map(([a, n]) => `${n} × ${a}`).join('\n  ')}`,
    );
    const referenced = staticApiCalls(build.outDir, await listFiles(build.outDir), wechatApiNames());
    console.log(
      `wx APIs the app's own pages, components and stores reference (${referenced.length}): ${referenced.join(', ')}`,
    );
    console.log(`console.error lines from the bundle: ${mp.errors.length}\n${mp.errors.join('\n')}`);
    expect([...mp.missing]).toEqual([]);
    expect(mp.errors).toEqual([]);
    // nothing from a CDN: uview-plus's icon font comes inlined from the bundle, no preloaded image
    expect(mp.assetUrls).toEqual([]);
    expect(mp.fonts).toContainEqual(expect.objectContaining({ family: 'uicon-iconfont', global: true }));
    expect(referenced.filter((name) => !mp.implemented.includes(name))).toEqual([]);
    const readme = await readFile(path.join(repoRoot, 'apps', 'miniapp', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('<!-- wx-apis:start -->'), readme.indexOf('<!-- wx-apis:end -->'));
    const documented = [...section.matchAll(/`wx\.(\w+)`/g)].map((m) => m[1]!);
    expect(called.filter((name) => !documented.includes(name))).toEqual([]);
    expect(mp.implemented.filter((name) => !documented.includes(name))).toEqual([]);
  }, 120_000);

  it('the runtime itself: a wx API it lacks throws by name and is recorded; a malformed requestPayment never reaches WeChat Pay', async () => {
    const wx = (globalThis as unknown as { wx: Record<string, (o?: Record<string, unknown>) => unknown> }).wx;
    expect(() => wx.getLocation!({ type: 'gcj02' })).toThrow(
      'wx.getLocation is not implemented by the mp-weixin test runtime',
    );
    expect([...mp.missing]).toEqual(['getLocation']);
    expect(wx.noSuchApi).toBeUndefined();

    const paymentsBefore = mp.payments.length;
    const result = await new Promise<{ errMsg: string }>((resolve) =>
      wx.requestPayment!({
        timeStamp: 1700000000,
        nonceStr: 'n',
        package: 'prepay=wx123',
        signType: 'MD5',
        paySign: '',
        fail: resolve,
        success: () => resolve({ errMsg: 'requestPayment:ok' }),
      }),
    );
    expect(result.errMsg).toMatch(
      /^requestPayment:fail parameter error: timeStamp .*; package .*; signType .*; paySign is missing$/,
    );
    expect(mp.payments).toHaveLength(paymentsBefore + 1);
    expect(mp.payments.at(-1)).toMatchObject({ outcome: 'rejected', status: 0 });

    const offDomain = await new Promise<{ errMsg: string }>((resolve) =>
      wx.request!({
        url: 'https://elsewhere.example/api/products',
        fail: resolve,
        success: () => resolve({ errMsg: 'request:ok' }),
      }),
    );
    expect(offDomain.errMsg).toBe('request:fail url not in domain list: https://elsewhere.example');
  }, 120_000);
});
