/**
 * The browser tests' shop: the h5 build (cached), served statically, a BFF in sandbox mode on its
 * own seeded PostgreSQL database, Chromium, and a shopper's phone (390×844). A test file calls
 * `startShop` / `stopShop` in its hooks; the exported bindings are live once it has started.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { start, type RunningBff } from '@uni-checkout/bff';
import { createTestDb, type TestDb } from '../../apps/bff/test/support/db';
import { GENEROUS_LIMITS } from '../../apps/bff/test/support/limits';
import { launchChromium } from '../miniapp/support/browser';
import { cachedBuild, repoRoot, type BuildResult } from '../miniapp/support/build';
import { TEST_BUILD_ENV } from '../miniapp/support/build-env';
import { serveStatic, type StaticServer } from '../miniapp/support/static-server';

export const screenshotsDir = path.join(repoRoot, 'test-results', 'e2e');
export const ADMIN = { username: 'shop-admin', password: `pw-${randomBytes(9).toString('hex')}` };

let h5: BuildResult;
let testDb: TestDb;
export let bff: RunningBff;
export let site: StaticServer;
export let browser: Browser;
let dataDir: string;

/** Builds (or reuses) the h5 app and starts what it talks to. */
export async function startShop(): Promise<void> {
  h5 = await cachedBuild('h5', TEST_BUILD_ENV);
  console.log(`h5 build: ${h5.cached ? 'reused' : `${h5.ms} ms`}`);
  site = await serveStatic(h5.outDir);
  testDb = await createTestDb('postgres', { seed: true });
  dataDir = await mkdtemp(path.join(tmpdir(), 'uc-e2e-'));
  bff = await start({
    port: 0,
    logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    env: {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: testDb.databaseUrl,
      MIGRATE_ON_START: 'false',
      // sandbox mode: the BFF starts the sandbox and pays through it
      WECHATPAY_MCHID: undefined,
      SANDBOX_PORT: '0',
      SANDBOX_STATE_DIR: path.join(dataDir, 'sandbox'),
      // refunds settle (and notify) in tens of milliseconds instead of seconds
      SANDBOX_TIME_SCALE: '0.01',
      JOBS_ENABLED: 'false',
      JWT_SECRET: randomBytes(32).toString('hex'),
      // one shopper places many orders here (the orders list pages through 23 of them)
      ...GENEROUS_LIMITS,
      CORS_ORIGINS: site.url,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
    },
  });
  browser = await launchChromium();
  await mkdir(screenshotsDir, { recursive: true });
}

export async function stopShop(): Promise<void> {
  await browser?.close();
  await bff?.stop();
  await testDb?.close();
  await site?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

export async function newPhone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    acceptDownloads: true,
  });
  // The hosting page's runtime config: the bundle itself points at an unreachable origin.
  await context.addInitScript((api) => {
    (window as unknown as { __UNI_CHECKOUT_API__: string }).__UNI_CHECKOUT_API__ = api;
  }, bff.url);
  return { context, page: await context.newPage() };
}

export async function snapshot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.waitForFunction(
    () =>
      document.querySelector('.u-icon') === null ||
      [...document.fonts].some((f) => f.family.includes('uicon-iconfont') && f.status === 'loaded'),
    undefined,
    { timeout: 10_000 },
  );
  // let toasts and page transitions settle so the picture shows the page itself
  await page
    .locator('uni-toast')
    .first()
    .waitFor({ state: 'hidden', timeout: 5_000 })
    .catch(() => {});
  await page.screenshot({ path: path.join(screenshotsDir, name), fullPage });
}

export const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().innerText()).trim();

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
