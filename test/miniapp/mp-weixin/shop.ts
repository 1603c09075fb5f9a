/**
 * What the mp-weixin runtime tests share: a BFF in sandbox mode on its own PostgreSQL database with
 * a known product listed first, a phone running a bundle against it, and the shopper's walk from
 * the home page to the checkout.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { RunningBff } from '@uni-checkout/bff';
import { formatFen } from '@uni-checkout/shared';
import { startSandboxBff } from '../../../apps/bff/test/support/sandbox-bff';
import { GENEROUS_LIMITS } from '../../../apps/bff/test/support/limits';
import { BUILD_API_BASE } from '../support/build-env';
import { MiniProgram, type MiniProgramOptions } from './runtime';

/** Listed first, one SKU sold out, one in stock: the shopper must pick the right one. */
export const TEA = {
  id: 'mpwx-tea',
  title: '武夷岩茶 小罐',
  description: '岩韵明显，焙火中足。',
  skus: [
    { id: 'mpwx-tea-gift', title: '礼盒 200g', priceFen: 26800, stock: 0 },
    { id: 'mpwx-tea-can', title: '小罐 50g', priceFen: 9900, stock: 20 },
  ],
};
export const QUANTITY = 2;
export const TOTAL = formatFen(9900 * QUANTITY);

export interface Shop {
  bff: RunningBff;
  sandbox: { appid: string; baseUrl: string };
  admin: { username: string; password: string };
  stop(): Promise<void>;
}

/** A BFF in sandbox mode (its own sandbox on a free port, WeChat's stand-in) with TEA on sale. */
export async function startShop(): Promise<Shop> {
  const admin = { username: 'shop-admin', password: `pw-${randomBytes(9).toString('hex')}` };
  const server = await startSandboxBff({
    admin,
    env: {
      SANDBOX_TIME_SCALE: '0.01',
      // the purchase flows log in and order from loopback, more often than the defaults allow one client
      ...GENEROUS_LIMITS,
    },
  });
  const { bff } = server;
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
  const sandbox = JSON.parse(
    await readFile(path.join(server.sandboxStateDir, 'credentials.json'), 'utf8'),
  ) as Shop['sandbox'];
  return {
    bff,
    sandbox,
    admin,
    stop: () => server.close(),
  };
}

/** A phone logged in to WeChat as `openid`, running `bundleDir` against the shop's BFF. */
export function newPhone(
  shop: Shop,
  bundleDir: string,
  openid: string,
  extra: Partial<MiniProgramOptions> = {},
): MiniProgram {
  return new MiniProgram({
    ...extra,
    bundleDir,
    requestOrigins: { [new URL(BUILD_API_BASE).origin]: shop.bff.url, ...extra.requestOrigins },
    sandboxUrl: shop.sandbox.baseUrl,
    appId: shop.sandbox.appid,
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
export async function toCheckout(mp: MiniProgram, stockBefore?: number): Promise<void> {
  const card = await waitForCard(mp, TEA.title);
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

export async function waitForCard(mp: MiniProgram, title: string): Promise<HTMLElement> {
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

export async function waitForOrderCard(mp: MiniProgram, orderNo: string): Promise<HTMLElement> {
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
