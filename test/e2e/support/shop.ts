/**
 * What every browser test of the h5 build starts: the cached h5 build served as a static site, a
 * BFF on its own PostgreSQL database (seeded) in sandbox mode, and Chromium with phone-sized pages.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningBff } from '@uni-checkout/bff';
import { GENEROUS_LIMITS } from '../../../apps/bff/test/support/limits';
import { startSandboxBff } from '../../../apps/bff/test/support/sandbox-bff';
import { launchChromium, PHONE, settledScreenshot } from '../../miniapp/support/browser';
import { cachedBuild, repoRoot, type BuildResult } from '../../miniapp/support/build';
import { TEST_BUILD_ENV } from '../../miniapp/support/build-env';
import { serveStatic, type StaticServer } from '../../miniapp/support/static-server';

export const screenshotsDir = path.join(repoRoot, 'test-results', 'e2e');

export interface Shop {
  h5: BuildResult;
  bff: RunningBff;
  site: StaticServer;
  browser: Browser;
  admin: { username: string; password: string };
  /** A new 390×844 phone (its own storage, see PHONE), pointed at this shop's BFF. */
  newPhone(): Promise<{ context: BrowserContext; page: Page }>;
  close(): Promise<void>;
}

export async function startShop(): Promise<Shop> {
  const h5 = await cachedBuild('h5', TEST_BUILD_ENV);
  console.log(`h5 build: ${h5.cached ? 'reused' : `${h5.ms} ms`}`);
  const admin = { username: 'shop-admin', password: `pw-${randomBytes(9).toString('hex')}` };
  const site = await serveStatic(h5.outDir);
  const server = await startSandboxBff({
    admin,
    env: {
      // refunds settle (and notify) in tens of milliseconds instead of seconds
      SANDBOX_TIME_SCALE: '0.01',
      // one shopper places many orders here (the orders list pages through 23 of them)
      ...GENEROUS_LIMITS,
      CORS_ORIGINS: site.url,
    },
  });
  const { bff } = server;
  const browser = await launchChromium();
  await mkdir(screenshotsDir, { recursive: true });

  return {
    h5,
    bff,
    site,
    browser,
    admin,
    async newPhone() {
      const context = await browser.newContext({ ...PHONE, acceptDownloads: true });
      // The hosting page's runtime config: the bundle itself points at an unreachable origin.
      await context.addInitScript((api) => {
        (window as unknown as { __UNI_CHECKOUT_API__: string }).__UNI_CHECKOUT_API__ = api;
      }, bff.url);
      return { context, page: await context.newPage() };
    },
    async close() {
      await browser.close();
      await server.close();
      await site.close();
    },
  };
}

/** A picture of the page as the user sees it, once the icon font, toasts and transitions settled. */
export async function snapshot(page: Page, name: string, fullPage = false): Promise<void> {
  await settledScreenshot(page, path.join(screenshotsDir, name), fullPage);
}

/** The text the user reads in the first element with this test id. */
export const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().innerText()).trim();

/** Signs in on the admin login page this page was sent to, and waits for the page it returns to. */
export async function signInAsAdmin(page: Page, admin: Shop['admin'], landsOn: string): Promise<void> {
  await page.getByTestId('admin-login-form').waitFor({ state: 'visible', timeout: 20_000 });
  await page.getByTestId('admin-username').locator('input').fill(admin.username);
  await page.getByTestId('admin-password').locator('input').fill(admin.password);
  await page.getByTestId('admin-login-submit').click();
  await page.getByTestId(landsOn).waitFor({ state: 'visible', timeout: 40_000 }); // real scrypt on a busy machine
}

/**
 * Picks a date (YYYY-MM-DD) on the `<picker mode="date">` holding this test id, as a shopper's thumb
 * does on a phone-sized page: uni-app's h5 sheet with year / month / day wheels, each tapped a row or
 * two at a time towards the wanted one (a tap off the middle row turns the wheel there), then 完成.
 */
export async function pickDate(page: Page, testId: string, date: string): Promise<void> {
  await page.getByTestId(testId).click();
  const sheet = page
    .locator('.uni-picker-container')
    .filter({ has: page.locator('uni-picker-view:visible') })
    .last();
  await sheet.locator('uni-picker-view-column').first().waitFor({ state: 'visible' });
  const [year, month, day] = date.split('-');
  for (const [i, label] of [`${year}年`, `${month}月`, `${day}日`].entries()) {
    const wheel = sheet.locator('uni-picker-view-column').nth(i);
    for (let turn = 0; ; turn++) {
      const at = await wheel.evaluate((column, want) => {
        const middle = column.querySelector('.uni-picker-view-indicator')!.getBoundingClientRect();
        const item = [...column.querySelectorAll('.uni-picker-view-content > *')].find((e) => e.textContent === want);
        if (!item) return null;
        const box = item.getBoundingClientRect();
        const col = column.getBoundingClientRect();
        return {
          x: col.left + col.width / 2,
          middle: middle.top + middle.height / 2,
          row: middle.height,
          item: box.top + box.height / 2,
        };
      }, label);
      if (!at) throw new Error(`the date picker has no ${label}`);
      const rows = Math.round((at.item - at.middle) / at.row);
      if (rows === 0) break;
      if (turn === 60) throw new Error(`the date picker does not turn to ${label}`);
      await page.mouse.click(at.x, at.middle + Math.max(-2, Math.min(2, rows)) * at.row);
      // the wheel turns in a CSS transition to the translateY the tap gave it: where it stands is
      // read once it has arrived there
      await wheel.evaluate(
        (column) =>
          new Promise<void>((resolve) => {
            const content = column.querySelector<HTMLElement>('.uni-picker-view-content')!;
            const arrived = () => {
              const to = /translateY\((-?[\d.]+)px\)/.exec(content.style.transform);
              return !to || Math.abs(new DOMMatrix(getComputedStyle(content).transform).m42 - Number(to[1])) < 0.5;
            };
            const check = () => (arrived() ? resolve() : requestAnimationFrame(check));
            check();
          }),
      );
    }
  }
  await sheet.locator('.uni-picker-action-confirm').click();
  await sheet.locator('uni-picker-view').waitFor({ state: 'hidden' });
}

export const ADDRESS = {
  name: '林小满',
  phone: '13912345678',
  province: '浙江省',
  city: '杭州市',
  district: '西湖区',
  detail: '龙井路 18 号',
};

/**
 * On the checkout of a shopper with an empty address book: 添加收货地址 opens the book with its
 * form; a bad phone is refused in the form, a good address is saved, picked, and shown back on
 * the checkout.
 */
export async function addAddressAtCheckout(page: Page, screenshot?: string): Promise<void> {
  await page.getByTestId('checkout-address-add').click();
  await page.getByTestId('address-form').waitFor({ state: 'visible', timeout: 10_000 });
  const fields: [string, string][] = [
    ['address-name', ADDRESS.name],
    ['address-phone', '1391234'],
    ['address-province', ADDRESS.province],
    ['address-city', ADDRESS.city],
    ['address-district', ADDRESS.district],
    ['address-detail', ADDRESS.detail],
  ];
  for (const [id, value] of fields) await page.getByTestId(id).locator('input').fill(value);
  await page.getByTestId('address-save').click();
  expect(await text(page, 'address-phone-error')).toBe('请填写正确的手机号或固定电话');
  await page.getByTestId('address-phone').locator('input').fill(ADDRESS.phone);
  if (screenshot) await snapshot(page, screenshot);
  await page.getByTestId('address-save').click();
  await page.getByTestId('checkout-address').getByTestId('address-card-name').waitFor({ timeout: 10_000 });
  expect(await text(page, 'address-card-line')).toBe('浙江省 杭州市 西湖区 龙井路 18 号');
}
