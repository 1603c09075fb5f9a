/** The h5 shop's browser tests: Chromium as every browser test of the workspace starts it. */
import type { Page } from 'playwright-core';

export { launchChromium } from '../../../packages/wechatpay-sandbox/test/chromium';

/**
 * A screenshot for a person to look at, written to `file`: taken once uview-plus's icon font has
 * loaded (if icons show) and toasts and page transitions have settled.
 */
export async function settledScreenshot(page: Page, file: string, fullPage = false): Promise<void> {
  await page.waitForFunction(
    () =>
      document.querySelector('.u-icon') === null ||
      [...document.fonts].some((f) => f.family.includes('uicon-iconfont') && f.status === 'loaded'),
    undefined,
    { timeout: 10_000 },
  );
  await page
    .locator('uni-toast')
    .first()
    .waitFor({ state: 'hidden', timeout: 5_000 })
    .catch(() => {});
  await page.screenshot({ path: file, fullPage });
}
