/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser download is not available
 * here), for every browser test of the workspace: the sandbox's pages here, the h5 shop's in test/.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
