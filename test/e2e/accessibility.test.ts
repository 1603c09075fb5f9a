/**
 * Tap targets and contrast on the shopper's key pages, measured in Chromium on the h5 build at
 * 390×844: every control listed here is at least 44×44 px (WCAG 2.5.5, the size the mini-program
 * design guide asks for too), and its text reads at 4.5:1 or better against what is behind it
 * (WCAG 1.4.3). Disabled controls are exempt from contrast, as WCAG says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RunningBff } from '@uni-checkout/bff';
import type { StaticServer } from '../miniapp/support/static-server';
import { addAddressAtCheckout, startShop, type Shop } from './support/shop';

let shop: Shop;
let bff: RunningBff;
let site: StaticServer;
beforeAll(async () => {
  shop = await startShop();
  ({ bff, site } = shop);
}, 900_000);
afterAll(async () => shop?.close());
const newPhone = () => shop.newPhone();

/** Every visible element matching each selector: its size, and the contrast of each piece of its text. */
async function audit(page: Page, selectors: string[]): Promise<string[]> {
  return page.evaluate((wanted) => {
    const problems: string[] = [];
    const rgba = (css: string) => {
      const m = /rgba?\(([^)]+)\)/.exec(css);
      if (!m) return null;
      const [r = 0, g = 0, b = 0, a = 1] = m[1]!
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return [r, g, b, a] as const;
    };
    const luminance = ([r, g, b]: readonly number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    /** The first opaque background behind an element (the page is white below everything). */
    const background = (el: Element) => {
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if (c && c[3] >= 0.5) return c;
      }
      return [255, 255, 255, 1] as const;
    };
    const disabled = (el: Element) =>
      el.closest('[aria-disabled="true"], [disabled], .u-button--disabled, [class*="--off"], [class*="--disabled"]');
    for (const selector of wanted) {
      const found = [...document.querySelectorAll(selector)].filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
      });
      if (found.length === 0) {
        problems.push(`${selector}: not on the page`);
        continue;
      }
      for (const el of found) {
        const box = el.getBoundingClientRect();
        const name = `${selector} "${(el as HTMLElement).innerText.trim().replace(/\s+/g, ' ').slice(0, 12)}"`;
        if (box.width < 44 || box.height < 44)
          problems.push(`${name}: ${box.width.toFixed(0)}×${box.height.toFixed(0)} px`);
        for (const node of [el, ...el.querySelectorAll('*')]) {
          const ownText = [...node.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
          // icon-font glyphs are pictures, not text
          if (!ownText || node.closest('.u-icon') || disabled(node)) continue;
          const fg = rgba(getComputedStyle(node).color);
          if (!fg) continue;
          const [l1, l2] = [luminance(fg), luminance(background(node))];
          const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
          if (ratio < 4.5) problems.push(`${name}: "${node.textContent!.trim().slice(0, 8)}" at ${ratio.toFixed(2)}:1`);
        }
      }
    }
    return problems;
  }, selectors);
}

const id = (testId: string) => `[data-testid="${testId}"]`;
const TAB_BAR = '.uni-tabbar__item';
const BACK = '.uni-page-head-btn';

describe('tap targets and contrast on the shopper pages (h5, 390×844)', () => {
  it('holds on home, 分类, product, cart, checkout, the orders, an order and 我的', async () => {
    const { context, page } = await newPhone();
    const report: Record<string, string[]> = {};
    try {
      await page.goto(`${site.url}/#/pages/index/index`);
      await page.getByTestId('category-list').waitFor({ state: 'visible', timeout: 20_000 });
      report.home = await audit(page, [id('category-chip'), id('nav-cart'), id('nav-orders'), TAB_BAR]);

      await page.locator(TAB_BAR).filter({ hasText: '分类' }).click();
      await page.getByTestId('category-side').waitFor({ state: 'visible', timeout: 10_000 });
      report.category = await audit(page, [id('category-side-item'), TAB_BAR]);

      // a product with a SKU in stock, opened from the list
      const product = await bff.ctx.prisma.product.findFirstOrThrow({
        where: { skus: { some: { stock: { gt: 5 } } } },
        orderBy: { sortOrder: 'asc' },
      });
      await page.goto(`${site.url}/#/pages/product/index?id=${encodeURIComponent(product.id)}`);
      await page.getByTestId('sku-option').first().waitFor({ state: 'visible', timeout: 10_000 });
      await page
        .locator(`${id('sku-option')}[aria-disabled="false"]`)
        .first()
        .click();
      await page.getByTestId('quantity-plus').click();
      report.product = await audit(page, [
        id('sku-option'),
        id('quantity-minus'),
        id('quantity-plus'),
        id('add-to-cart'),
        id('buy-now'),
        id('product-detail-cart'),
        BACK,
      ]);
      await page.getByTestId('add-to-cart').click();
      await page.getByTestId('product-detail-cart').click();
      await page.getByTestId('cart-line').first().waitFor({ state: 'visible', timeout: 10_000 });
      report.cart = await audit(page, [
        id('cart-line-quantity-minus'),
        id('cart-line-quantity-plus'),
        id('cart-line-remove'),
        id('cart-checkout'),
        TAB_BAR,
      ]);

      await page.getByTestId('cart-checkout').click();
      await page.getByTestId('checkout-address-add').waitFor({ state: 'visible', timeout: 10_000 });
      report.checkout = await audit(page, [id('checkout-address'), id('checkout-submit'), BACK]);
      await addAddressAtCheckout(page);
      // the pay sheet is dismissed: the order waits, unpaid
      await Promise.all([
        page.waitForURL((url) => url.pathname.includes('/sandbox/cashier'), { timeout: 20_000 }),
        page.getByTestId('checkout-submit').click(),
      ]);
      await Promise.all([
        page.waitForURL((url) => url.hash.includes('pages/result/index'), { timeout: 20_000 }),
        page.getByTestId('cashier-cancel').click(),
      ]);
      await page.getByTestId('result-pay-again').waitFor({ state: 'visible', timeout: 20_000 });
      report.result = await audit(page, [id('result-pay-again'), id('result-view-order')]);
      await page.getByTestId('result-view-order').click();
      await page.getByTestId('order-pay').waitFor({ state: 'visible', timeout: 10_000 });
      report.order = await audit(page, [id('order-pay'), id('order-cancel')]);

      await page.goto(`${site.url}/#/pages/orders/index`);
      await page.getByTestId('order-card').first().waitFor({ state: 'visible', timeout: 10_000 });
      report.orders = await audit(page, [id('orders-tab-all'), id('orders-tab-PENDING_PAYMENT'), id('order-card-pay')]);

      await page.goto(`${site.url}/#/pages/me/index`);
      await page.getByTestId('me-order-count').first().waitFor({ state: 'visible', timeout: 10_000 });
      report.me = await audit(page, [id('me-orders-all'), id('me-order-entry'), id('me-addresses'), id('me-admin')]);
    } finally {
      await context.close();
    }
    expect(report).toEqual({
      home: [],
      category: [],
      product: [],
      cart: [],
      checkout: [],
      result: [],
      order: [],
      orders: [],
      me: [],
    });
  }, 180_000);
});
