import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type RunningBff } from '@uni-checkout/bff';
import { createTestDb, type TestDb } from '../../../apps/bff/test/support/db';
import { formatFen } from '@uni-checkout/shared';
import { cachedBuild, listFiles, repoRoot, type BuildResult } from '../support/build';
import { BUILD_API_BASE, TEST_BUILD_ENV } from '../support/build-env';
import { MiniProgram } from './runtime';
import { staticApiCalls, wechatApiNames } from './wx-api';

const ADMIN = { username: 'shop-admin', password: `pw-${randomBytes(9).toString('hex')}` };
let build: BuildResult;
let testDb: TestDb;
let bff: RunningBff;
let dataDir: string;
let mp: MiniProgram;
let sandbox: { appid: string; baseUrl: string };

beforeAll(async () => {
  build = await cachedBuild('mp-weixin', TEST_BUILD_ENV);
  console.log(`mp-weixin build: ${build.cached ? 'reused' : `${build.ms} ms`}`);
  testDb = await createTestDb('postgres', { seed: true });
  dataDir = await mkdtemp(path.join(tmpdir(), 'uc-mpwx-'));
  bff = await start({
    port: 0,
    logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    env: {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: testDb.databaseUrl,
      MIGRATE_ON_START: 'false',
      WECHATPAY_MCHID: undefined,
      SANDBOX_PORT: '0',
      SANDBOX_STATE_DIR: path.join(dataDir, 'sandbox'),
      SANDBOX_TIME_SCALE: '0.01',
      JOBS_ENABLED: 'false',
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    },
  });
  await bff.ctx.prisma.product.create({
    data: {
      id: TEA.id,
      title: TEA.title,
      subtitle: '岩茶',
      description: TEA.description,
      images: ['/static/products/tea.png'],
      sortOrder: -1000,
      skus: { create: TEA.skus },
    },
  });
  sandbox = JSON.parse(await readFile(path.join(dataDir, 'sandbox', 'credentials.json'), 'utf8'));
}, 420_000);

afterAll(async () => {
  mp?.close();
  await bff?.stop();
  await testDb?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Listed first, one SKU sold out, one in stock: the shopper must pick the right one. */
const TEA = {
  id: 'mpwx-tea',
  title: '武夷岩茶 小罐',
  description: '岩韵明显，焙火中足。',
  skus: [
    { id: 'mpwx-tea-gift', title: '礼盒 200g', priceFen: 26800, stock: 0 },
    { id: 'mpwx-tea-can', title: '小罐 50g', priceFen: 9900, stock: 20 },
  ],
};
const QUANTITY = 2;
const TOTAL = formatFen(9900 * QUANTITY);

function newPhone(openid: string): MiniProgram {
  return new MiniProgram({
    bundleDir: build.outDir,
    requestOrigins: { [new URL(BUILD_API_BASE).origin]: bff.url },
    sandboxUrl: sandbox.baseUrl,
    appId: sandbox.appid,
    openid,
    address: {
      userName: '张三',
      telNumber: '13800138000',
      provinceName: '浙江省',
      cityName: '杭州市',
      countyName: '西湖区',
      detailInfo: '文三路 100 号',
      postalCode: '310000',
      nationalCode: '330106',
    },
  });
}

/** Buys QUANTITY of the in-stock tea up to the checkout page, starting from the home page. */
async function toCheckout(stockBefore?: number): Promise<void> {
  const card = await waitForCard(TEA.title);
  await mp.tap(card);
  await mp.waitForRoute('pages/product/index');
  expect(await mp.text('product-detail-title')).toBe(TEA.title);
  const gift = mp.all('sku-option').find((el) => el.getAttribute('data-sku-id') === 'mpwx-tea-gift');
  // j-component renders no aria-* attributes: what the shopper reads is the 售罄 note and the greyed class
  expect(MiniProgram.text(gift!)).toBe('礼盒 200g（售罄）');
  expect(gift!.className).toContain('product__sku--disabled');
  const can = mp.all('sku-option').find((el) => el.getAttribute('data-sku-id') === 'mpwx-tea-can')!;
  await mp.tap(can);
  await mp.waitFor(() => can.className.includes('product__sku--active'), 'the 50g SKU selected');
  expect(await mp.text('product-detail-stock')).toMatch(
    stockBefore === undefined ? /^库存 \d+$/ : `库存 ${stockBefore}`,
  );
  // the product page keeps the quantity of the last visit: step to QUANTITY from wherever it is
  const quantity = () => Number(MiniProgram.text(mp.all('quantity-value')[0]!));
  for (let taps = 0; quantity() !== QUANTITY && taps < 10; taps++) {
    const before = quantity();
    await mp.tap(before < QUANTITY ? 'quantity-plus' : 'quantity-minus');
    await mp.waitFor(() => quantity() !== before, 'the quantity to change');
  }
  expect(quantity()).toBe(QUANTITY);
  await mp.tap('add-to-cart');
  await mp.waitFor(() => mp.all('cart-count').some((el) => MiniProgram.text(el) === String(QUANTITY)), 'cart count');
  // the cart is a tab: reached with switchTab, and its tab carries the count as WeChat's badge
  await mp.tap('product-detail-cart');
  await mp.waitForRoute('pages/cart/index');
  await mp.waitFor(() => mp.tabBadges.get(2) === String(QUANTITY), 'the 购物车 tab badge');
  const line = await mp.find('cart-line');
  expect(line.getAttribute('data-sku-id')).toBe('mpwx-tea-can');
  expect(await mp.text('cart-total')).toContain(TOTAL);
  await mp.tap('cart-checkout');
  await mp.waitForRoute('pages/checkout/index');
  expect(await mp.text('checkout-total')).toContain(TOTAL);
  await ensureAddress(mp);
}

/** A shopper's first order needs a shipping address: typed into the address book's form and picked. */
async function ensureAddress(mp: MiniProgram): Promise<void> {
  // the address book loads when the checkout shows: decide once it has
  await mp.waitFor(
    () => mp.all('checkout-address').some((el) => !MiniProgram.text(el).includes('加载地址中')),
    'the address book at checkout',
  );
  if (mp.all('checkout-address-add').length === 0) return;
  await mp.tap('checkout-address');
  await mp.waitForRoute('pages/address/index');
  await mp.find('address-form');
  const fields: [string, string][] = [
    ['address-name', '张三'],
    ['address-phone', '13800138000'],
    ['address-province', '浙江省'],
    ['address-city', '杭州市'],
    ['address-district', '西湖区'],
    ['address-detail', '文三路 100 号'],
  ];
  for (const [testId, value] of fields) await mp.type(testId, value);
  await mp.tap('address-save');
  await mp.waitForRoute('pages/checkout/index');
  await mp.waitFor(() => mp.all('checkout-address-add').length === 0, 'the picked address at checkout');
  expect(await mp.text('checkout-address')).toContain('文三路 100 号');
}

async function waitForCard(title: string): Promise<HTMLElement> {
  let card: HTMLElement | undefined;
  await mp.waitFor(
    () => {
      card = mp.all('product-card').find((el) => MiniProgram.text(el).includes(title));
      return card !== undefined;
    },
    `a product card "${title}"`,
    20_000,
  );
  return card!;
}

describe("the production mp-weixin bundle in WeChat's component framework", () => {
  let paidOrderNo = '';
  const paidOrders: string[] = [];

  it('a shopper launches the app, buys two cans, pays with wx.requestPayment and sees 支付成功', async () => {
    mp = newPhone(`o-mpwx-${randomBytes(6).toString('hex')}`);
    await mp.launch();
    expect(mp.currentRoute).toBe('pages/index/index');
    await waitForCard(TEA.title);
    const titles = mp.all('product-title').map((el) => MiniProgram.text(el));
    expect(titles.length).toBeGreaterThan(1);
    expect(titles[0]).toBe(TEA.title);
    expect(mp.calls.get('login')).toBe(1);

    await toCheckout(20);
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
    const toShip = await waitForOrderCard(paidOrderNo);
    expect(toShip.querySelectorAll('[data-testid="order-card-rebuy"]')).toHaveLength(1);
    await mp.tapTab('pages/index/index');
    await mp.tap('nav-orders');
    await mp.waitForRoute('pages/orders/index');
    const card = await waitForOrderCard(paidOrderNo);
    expect(MiniProgram.text(card.querySelector('[data-testid="order-card-status"]')!)).toBe('已支付');
    expect(MiniProgram.text(card.querySelector('[data-testid="order-card-total"]')!)).toContain(TOTAL);
    // pull-down refresh loads the list again and ends WeChat's refresh animation
    const stops = mp.calls.get('stopPullDownRefresh') ?? 0;
    await mp.pullDownRefresh();
    await mp.waitFor(() => (mp.calls.get('stopPullDownRefresh') ?? 0) > stops, 'stopPullDownRefresh');
    const refreshed = await waitForOrderCard(paidOrderNo);
    expect(MiniProgram.text(refreshed.querySelector('[data-testid="order-card-status"]')!)).toBe('已支付');
    await mp.tap(refreshed);
    await mp.waitForRoute('pages/order/index');
    await mp.waitFor(() => mp.all('order-status').some((el) => MiniProgram.text(el) === '已支付'), 'order 已支付');
    expect(await mp.text('order-no')).toBe(paidOrderNo);
  }, 120_000);

  it('a second order whose pay sheet is dismissed stays 待支付, and the shopper cancels it on the order page', async () => {
    await mp.open('/pages/index/index');
    await toCheckout();
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
    const closed = await waitForOrderCard(orderNo);
    expect(MiniProgram.text(closed.querySelector('[data-testid="order-card-status"]')!)).toBe('已关闭');
    const paid = await waitForOrderCard(paidOrderNo);
    expect(MiniProgram.text(paid.querySelector('[data-testid="order-card-status"]')!)).toBe('已支付');
  }, 120_000);

  it('WeChat Pay refuses a paySign that does not verify; paying again from the result page succeeds', async () => {
    await mp.open('/pages/index/index');
    await toCheckout();
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

async function waitForOrderCard(orderNo: string): Promise<HTMLElement> {
  let card: HTMLElement | undefined;
  await mp.waitFor(
    () => {
      card = mp.all('order-card').find((el) => el.getAttribute('data-order-no') === orderNo);
      return card !== undefined;
    },
    `order card ${orderNo}`,
    20_000,
  );
  return card!;
}
