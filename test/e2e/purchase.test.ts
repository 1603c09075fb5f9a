/**
 * The whole loop on the h5 build, in Chromium, against a real BFF (PostgreSQL) in sandbox mode:
 * a shopper browses, picks a SKU, fills the cart, checks out (the first answer is lost on the way
 * and the retry reuses the Idempotency-Key), pays on the sandbox's pay sheet, sees 支付成功 and the
 * order in the list; then an admin finds the order, reads its trail, refunds part of it, and both
 * sides see 部分退款.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { RunningBff } from '@uni-checkout/bff';
import { runJobsOnce } from '../../apps/bff/src/orders/jobs';
import { formatFen } from '@uni-checkout/shared';
import { shippingClient } from '../../apps/bff/src/fulfilment/wechat-adapter';
import { repoRoot } from '../miniapp/support/build';
import type { StaticServer } from '../miniapp/support/static-server';
import { ADDRESS, addAddressAtCheckout, screenshotsDir, snapshot, startShop, text, type Shop } from './support/shop';

/** A product with one SKU in stock and one sold out, listed first. */
const TEA = {
  id: 'e2e-tea',
  title: '高山乌龙 礼盒',
  description: '台湾高山茶区，轻发酵。\n冲泡：95 度水温，首泡 50 秒。',
  skus: [
    { id: 'e2e-tea-gift', title: '礼盒 300g', priceFen: 23900, stock: 0 },
    { id: 'e2e-tea-250', title: '罐装 250g', priceFen: 12800, stock: 10 },
  ],
};
const QUANTITY = 2;
const TOTAL_FEN = 12800 * QUANTITY;
const REFUND_FEN = 10050;

let shop: Shop;
let bff: RunningBff;
let site: StaticServer;
let ADMIN: Shop['admin'];

beforeAll(async () => {
  shop = await startShop();
  ({ bff, site, admin: ADMIN } = shop);
  const images = (await readdir(path.join(repoRoot, 'prisma', 'seed', 'images')))
    .filter((f) => /\.(png|jpe?g)$/i.test(f))
    .sort();
  await bff.ctx.prisma.product.create({
    data: {
      id: TEA.id,
      title: TEA.title,
      subtitle: '清香型',
      description: TEA.description,
      images: images.slice(0, 2).map((f) => `/static/products/${f}`),
      sortOrder: -1000,
      skus: { create: TEA.skus },
    },
  });
}, 900_000);

afterAll(async () => shop?.close());

const newPhone = () => shop.newPhone();

/** The tea's page, 罐装 250g, 立即购买: the checkout, open. */
async function buyTeaNow(page: Page): Promise<void> {
  await page.goto(`${site.url}/#/pages/product/index?id=${TEA.id}`);
  await page.getByTestId('sku-option').filter({ hasText: '罐装 250g' }).click();
  await page.getByTestId('buy-now').click();
  await page.getByTestId('checkout-submit').waitFor({ state: 'visible', timeout: 10_000 });
}

/** Taps `testId` (提交订单, 重新支付, …) and waits for the sandbox's pay sheet it leads to. */
async function toPaySheet(page: Page, testId: string): Promise<void> {
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(`${bff.ctx.sandboxUrl!}/sandbox/cashier`), { timeout: 20_000 }),
    page.getByTestId(testId).click(),
  ]);
}

/** On the pay sheet: pays, cancels or fails, and waits for the shop's result page it returns to. */
async function answerPaySheet(
  page: Page,
  button: 'cashier-confirm' | 'cashier-cancel' | 'cashier-fail',
): Promise<void> {
  await Promise.all([
    page.waitForURL((url) => url.hash.includes('pages/result/index'), { timeout: 20_000 }),
    page.getByTestId(button).click(),
  ]);
}

/** An item of uni-app's h5 tab bar (WeChat draws its own; the mp-weixin test taps it with tapTab). */
const tab = (page: Page, label: string) => page.locator('.uni-tabbar__item').filter({ hasText: label });

describe('purchase, payment and refund on the h5 build', () => {
  let orderNo = '';
  let shopperOpenid = '';
  /** The shopper's browser stays open: they look at their order again after the admin's refund. */
  let shopper: { context: BrowserContext; page: Page };

  afterAll(async () => shopper?.context.close());

  it('a shopper picks a SKU, checks out, pays on the sandbox pay sheet and sees 支付成功', async () => {
    shopper = await newPhone();
    const { page } = shopper;
    {
      // -- browse
      await page.goto(`${site.url}/#/pages/index/index`);
      const card = page.getByTestId('product-card').filter({ hasText: TEA.title });
      await card.waitFor({ state: 'visible', timeout: 20_000 });
      await card.click();

      // -- product detail
      await page.getByTestId('product-detail-title').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'product-detail-title')).toBe(TEA.title);
      expect(await text(page, 'product-detail-description')).toContain('高山茶区');
      expect(await page.getByTestId('product-image').count()).toBe(2);
      const options = page.getByTestId('sku-option');
      expect(await options.count()).toBe(2);
      const soldOut = options.filter({ hasText: '礼盒 300g' });
      const inStock = options.filter({ hasText: '罐装 250g' });
      expect(await soldOut.getAttribute('aria-disabled')).toBe('true');
      // tapping the sold-out SKU selects nothing
      await soldOut.click();
      expect(await soldOut.getAttribute('aria-selected')).toBe('false');
      await inStock.click();
      expect(await inStock.getAttribute('aria-selected')).toBe('true');
      expect(await text(page, 'product-detail-price')).toBe(formatFen(12800));
      // the stepper stops at 1 going down
      await page.getByTestId('quantity-minus').click();
      expect(await text(page, 'quantity-value')).toBe('1');
      await page.getByTestId('quantity-plus').click();
      expect(await text(page, 'quantity-value')).toBe(String(QUANTITY));
      await snapshot(page, '01-product.png');
      await page.getByTestId('add-to-cart').click();
      await expect.poll(() => text(page, 'cart-count')).toBe(String(QUANTITY));

      // -- cart (kept in storage, display total only)
      await page.getByTestId('product-detail-cart').click();
      const line = page.getByTestId('cart-line');
      await line.first().waitFor({ state: 'visible', timeout: 10_000 });
      expect(await line.count()).toBe(1);
      expect(await text(page, 'cart-total')).toBe(formatFen(TOTAL_FEN));
      await page.getByTestId('cart-line-quantity-plus').click();
      expect(await text(page, 'cart-total')).toBe(formatFen(12800 * 3));
      await page.getByTestId('cart-line-quantity-minus').click();
      expect(await text(page, 'cart-total')).toBe(formatFen(TOTAL_FEN));
      const stored = await page.evaluate(() => localStorage.getItem('uni-checkout:cart'));
      expect(stored).toContain(TEA.skus[1]!.id);
      await snapshot(page, '02-cart.png');
      await page.getByTestId('cart-checkout').click();

      // -- checkout: the first POST /api/orders reaches the BFF but its answer is lost
      await page.getByTestId('checkout-submit').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'checkout-total')).toBe(formatFen(TOTAL_FEN));
      await addAddressAtCheckout(page, '02b-address-form.png');
      await page.getByTestId('checkout-remark').locator('textarea').fill('请尽快发货');
      // the draft (with its remark) is kept in storage: wait for the typed remark to reach it
      await expect
        .poll(() => page.evaluate(() => localStorage.getItem('uni-checkout:checkout')))
        .toContain('请尽快发货');
      const keys: string[] = [];
      let dropped = false;
      await page.route(`${bff.url}/api/orders`, async (route) => {
        const request = route.request();
        if (request.method() !== 'POST') return route.fallback();
        keys.push((await request.headerValue('idempotency-key')) ?? '');
        if (!dropped) {
          dropped = true;
          await route.fetch(); // the order is created at the BFF…
          return route.abort('connectionreset'); // …and the shopper never hears of it
        }
        return route.fallback();
      });
      await page.getByTestId('checkout-submit').click();
      await page.getByTestId('checkout-error').waitFor({ state: 'visible', timeout: 10_000 });
      await snapshot(page, '03-checkout-error.png');

      // the retry carries the same key: the BFF answers the order it already made
      await toPaySheet(page, 'checkout-submit');
      expect(keys).toHaveLength(2);
      expect(keys[0]).toMatch(/^[\x21-\x7e]{1,128}$/);
      expect(keys[1]).toBe(keys[0]);
      await page.unrouteAll();

      // -- the sandbox's pay sheet: amount as the BFF priced it
      const cashier = new URL(page.url());
      shopperOpenid = cashier.searchParams.get('openid') ?? '';
      expect(shopperOpenid).toMatch(/^oH5[0-9A-Za-z]{25}$/);
      await page.getByTestId('cashier-confirm').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'cashier-amount')).toContain((TOTAL_FEN / 100).toFixed(2));
      await page.screenshot({ path: path.join(screenshotsDir, '04-cashier.png') });
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(site.url) && url.hash.includes('pages/result/index'), {
          timeout: 20_000,
        }),
        page.getByTestId('cashier-confirm').click(),
      ]);

      // -- result page: polls the BFF until WeChat's word is in
      await expect.poll(() => text(page, 'result-status'), { timeout: 25_000 }).toBe('支付成功');
      orderNo = await text(page, 'order-no');
      expect(orderNo).toMatch(/^[0-9A-Za-z_\-|*]{6,32}$/);
      expect(await text(page, 'result-amount')).toBe(formatFen(TOTAL_FEN));
      await snapshot(page, '05-result.png');

      // exactly one order was created for the two submissions, priced by the server
      const orders = await bff.ctx.prisma.order.findMany({ where: { user: { openid: shopperOpenid } } });
      expect(orders.map((o) => [o.orderNo, o.status, o.totalFen])).toEqual([[orderNo, 'PAID', TOTAL_FEN]]);
      // the cart no longer holds what was ordered
      expect(await page.evaluate(() => localStorage.getItem('uni-checkout:cart'))).toBeNull();

      // -- the order in the list (tab 已支付) and its detail
      await page.getByTestId('result-view-order').click();
      await expect.poll(() => text(page, 'order-status'), { timeout: 10_000 }).toBe('已支付');
      expect(await text(page, 'order-no')).toBe(orderNo);
      expect(await text(page, 'order-total')).toBe(formatFen(TOTAL_FEN));
      expect(await text(page, 'order-remark')).toBe('请尽快发货');
      const timeline = (await page.getByTestId('order-timeline-item').allInnerTexts()).join('\n');
      expect(timeline).toContain('下单');
      expect(timeline).toContain('支付成功');
      expect(await page.getByTestId('order-refund-open').count()).toBe(1);
      expect(await page.getByTestId('order-pay').count()).toBe(0);
      await snapshot(page, '06-order.png', true);

      await page.goto(`${site.url}/#/pages/orders/index`);
      const mine = page.getByTestId('order-card').filter({ hasText: orderNo });
      await mine.waitFor({ state: 'visible', timeout: 10_000 });
      expect((await mine.getByTestId('order-card-status').innerText()).trim()).toBe('已支付');
      await page.getByTestId('orders-tab-PENDING_PAYMENT').click();
      await page.getByTestId('orders-empty').waitFor({ state: 'visible', timeout: 10_000 });
      await page.getByTestId('orders-tab-PAID').click();
      await mine.waitFor({ state: 'visible', timeout: 10_000 });
      await snapshot(page, '07-orders.png');

      // -- the shopper asks for a refund (a reason is required)
      await mine.click();
      await page.getByTestId('order-refund-open').click();
      await page.getByTestId('order-refund-submit').click();
      expect(await text(page, 'order-refund-error')).toBe('请填写退款原因');
      await page.getByTestId('order-refund-reason').locator('textarea').fill('买多了一罐');
      await page.getByTestId('order-refund-submit').click();
      await page.getByTestId('order-refund-requested').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.getByTestId('order-refund-open').count()).toBe(0);
      const requests = await bff.ctx.prisma.refundRequest.findMany({ where: { order: { orderNo } } });
      expect(requests.map((r) => [r.reason, r.status])).toEqual([['买多了一罐', 'REQUESTED']]);
    }
  }, 120_000);

  it('an admin finds the order, reads its trail, refunds part of it, and the order is 部分退款', async () => {
    expect(orderNo).not.toBe('');
    const { context, page } = await newPhone();
    try {
      await page.goto(`${site.url}/#/pages-admin/orders/index`);
      // no admin session yet: the login page, which brings the admin back to the list
      await page.getByTestId('admin-login-form').waitFor({ state: 'visible', timeout: 20_000 });
      await page.getByTestId('admin-username').locator('input').fill(ADMIN.username);
      await page.getByTestId('admin-password').locator('input').fill(ADMIN.password);
      await page.getByTestId('admin-login-submit').click();
      await page.getByTestId('admin-orders-list').waitFor({ state: 'visible', timeout: 40_000 }); // real scrypt on a busy machine
      // the admin's token is its own; no shopper session in this browser
      expect(await page.evaluate(() => localStorage.getItem('uni-checkout:token'))).toBeNull();

      // search by the shopper's openid, then by the order number
      await page.getByTestId('admin-search-input').locator('input').fill(shopperOpenid);
      await page.getByTestId('admin-search-submit').click();
      await expect.poll(() => page.getByTestId('admin-order-row').count(), { timeout: 10_000 }).toBe(1);
      await page.getByTestId('admin-search-input').locator('input').fill(orderNo);
      await page.getByTestId('admin-search-submit').click();
      const row = page.getByTestId('admin-order-row').filter({ hasText: orderNo });
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      expect((await row.getByTestId('admin-order-status').innerText()).trim()).toBe('已支付');
      await page.getByTestId('admin-filter-status-PENDING_PAYMENT').click();
      await page.getByTestId('admin-orders-empty').waitFor({ state: 'visible', timeout: 10_000 });
      await page.getByTestId('admin-filter-status-PAID').click();
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await snapshot(page, '08-admin-orders.png');

      // CSV export (h5): the file the BFF streams, fetched with the admin's token
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('admin-export-csv').click(),
      ]);
      const csv = await readFile((await download.path())!, 'utf8');
      expect(csv).toContain(orderNo);
      expect(download.suggestedFilename()).toMatch(/^orders-\d{4}-\d{2}-\d{2}\.csv$/);

      // -- detail with the trail
      await row.click();
      await page.getByTestId('admin-order-detail-no').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'admin-order-detail-no')).toBe(orderNo);
      expect(await text(page, 'admin-order-openid')).toBe(shopperOpenid);
      const types = await page
        .getByTestId('admin-event')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-event-type')));
      expect(types[0]).toBe('ORDER_CREATED');
      expect(types).toEqual(expect.arrayContaining(['PREPAY_CREATED', 'PAYMENT_SETTLED']));
      await snapshot(page, '09-admin-order.png', true);

      // the shopper's open request is shown, and its reason can be taken over
      expect(await text(page, 'admin-refund-request-reason')).toBe('买多了一罐');
      await page.getByTestId('admin-refund-request-use').click();
      await expect.poll(() => page.getByTestId('admin-refund-reason').locator('input').inputValue()).toBe('买多了一罐');

      // -- a refund the form refuses, then a partial one
      // (the form's live preview shows when the typed amount has reached it)
      const tooMuch = `最多可退 ${formatFen(TOTAL_FEN)}`;
      await page.getByTestId('admin-refund-amount').locator('input').fill(String(TOTAL_FEN)); // yuan: far too much
      await expect.poll(() => text(page, 'admin-refund-preview')).toBe(tooMuch);
      await page.getByTestId('admin-refund-reason').locator('input').fill('部分商品缺货');
      await expect
        .poll(() => page.getByTestId('admin-refund-reason').locator('input').inputValue())
        .toBe('部分商品缺货');
      await page.getByTestId('admin-refund-submit').click();
      expect(await text(page, 'admin-refund-error')).toBe(tooMuch);
      await page
        .getByTestId('admin-refund-amount')
        .locator('input')
        .fill((REFUND_FEN / 100).toFixed(2));
      await expect.poll(() => text(page, 'admin-refund-preview')).toBe(`将退款 ${formatFen(REFUND_FEN)}`);
      await page.getByTestId('admin-refund-submit').click();
      // no money moves on one tap: a confirmation names the amount first
      const confirm = page.locator('.uni-modal');
      await confirm.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await confirm.innerText()).toContain(`向顾客退款 ${formatFen(REFUND_FEN)}`);
      expect(await bff.ctx.prisma.refund.count({ where: { order: { orderNo } } })).toBe(0);
      await confirm.locator('.uni-modal__btn_primary').click();
      await expect.poll(() => text(page, 'admin-order-status'), { timeout: 20_000 }).toBe('部分退款');
      expect(await text(page, 'admin-order-refunded')).toBe(formatFen(REFUND_FEN));
      await expect.poll(() => text(page, 'admin-refund-status'), { timeout: 10_000 }).toBe('退款成功');
      // refunding answered the shopper's request
      expect(await page.getByTestId('admin-refund-request').count()).toBe(0);
      const after = await page
        .getByTestId('admin-event')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-event-type')));
      expect(after).toEqual(expect.arrayContaining(['REFUND_REQUESTED', 'REFUND_SETTLED']));
      const order = await bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo } });
      expect([order.status, order.refundedFen]).toEqual(['PARTIALLY_REFUNDED', REFUND_FEN]);
      await snapshot(page, '10-admin-refunded.png', true);

      // -- today's figures
      await page.goto(`${site.url}/#/pages-admin/stats/index`);
      await page.getByTestId('stats-today-gmv').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'stats-today-gmv')).toBe(formatFen(TOTAL_FEN));
      expect(await text(page, 'stats-today-paid')).toBe('1');
      expect(await text(page, 'stats-today-refunded')).toBe(formatFen(REFUND_FEN));
      expect(await page.getByTestId('stats-day').count()).toBe(14);
      await snapshot(page, '11-admin-stats.png', true);
    } finally {
      await context.close();
    }

    // -- the shopper's order page shows the refund
    const { page: shopperPage } = shopper;
    await shopperPage.goto(`${site.url}/#/pages/order/index?orderNo=${orderNo}`);
    await expect.poll(() => text(shopperPage, 'order-status'), { timeout: 10_000 }).toBe('部分退款');
    expect(await text(shopperPage, 'order-refunded')).toBe(formatFen(REFUND_FEN));
    const timeline = (await shopperPage.getByTestId('order-timeline-item').allInnerTexts()).join('\n');
    expect(timeline).toContain('退款成功');
    expect(timeline).toContain('¥100.50 · 部分商品缺货');
    // the request was answered by the refund: it may ask again for what is left
    expect(await shopperPage.getByTestId('order-refund-requested').count()).toBe(0);
    await snapshot(shopperPage, '12-order-refunded.png', true);
  }, 120_000);
});

describe('the result page when the shopper does not pay', () => {
  it('shows 待支付 after a cancelled pay sheet, and pays on the second try', async () => {
    const { context, page } = await newPhone();
    try {
      await buyTeaNow(page);
      expect(await text(page, 'checkout-total')).toBe(formatFen(12800));
      await addAddressAtCheckout(page);
      await toPaySheet(page, 'checkout-submit');
      await answerPaySheet(page, 'cashier-cancel');
      await expect.poll(() => text(page, 'result-status'), { timeout: 15_000 }).toBe('待支付');
      expect(await text(page, 'result-hint')).toContain('支付已取消');
      await snapshot(page, '13-result-unpaid.png');

      await toPaySheet(page, 'result-pay-again');
      await answerPaySheet(page, 'cashier-confirm');
      await expect.poll(() => text(page, 'result-status'), { timeout: 25_000 }).toBe('支付成功');

      // back from the result page (the first page after the pay sheet's redirect) leads to the shop,
      // not to the pay sheet of a paid order
      await page.locator('.uni-page-head-btn').first().click();
      await page.getByTestId('product-list').waitFor({ state: 'visible', timeout: 10_000 });
      expect(page.url().startsWith(site.url)).toBe(true);
    } finally {
      await context.close();
    }
  }, 90_000);
});

describe('the shopper’s order list', () => {
  it('pages through every order with the cursor, and a pending order can be cancelled', async () => {
    // A returning h5 shopper: the made-up openid kept in storage logs them in again.
    const openid = `oH5Pager${randomBytes(8).toString('hex')}`;
    await bff.ctx.prisma.product.create({
      data: {
        id: 'e2e-pager',
        title: '分页测试商品',
        images: [],
        sortOrder: 1000,
        skus: { create: [{ id: 'e2e-pager-sku', title: '标准', priceFen: 100, stock: 500 }] },
      },
    });
    const login = await fetch(`${bff.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: `sandbox:${openid}` }),
    });
    const { token } = (await login.json()) as { token: string };
    const created: string[] = [];
    for (let i = 1; i <= 23; i++) {
      const res = await fetch(`${bff.url}/api/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${token}`,
          'idempotency-key': `pager-${openid}-${i}`,
        },
        body: JSON.stringify({ items: [{ skuId: 'e2e-pager-sku', quantity: i }], address: ADDRESS }),
      });
      expect(res.status).toBe(201);
      created.push(((await res.json()) as { orderNo: string }).orderNo);
    }

    const { context, page } = await newPhone();
    try {
      await context.addInitScript((id) => {
        localStorage.setItem('uni-checkout:sandbox-openid', id);
        // …holding a session the BFF no longer accepts (expired, or signed with an old secret)
        if (!sessionStorage.getItem('seeded')) {
          sessionStorage.setItem('seeded', '1');
          localStorage.setItem('uni-checkout:token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c3RhbGU');
        }
      }, openid);
      const logins: number[] = [];
      page.on('response', (res) => {
        if (res.url() === `${bff.url}/api/auth/login`) logins.push(res.status());
      });
      await page.goto(`${site.url}/#/pages/orders/index`);
      const cards = page.getByTestId('order-card');
      await cards.first().waitFor({ state: 'visible', timeout: 20_000 });
      expect(await cards.count()).toBe(20);
      // the 401 dropped the stale token, one fresh login followed, and the list loaded without an error
      expect(logins).toEqual([200]);
      const renewed = await page.evaluate(() => localStorage.getItem('uni-checkout:token'));
      expect(renewed).toMatch(/^ey/);
      expect(renewed).not.toBe('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c3RhbGU');
      await expect
        .poll(
          async () => {
            await page.mouse.wheel(0, 20_000);
            return cards.count();
          },
          { timeout: 20_000 },
        )
        .toBe(23);
      const shown = await cards.evaluateAll((els) => els.map((e) => e.getAttribute('data-order-no')));
      expect(shown).toEqual([...created].reverse()); // newest first, each once
      await snapshot(page, '14-orders-paged.png');

      // cancel the newest one (a confirmation first)
      await cards.first().click();
      await page.getByTestId('order-cancel').click();
      await page.locator('.uni-modal__btn_primary').click();
      await expect.poll(() => text(page, 'order-status'), { timeout: 10_000 }).toBe('已关闭');
      expect(await page.getByTestId('order-pay').count()).toBe(0);
      const closed = await bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: created[22]! } });
      expect(closed.status).toBe('CLOSED');
    } finally {
      await context.close();
    }

    // the admin list pages too: 加载更多 until every order of the shop is there, newest first
    const everyOrder = (await bff.ctx.prisma.order.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })).map(
      (o) => o.orderNo,
    );
    expect(everyOrder.length).toBeGreaterThan(20);
    const admin = await newPhone();
    try {
      const page = admin.page;
      await page.goto(`${site.url}/#/pages-admin/login/index`);
      await page.getByTestId('admin-username').locator('input').fill(ADMIN.username);
      await page.getByTestId('admin-password').locator('input').fill(ADMIN.password);
      await page.getByTestId('admin-login-submit').click();
      const rows = page.getByTestId('admin-order-row');
      await rows.first().waitFor({ state: 'visible', timeout: 40_000 });
      expect(await rows.count()).toBe(20);
      while (await page.getByTestId('admin-orders-more').count()) {
        const before = await rows.count();
        await page.getByTestId('admin-orders-more').click();
        await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(before);
      }
      await page.getByTestId('admin-orders-end').waitFor({ state: 'visible' });
      expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-order-no')))).toEqual(everyOrder);
    } finally {
      await admin.context.close();
    }
  }, 90_000);
});

/** A coffee with 3 in stock: the cart holds no more, and a checkout that finds less goes back to edit. */
const BEANS = { id: 'e2e-beans', title: '埃塞俄比亚 耶加雪菲', skuId: 'e2e-beans-250', priceFen: 8800 };

describe('stock, failed payments and deadlines as the shopper sees them', () => {
  beforeAll(async () => {
    await bff.ctx.prisma.product.create({
      data: {
        id: BEANS.id,
        title: BEANS.title,
        category: 'coffee',
        images: [],
        sortOrder: -900,
        skus: { create: [{ id: BEANS.skuId, title: '250g', priceFen: BEANS.priceFen, stock: 3 }] },
      },
    });
  });

  it('browses by category, is held at the stock, is told 库存仅剩 N 件 at checkout, edits the cart and pays', async () => {
    const { context, page } = await newPhone();
    try {
      await page.goto(`${site.url}/#/pages/index/index`);
      // the home page's chips filter in place
      await page.getByTestId('category-list').waitFor({ state: 'visible', timeout: 20_000 });
      await page.locator('[data-testid="category-chip"][data-category="coffee"]').click();
      await page.getByTestId('product-card').filter({ hasText: BEANS.title }).waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('product-card').filter({ hasText: TEA.title }).count()).toBe(0);
      expect(await text(page, 'category-list')).toContain('咖啡');
      await snapshot(page, '20-home-chips.png');

      // the 分类 tab: the catalog's categories down the side, the chosen one's products beside
      await tab(page, '分类').click();
      await page.getByTestId('category-side').waitFor({ state: 'visible', timeout: 20_000 });
      expect((await page.getByTestId('category-side-item').allInnerTexts()).map((t) => t.trim())).toEqual(
        expect.arrayContaining(['茶叶', '咖啡']),
      );
      await page.locator('[data-testid="category-side-item"][data-category="coffee"]').click();
      expect(await text(page, 'category-title')).toBe('咖啡');
      const card = page.getByTestId('category-products').getByTestId('product-card').filter({ hasText: BEANS.title });
      await card.waitFor({ state: 'visible', timeout: 10_000 });
      expect(
        await page.getByTestId('category-products').getByTestId('product-card').filter({ hasText: TEA.title }).count(),
      ).toBe(0);
      await snapshot(page, '20-category.png');
      await card.click();

      // the stepper stops at the 3 in stock
      await page.getByTestId('product-detail-title').waitFor({ state: 'visible', timeout: 10_000 });
      for (let i = 0; i < 5; i++) await page.getByTestId('quantity-plus').click();
      expect(await text(page, 'quantity-value')).toBe('3');
      await page.getByTestId('add-to-cart').click();
      await expect.poll(() => text(page, 'cart-count')).toBe('3');
      // the cart is a tab: the product page's cart link switches to it, where the tab shows the count
      await page.getByTestId('product-detail-cart').click();
      await page.getByTestId('cart-line').first().waitFor({ state: 'visible', timeout: 10_000 });
      await expect.poll(() => tab(page, '购物车').locator('.uni-tabbar__badge').innerText()).toBe('3');
      expect(await text(page, 'cart-line-stock')).toBe('仅剩 3 件');
      await page.getByTestId('cart-line-quantity-plus').click();
      expect(await text(page, 'cart-line-quantity-value')).toBe('3');
      await snapshot(page, '21-cart-low-stock.png');

      // meanwhile two are sold elsewhere: the checkout says what is left and leads back to the cart
      await bff.ctx.prisma.sku.update({ where: { id: BEANS.skuId }, data: { stock: 1 } });
      await page.getByTestId('cart-checkout').click();
      await page.getByTestId('checkout-submit').waitFor({ state: 'visible', timeout: 10_000 });
      await addAddressAtCheckout(page);
      await page.getByTestId('checkout-submit').click();
      await expect.poll(() => text(page, 'checkout-error'), { timeout: 10_000 }).toBe('库存仅剩 1 件，去购物车修改');
      // sending the same lines again cannot succeed: the bar offers to change them instead
      expect(await page.getByTestId('checkout-submit').count()).toBe(0);
      expect(await text(page, 'checkout-edit-submit')).toBe('修改购物车');
      await snapshot(page, '22-checkout-out-of-stock.png');
      await page.getByTestId('checkout-edit').click();
      await expect.poll(() => text(page, 'cart-line-stock'), { timeout: 10_000 }).toBe('库存仅剩 1 件');
      expect(await text(page, 'cart-blocked')).toContain('库存不足');
      await page.getByTestId('cart-line-quantity-minus').click();
      await page.getByTestId('cart-line-quantity-minus').click();
      expect(await text(page, 'cart-line-quantity-value')).toBe('1');
      await expect.poll(() => page.getByTestId('cart-blocked').count()).toBe(0);

      await page.getByTestId('cart-checkout').click();
      await page.getByTestId('checkout-submit').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'checkout-total')).toBe(formatFen(BEANS.priceFen));
      await toPaySheet(page, 'checkout-submit');
      await answerPaySheet(page, 'cashier-confirm');
      await expect.poll(() => text(page, 'result-status'), { timeout: 25_000 }).toBe('支付成功');
      expect((await bff.ctx.prisma.sku.findUniqueOrThrow({ where: { id: BEANS.skuId } })).stock).toBe(0);
      const orderNo = await text(page, 'order-no');

      // 我的: the paid order waits to ship; its entry opens the list on that tab, whose card buys again
      await page.getByTestId('result-go-shop').click();
      await tab(page, '我的').click();
      const toShip = page.locator('[data-testid="me-order-entry"][data-key="UNSHIPPED"]');
      await expect.poll(() => toShip.getByTestId('me-order-count').innerText(), { timeout: 10_000 }).toBe('1');
      expect(
        await page
          .locator('[data-testid="me-order-entry"][data-key="PENDING_PAYMENT"]')
          .getByTestId('me-order-count')
          .count(),
      ).toBe(0);
      expect(await page.getByTestId('me-addresses').innerText()).toContain('共 1 个');
      await snapshot(page, '28-me.png');
      await toShip.click();
      const mine = page.getByTestId('order-card').filter({ hasText: orderNo });
      await mine.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.getByTestId('orders-tab-UNSHIPPED').getAttribute('aria-selected')).toBe('true');
      expect(await mine.getByTestId('order-card-thumb').count()).toBe(1);
      expect(await mine.getByTestId('order-card-pay').count()).toBe(0);
      await snapshot(page, '29-orders-to-ship.png');
      await mine.getByTestId('order-card-rebuy').click();
      await page.getByTestId('cart-line').first().waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.getByTestId('cart-line').getAttribute('data-sku-id')).toBe(BEANS.skuId);
      // sold out since: the cart says so and holds the checkout
      await expect.poll(() => text(page, 'cart-line-stock'), { timeout: 10_000 }).toBe('售罄');
    } finally {
      await context.close();
    }
  }, 120_000);

  it('says 支付失败 at once when the pay sheet fails, pays again, and a settled pay sheet refuses and returns', async () => {
    const { context, page } = await newPhone();
    try {
      await buyTeaNow(page);
      const sandboxUrl = bff.ctx.sandboxUrl!;
      await addAddressAtCheckout(page);
      await toPaySheet(page, 'checkout-submit');
      await answerPaySheet(page, 'cashier-fail');
      // no 20-second wait for WeChat's word: the sheet said it failed, and the order is unpaid
      const shown = Date.now();
      await expect.poll(() => text(page, 'result-status'), { timeout: 5_000 }).toBe('支付失败');
      console.log(`支付失败 shown ${Date.now() - shown} ms after the result page opened`);
      expect(await text(page, 'result-hint')).toBe('支付未成功，可点「重新支付」再试一次');
      expect(await page.getByTestId('result-retry').count()).toBe(0);
      await snapshot(page, '23-result-failed.png');

      await toPaySheet(page, 'result-pay-again');
      await answerPaySheet(page, 'cashier-confirm');
      await expect.poll(() => text(page, 'result-status'), { timeout: 25_000 }).toBe('支付成功');

      // browser back: the pay sheet of the paid order refuses, and returns to the shop by itself
      await page.goBack();
      await page.waitForURL((url) => url.href.startsWith(`${sandboxUrl}/sandbox/cashier`), { timeout: 10_000 });
      expect(await page.getByTestId('cashier-problem').innerText()).toBe('该订单已支付');
      expect(await page.getByTestId('cashier-confirm').isDisabled()).toBe(true);
      await page.waitForURL((url) => url.href.startsWith(site.url) && url.hash.includes('pages/result/index'), {
        timeout: 10_000,
      });
      await expect.poll(() => text(page, 'result-status'), { timeout: 25_000 }).toBe('支付成功');
    } finally {
      await context.close();
    }
  }, 120_000);

  it('counts an unpaid order down in mm:ss, and at zero reads it again and says it timed out', async () => {
    const { context, page } = await newPhone();
    try {
      await buyTeaNow(page);
      await addAddressAtCheckout(page);
      await toPaySheet(page, 'checkout-submit');
      // backing out of the pay sheet leads to the order waiting for payment, not to an empty checkout
      await page.goBack();
      await page.waitForURL((url) => url.hash.includes('pages/order/index'), { timeout: 20_000 });
      await expect.poll(() => text(page, 'order-status'), { timeout: 10_000 }).toBe('待支付');
      const orderNo = await text(page, 'order-no');
      await expect.poll(() => text(page, 'order-countdown'), { timeout: 5_000 }).toMatch(/^(29|30):\d\d$/);
      // reached without a page below it: a way home
      expect(await page.getByTestId('nav-home').count()).toBe(1);
      await snapshot(page, '24-order-countdown.png');

      // the deadline comes near (the order's 30 minutes, shortened to seconds: the page reads it
      // again on reload and counts down the rest in real time)
      await bff.ctx.prisma.order.update({
        where: { orderNo },
        data: { expiresAt: new Date(Date.now() + 10_000) },
      });
      await page.reload();
      await expect.poll(() => text(page, 'order-countdown'), { timeout: 15_000 }).toMatch(/^00:[0-2]\d$/);
      const first = await text(page, 'order-countdown');
      await expect.poll(() => text(page, 'order-countdown'), { timeout: 3_000 }).not.toBe(first);
      await page.getByTestId('order-expired').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.getByTestId('order-pay').count()).toBe(0);
      // the BFF's expiry pass closes it (at WeChat first); the page, still reading, shows the outcome
      await runJobsOnce(bff.ctx, { requeryAfterMs: 0 });
      await expect.poll(() => text(page, 'order-status'), { timeout: 15_000 }).toBe('已关闭');
      expect(await text(page, 'order-close-reason')).toBe('超时未支付，订单已自动关闭');
      const timeline = (await page.getByTestId('order-timeline-item').allInnerTexts()).join('\n');
      expect(timeline).toContain('超时未支付，订单已自动关闭');
      await snapshot(page, '25-order-timed-out.png', true);

      // home from there
      await page.getByTestId('nav-home').click();
      await page.getByTestId('product-list').waitFor({ state: 'visible', timeout: 10_000 });
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('a refund request, answered by an admin', () => {
  it('is turned down with a reason the shopper reads, then asked again and refunded after a confirmation', async () => {
    const shopperPhone = await newPhone();
    const adminPhone = await newPhone();
    try {
      // -- a paid order
      const page = shopperPhone.page;
      await buyTeaNow(page);
      await addAddressAtCheckout(page);
      await toPaySheet(page, 'checkout-submit');
      await answerPaySheet(page, 'cashier-confirm');
      await expect.poll(() => text(page, 'result-status'), { timeout: 25_000 }).toBe('支付成功');
      const orderNo = await text(page, 'order-no');
      await page.getByTestId('result-view-order').click();
      await page.getByTestId('order-refund-open').click();
      await page.getByTestId('order-refund-reason').locator('textarea').fill('不想要了');
      await page.getByTestId('order-refund-submit').click();
      await page.getByTestId('order-refund-requested').waitFor({ state: 'visible', timeout: 10_000 });

      // -- the admin sees it flagged in the list, and turns it down with a reason
      const admin = adminPhone.page;
      await admin.goto(
        `${site.url}/#/pages-admin/login/index?redirect=${encodeURIComponent('/pages-admin/orders/index')}`,
      );
      await admin.getByTestId('admin-username').locator('input').fill(ADMIN.username);
      await admin.getByTestId('admin-password').locator('input').fill(ADMIN.password);
      await snapshot(admin, '00-admin-login.png');
      await admin.getByTestId('admin-login-submit').click();
      const row = admin.getByTestId('admin-order-row').filter({ hasText: orderNo });
      await row.waitFor({ state: 'visible', timeout: 40_000 });
      expect((await row.getByTestId('admin-order-refund-flag').innerText()).trim()).toBe('顾客申请退款，待处理');
      await row.click();
      await admin.getByTestId('admin-refund-request').waitFor({ state: 'visible', timeout: 10_000 });
      await admin.getByTestId('admin-refund-request-reject').click();
      await admin.getByTestId('admin-reject-submit').click();
      expect(await text(admin, 'admin-reject-error')).toBe('请填写拒绝原因，顾客会看到它');
      await admin.getByTestId('admin-reject-reason').locator('input').fill('茶叶已拆封，不支持无理由退货');
      await expect
        .poll(() => admin.getByTestId('admin-reject-reason').locator('input').inputValue())
        .toBe('茶叶已拆封，不支持无理由退货');
      await admin.getByTestId('admin-reject-submit').click();
      await expect.poll(() => admin.getByTestId('admin-refund-request').count(), { timeout: 10_000 }).toBe(0);
      await snapshot(admin, '26-admin-rejected.png', true);

      // -- the shopper reads why, in the header and the timeline, and may ask again
      await page.reload();
      await expect
        .poll(() => text(page, 'order-refund-rejected'), { timeout: 10_000 })
        .toBe('退款申请未通过：茶叶已拆封，不支持无理由退货');
      const timeline = (await page.getByTestId('order-timeline-item').allInnerTexts()).join('\n');
      expect(timeline).toContain('申请退款');
      expect(timeline).toContain('原因：茶叶已拆封，不支持无理由退货');
      await snapshot(page, '27-order-refund-rejected.png', true);
      await page.getByTestId('order-refund-open').click();
      await page.getByTestId('order-refund-reason').locator('textarea').fill('包装破损');
      await page.getByTestId('order-refund-submit').click();
      await page.getByTestId('order-refund-requested').waitFor({ state: 'visible', timeout: 10_000 });

      // -- this time the admin approves: the whole amount, after a confirmation
      await admin.getByTestId('admin-order-refresh').click();
      await admin.getByTestId('admin-refund-request').waitFor({ state: 'visible', timeout: 10_000 });
      await admin.getByTestId('admin-refund-request-use').click();
      await admin.getByTestId('admin-refund-all').click();
      await expect.poll(() => text(admin, 'admin-refund-preview')).toBe(`将退款 ${formatFen(12800)}`);
      await admin.getByTestId('admin-refund-submit').click();
      const confirm = admin.locator('.uni-modal');
      await confirm.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await confirm.innerText()).toContain(`向顾客退款 ${formatFen(12800)}`);
      await confirm.locator('.uni-modal__btn_primary').click();
      await expect.poll(() => text(admin, 'admin-order-status'), { timeout: 20_000 }).toBe('已退款');

      await page.reload();
      await expect.poll(() => text(page, 'order-status'), { timeout: 10_000 }).toBe('已退款');
      expect(await text(page, 'order-refunded')).toBe(formatFen(12800));
      const after = (await page.getByTestId('order-timeline-item').allInnerTexts()).join('\n');
      expect(after).toContain(`${formatFen(12800)} · 包装破损`);
    } finally {
      await shopperPhone.context.close();
      await adminPhone.context.close();
    }
  }, 180_000);
});

describe('fulfilment: checkout with a new address, the admin ships, the shopper confirms receipt', () => {
  it('goes from 待发货 to 待收货 to 已收货', async () => {
    const shopper = await newPhone();
    const admin = await newPhone();
    try {
      // -- the shopper buys with a new address and pays
      const { page } = shopper;
      await buyTeaNow(page);
      await addAddressAtCheckout(page);
      await snapshot(page, '20-checkout-address.png');
      await toPaySheet(page, 'checkout-submit');
      await page.getByTestId('cashier-confirm').waitFor({ state: 'visible', timeout: 10_000 });
      await answerPaySheet(page, 'cashier-confirm');
      await expect.poll(() => text(page, 'result-status'), { timeout: 25_000 }).toBe('支付成功');
      const orderNo = await text(page, 'order-no');
      const placed = await bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo } });
      expect(placed.address).toEqual({ ...ADDRESS, postalCode: null });

      await page.goto(`${site.url}/#/pages/orders/index`);
      await page.getByTestId('orders-tab-UNSHIPPED').click();
      const card = page.getByTestId('order-card').filter({ hasText: orderNo });
      await card.waitFor({ state: 'visible', timeout: 10_000 });
      expect((await card.getByTestId('order-card-fulfilment').innerText()).trim()).toBe('待发货');

      // -- the admin finds it under 待发货 and ships it with a tracking number
      const a = admin.page;
      await a.goto(`${site.url}/#/pages-admin/login/index`);
      await a.getByTestId('admin-username').locator('input').fill(ADMIN.username);
      await a.getByTestId('admin-password').locator('input').fill(ADMIN.password);
      await a.getByTestId('admin-login-submit').click();
      await a.getByTestId('admin-orders-list').waitFor({ state: 'visible', timeout: 10_000 });
      await expect.poll(() => text(a, 'admin-to-ship-count'), { timeout: 10_000 }).toMatch(/^[1-9]\d*$/);
      await a.getByTestId('admin-filter-to-ship').click();
      const row = a.getByTestId('admin-order-row').filter({ hasText: orderNo });
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await snapshot(a, '21-admin-to-ship.png');
      await row.click();
      await a.getByTestId('admin-ship-panel').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(a, 'admin-order-address')).toContain(ADDRESS.phone);
      // express without a company or tracking number is refused in the form
      await a.getByTestId('admin-ship-submit').click();
      expect(await text(a, 'admin-ship-error')).toBe('请选择快递公司');
      await a.getByTestId('admin-ship-company').click();
      await a.locator('.uni-picker-view-indicator').first().waitFor({ state: 'visible', timeout: 5_000 });
      await a.locator('.uni-picker-action-confirm').click();
      expect(await text(a, 'admin-ship-company')).toBe('顺丰速运');
      // the refusal answered the last submit: picking a company clears it
      expect(await a.getByTestId('admin-ship-error').count()).toBe(0);
      await a.getByTestId('admin-ship-tracking').locator('input').fill('SF7788990011');
      await snapshot(a, '22-admin-ship-form.png', true);
      await a.getByTestId('admin-ship-submit').click();
      await expect.poll(() => text(a, 'admin-shipment-upload'), { timeout: 15_000 }).toBe('已上传微信');
      expect(await text(a, 'admin-shipment-tracking')).toBe('顺丰速运 SF7788990011');
      await snapshot(a, '23-admin-shipped.png', true);
      // WeChat (the sandbox) holds the shipment, read back with get_order
      const atWechat = await shippingClient(bff.ctx).getShippingOrder({ outTradeNo: orderNo });
      expect(atWechat.state).toBe('SHIPPED');
      expect(atWechat.shipping!.packages).toEqual([
        expect.objectContaining({
          expressCompany: 'SF',
          trackingNo: 'SF7788990011',
          receiverContact: '139****5678',
        }),
      ]);

      // -- the shopper sees 待收货 and confirms (h5: through the sandbox, which plays WeChat)
      await page.getByTestId('orders-tab-SHIPPED').click();
      await expect
        .poll(async () => (await card.getByTestId('order-card-fulfilment').innerText()).trim(), { timeout: 10_000 })
        .toBe('待收货');
      await snapshot(page, '24-orders-to-receive.png');
      await card.click();
      await expect.poll(() => text(page, 'order-fulfilment-status'), { timeout: 10_000 }).toBe('待收货');
      expect(await text(page, 'order-tracking-no')).toBe('顺丰速运 SF7788990011');
      const shippedTimeline = await page.getByTestId('order-timeline-item').allInnerTexts();
      expect(shippedTimeline.map((t) => t.split('\n')[0]!.trim())).toEqual(['下单', '支付成功', '已发货']);
      expect(shippedTimeline[2]).toContain('顺丰速运 SF7788990011');
      await snapshot(page, '25-order-shipped.png', true);
      await page.getByTestId('order-confirm-receipt').click();
      await expect.poll(() => text(page, 'order-fulfilment-status'), { timeout: 15_000 }).toBe('已收货');
      expect(await page.getByTestId('order-confirm-receipt').count()).toBe(0);
      const receivedTimeline = await page.getByTestId('order-timeline-item').allInnerTexts();
      expect(receivedTimeline.map((t) => t.split('\n')[0]!.trim())).toEqual(['下单', '支付成功', '已发货', '已收货']);
      await snapshot(page, '26-order-received.png', true);
      const done = await bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: { shipment: true } });
      expect([done.fulfilmentStatus, done.shipment!.receivedVia]).toEqual(['RECEIVED', 'WECHAT']);
    } finally {
      await shopper.context.close();
      await admin.context.close();
    }
  }, 150_000);
});

describe('leaving the checkout while the order is being placed', () => {
  it('opens no pay sheet elsewhere: the shopper is told, and the order waits in 待支付 with its countdown', async () => {
    const { context, page } = await newPhone();
    try {
      await page.goto(`${site.url}/#/pages/index/index`);
      await page.getByTestId('product-card').first().waitFor({ state: 'visible', timeout: 20_000 });
      await page.getByTestId('product-card').filter({ hasText: TEA.title }).click();
      await page.getByTestId('sku-option').filter({ hasText: '罐装 250g' }).click();
      await page.getByTestId('buy-now').click();
      await page.getByTestId('checkout-submit').waitFor({ state: 'visible', timeout: 10_000 });
      await addAddressAtCheckout(page);
      // the BFF creates the order at once, but its answer is held until the shopper has left
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let created = 0;
      await page.route(`${bff.url}/api/orders`, async (route) => {
        if (route.request().method() !== 'POST') return route.fallback();
        const response = await route.fetch();
        created++;
        await held;
        await route.fulfill({ response });
      });
      await page.getByTestId('checkout-submit').click();
      await expect.poll(() => created, { timeout: 10_000 }).toBe(1);
      await page.goBack(); // the browser's back, mid-submit
      await page.getByTestId('product-detail').waitFor({ state: 'visible', timeout: 10_000 });
      release();

      const modal = page.locator('.uni-modal');
      await modal.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await modal.innerText()).toContain('订单已提交，待支付');
      expect(await modal.innerText()).toMatch(/请在 \d\d:\d\d 内完成支付/);
      await snapshot(page, '30-left-mid-submit.png');
      // no pay sheet sprang open on the page the shopper went back to
      expect(page.url()).toContain('pages/product/index');
      await page.unrouteAll();

      await modal.locator('.uni-modal__btn_primary').click();
      await expect.poll(() => text(page, 'order-status'), { timeout: 10_000 }).toBe('待支付');
      expect(await text(page, 'order-countdown')).toMatch(/^\d\d:\d\d$/);
      const orderNo = await text(page, 'order-no');
      const placed = await bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo } });
      // one order for this shopper, unpaid: the submit that was left behind made it, nothing else
      const orders = await bff.ctx.prisma.order.findMany({ where: { userId: placed.userId } });
      expect(orders.map((o) => [o.orderNo, o.status])).toEqual([[orderNo, 'PENDING_PAYMENT']]);

      await page.goto(`${site.url}/#/pages/orders/index?status=PENDING_PAYMENT`);
      const card = page.getByTestId('order-card').filter({ hasText: orderNo });
      await card.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await card.getByTestId('order-card-pay').count()).toBe(1);
    } finally {
      await context.close();
    }
  }, 120_000);
});
