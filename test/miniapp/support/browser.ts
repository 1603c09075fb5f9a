/** The h5 shop's browser tests: Chromium as every browser test of the workspace starts it. */
import type { Page } from 'playwright-core';

export { launchChromium } from '../../../packages/wechatpay-sandbox/test/chromium';

/**
 * The phone the h5 tests open: 390×844 CSS px, at a device pixel ratio of 1 unless
 * `SCREENSHOT_SCALE` asks for more. Chromium rasterises every frame of every flow at that ratio
 * (2 is four times the pixels), and only the screenshots, for people to look at, gain from it:
 * `pnpm screenshots` takes them at 2. Layout, sizes and text are the same at any ratio.
 */
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: screenshotScale(process.env.SCREENSHOT_SCALE),
} as const;

function screenshotScale(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  const scale = Number(value);
  if (!(scale >= 1 && scale <= 4)) throw new Error(`SCREENSHOT_SCALE must be a number from 1 to 4, not "${value}"`);
  return scale;
}

/**
 * A screenshot for a person to look at, written to `file`: taken once uview-plus's icon font has
 * loaded (if icons show) and toasts and page transitions have settled.
 */
export async function settledScreenshot(page: Page, file: string, fullPage = false): Promise<void> {
  await iconFontLoaded(page, { unlessNoIcon: true });
  await page
    .locator('uni-toast')
    .first()
    .waitFor({ state: 'hidden', timeout: 5_000 })
    .catch(() => {});
  await page.screenshot({ path: file, fullPage });
}

/**
 * Waits until uview-plus's icon font has loaded; with `unlessNoIcon`, a page that shows no icon
 * need not load it.
 */
export async function iconFontLoaded(page: Page, { unlessNoIcon = false } = {}): Promise<void> {
  await page.waitForFunction(
    (unlessNoIcon) =>
      (unlessNoIcon && document.querySelector('.u-icon') === null) ||
      [...document.fonts].some((f) => f.family.includes('uicon-iconfont') && f.status === 'loaded'),
    unlessNoIcon,
    // checked every 50 ms: polling on requestAnimationFrame would have Chromium draw frames meanwhile
    { timeout: 10_000, polling: 50 },
  );
}
