/** Debian's Chromium driven by playwright-core (Playwright's own browser download is not available here). */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Chromium's headless shell (Debian's `chromium-headless-shell`, the same Blink and V8 as
 * `chromium`, without the desktop browser around them) when it is installed: it draws the same
 * pages for about half the CPU. Otherwise the full browser; `CHROMIUM_PATH` overrides both.
 */
export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ??
  ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'].find((p) => existsSync(p)) ??
  '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

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
