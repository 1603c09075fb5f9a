/**
 * The mini-program as it ships: one `uni build` of each target per source tree (cached), then
 * (1) the mp-weixin package as WeChat would take it (pages, subpackage, size limits, no secrets) and
 * (2) the h5 build in a real Chromium against a real BFF: product list, error + retry, empty state,
 *     admin login page.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { RunningBff } from '@uni-checkout/bff';
import { formatFen } from '@uni-checkout/shared';
import { iconFontLoaded, launchChromium, PHONE, settledScreenshot } from './support/browser';
import { cachedBuild, listFiles, repoRoot, totalBytes, type BuildResult } from './support/build';
import { BUILD_API_BASE, SECRET_SENTINELS, TEST_BUILD_ENV } from './support/build-env';
import { deadOrigin, serveStatic, type StaticServer } from './support/static-server';
import { startSandboxBff, type SandboxBff } from '../../apps/bff/test/support/sandbox-bff';
import { GENEROUS_LIMITS } from '../../apps/bff/test/support/limits';

const MB = 1024 * 1024;
/** WeChat's limit for the main package and for each subpackage. */
const PACKAGE_LIMIT_BYTES = 2 * MB;
const SECRET_PATTERNS = [
  /PRIVATE KEY/,
  /apiV3Key|APIV3_KEY|apiv3_key/i,
  /WECHAT_APPSECRET|appsecret/i,
  /merchantPrivateKey|MCH_PRIVATE_KEY/i,
  /JWT_SECRET/,
];
const screenshotsDir = path.join(repoRoot, 'test-results', 'miniapp');

let workDir: string;
let mpWeixin: BuildResult;
let h5: BuildResult;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'uc-miniapp-'));
  const env = TEST_BUILD_ENV;
  // One build of each target per distinct source tree (shared with the e2e, see support/build.ts).
  mpWeixin = await cachedBuild('mp-weixin', env);
  h5 = await cachedBuild('h5', env);
  const took = (b: BuildResult) => (b.cached ? 'reused' : `${b.ms} ms`);
  console.log(`uni build: mp-weixin ${took(mpWeixin)}, h5 ${took(h5)}`);
}, 420_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

async function scanForSecrets(dir: string): Promise<string[]> {
  const findings: string[] = [];
  for (const file of await listFiles(dir)) {
    if (!/\.(js|json|wxml|wxss|wxs|css|html|map|txt)$/.test(file)) continue;
    const text = await readFile(path.join(dir, file), 'utf8');
    for (const [name, value] of Object.entries(SECRET_SENTINELS)) {
      if (text.includes(value)) findings.push(`${file}: value of ${name}`);
    }
    for (const pattern of SECRET_PATTERNS) {
      const m = pattern.exec(text);
      if (m) findings.push(`${file}: ${JSON.stringify(m[0])}`);
    }
  }
  return findings;
}

describe('mp-weixin build', () => {
  it('app.json lists the shop pages and the pages-admin subpackage, with every page compiled', async () => {
    const appJson = JSON.parse(await readFile(path.join(mpWeixin.outDir, 'app.json'), 'utf8')) as {
      pages: string[];
      subPackages?: { root: string; pages: string[] }[];
      tabBar?: { list: { pagePath: string; text: string; iconPath: string; selectedIconPath: string }[] };
    };
    expect(appJson.pages[0]).toBe('pages/index/index');
    expect(appJson.pages.every((p) => p.startsWith('pages/'))).toBe(true);
    expect([...appJson.pages].sort()).toEqual(
      ['index', 'category', 'me', 'product', 'cart', 'checkout', 'result', 'orders', 'order', 'address']
        .map((p) => `pages/${p}/index`)
        .sort(),
    );
    // the shell: WeChat's tab bar, its icons local PNG files in the package (WeChat takes no network icon)
    const tabs = appJson.tabBar?.list ?? [];
    expect(tabs.map((t) => [t.pagePath, t.text])).toEqual([
      ['pages/index/index', '首页'],
      ['pages/category/index', '分类'],
      ['pages/cart/index', '购物车'],
      ['pages/me/index', '我的'],
    ]);
    for (const icon of tabs.flatMap((t) => [t.iconPath, t.selectedIconPath])) {
      const png = await readFile(path.join(mpWeixin.outDir, icon));
      expect(png.subarray(1, 4).toString('ascii'), icon).toBe('PNG');
      expect(png.length, icon).toBeLessThan(40 * 1024);
    }
    expect(appJson.subPackages).toContainEqual({
      root: 'pages-admin',
      pages: ['login/index', 'orders/index', 'order/index', 'stats/index', 'refunds/index', 'reconciliation/index'],
    });

    const pagePaths = [
      ...appJson.pages,
      ...(appJson.subPackages ?? []).flatMap((s) => s.pages.map((p) => `${s.root}/${p}`)),
    ];
    for (const page of pagePaths) {
      for (const ext of ['js', 'json', 'wxml', 'wxss']) {
        expect(existsSync(path.join(mpWeixin.outDir, `${page}.${ext}`)), `${page}.${ext}`).toBe(true);
      }
    }
    const project = JSON.parse(await readFile(path.join(mpWeixin.outDir, 'project.config.json'), 'utf8')) as {
      appid: string;
    };
    expect(project.appid).toBe('touristappid');
  });

  it('declares chooseAddress and carries WeChat’s privacy-authorization flow', async () => {
    const appJson = JSON.parse(await readFile(path.join(mpWeixin.outDir, 'app.json'), 'utf8')) as {
      requiredPrivateInfos?: string[];
      __usePrivacyCheck__?: boolean;
    };
    expect(appJson.requiredPrivateInfos).toEqual(['chooseAddress']);
    expect(appJson.__usePrivacyCheck__).toBe(true);
    const files = await listFiles(mpWeixin.outDir);
    const read = (ext: string) =>
      Promise.all(files.filter((f) => f.endsWith(ext)).map((f) => readFile(path.join(mpWeixin.outDir, f), 'utf8')));
    const js = (await read('.js')).join('\n');
    for (const api of ['getPrivacySetting', 'onNeedPrivacyAuthorization', 'openPrivacyContract', 'chooseAddress'])
      expect(js, api).toContain(api);
    // the consent popup's button is WeChat's own agree button
    expect((await read('.wxml')).join('\n')).toMatch(/open-type="agreePrivacyAuthorization"/);
    // 确认收货 opens WeChat's confirm component; the sandbox's stand-in is compiled out
    expect(js).toContain('weappOrderConfirm');
    expect(js).toContain('openBusinessView');
    expect(js).not.toContain('/sandbox/confirm-receipt');
  });

  it('keeps the main package and each subpackage under WeChat’s 2 MB limit', async () => {
    const files = await listFiles(mpWeixin.outDir);
    const appJson = JSON.parse(await readFile(path.join(mpWeixin.outDir, 'app.json'), 'utf8')) as {
      subPackages?: { root: string }[];
    };
    const roots = (appJson.subPackages ?? []).map((s) => s.root);
    // project.config.json is DevTools' project file, not part of the uploaded code package.
    const packaged = files.filter((f) => f !== 'project.config.json' && f !== 'project.private.config.json');
    const sizes: Record<string, number> = {
      main: await totalBytes(
        mpWeixin.outDir,
        packaged.filter((f) => !roots.some((r) => f.startsWith(`${r}/`))),
      ),
    };
    for (const root of roots) {
      sizes[root] = await totalBytes(
        mpWeixin.outDir,
        packaged.filter((f) => f.startsWith(`${root}/`)),
      );
    }
    console.table(
      Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, { bytes: v, KB: Math.round(v / 102.4) / 10 }])),
    );
    expect(sizes.main).toBeGreaterThan(0);
    expect(sizes['pages-admin']).toBeGreaterThan(0);
    for (const [name, bytes] of Object.entries(sizes)) {
      expect(bytes, `${name} package is ${bytes} bytes`).toBeLessThan(PACKAGE_LIMIT_BYTES);
    }
  });

  it('bakes in the build-time VITE_API_BASE and no secret from the environment', async () => {
    const files = await listFiles(mpWeixin.outDir);
    const texts = await Promise.all(
      files.filter((f) => f.endsWith('.js')).map((f) => readFile(path.join(mpWeixin.outDir, f), 'utf8')),
    );
    expect(texts.some((t) => t.includes(BUILD_API_BASE))).toBe(true);
    expect(await scanForSecrets(mpWeixin.outDir)).toEqual([]);
  });
});

describe('platform code paths', () => {
  it('mp-weixin pays with WeChat’s own sheet and logs in with wx.login codes only', async () => {
    const js = await bundleText(mpWeixin.outDir);
    expect(js).toMatch(/requestPayment/);
    expect(js).toMatch(/wxpay/);
    // the sandbox's stand-ins (h5's cashier, the sandbox build's login and in-app pay sheet) are
    // compiled out of the production mini-program
    expect(js).not.toContain('/sandbox/cashier');
    expect(js).not.toContain('sandbox:');
    expect(js).not.toContain('/sandbox/pay');
    expect(js).not.toContain('pages-sandbox');
    expect(js).not.toContain('uni-checkout:sandbox-openid');
    const files = await listFiles(mpWeixin.outDir);
    expect(files.filter((f) => f.startsWith('pages-sandbox/'))).toEqual([]);
    const appJson = JSON.parse(await readFile(path.join(mpWeixin.outDir, 'app.json'), 'utf8')) as {
      subPackages: { root: string }[];
    };
    expect(appJson.subPackages.map((s) => s.root)).toEqual(['pages-admin']);
  });

  it('h5 opens the sandbox pay sheet and logs in with sandbox codes', async () => {
    const js = await bundleText(h5.outDir);
    expect(js).toContain('/sandbox/cashier');
    expect(js).toContain('sandbox:');
    expect(js).toContain('/api/client-config');
    expect(js).toContain('/sandbox/confirm-receipt');
    expect(js).not.toContain('weappOrderConfirm');
  });
});

/** Hosts of third-party CDNs that uview-plus and uni-app load from by default. */
const CDN_PATTERNS = [
  /at\.alicdn\.com/,
  /\bcdn\d*\.dcloud\.net\.cn/,
  /cdn\.dcimg\.net/,
  // uni-app's mp-weixin runtime spells cdn1.dcloud.net.cn as character codes for wx.preloadAssets
  /99,\s*100,\s*110,\s*49\b/,
  /preloadAssets/,
];

describe('no third-party CDN', () => {
  async function cdnReferences(dir: string): Promise<string[]> {
    const found: string[] = [];
    for (const file of await listFiles(dir)) {
      if (!/\.(js|json|wxml|wxss|css|html)$/.test(file)) continue;
      const text = await readFile(path.join(dir, file), 'utf8');
      for (const pattern of CDN_PATTERNS) {
        const m = pattern.exec(text);
        if (m) found.push(`${file}: ${text.slice(Math.max(0, m.index - 60), m.index + 60)}`);
      }
    }
    return found;
  }

  it('neither bundle references the icon font CDN or DCloud’s CDN', async () => {
    expect(await cdnReferences(mpWeixin.outDir)).toEqual([]);
    expect(await cdnReferences(h5.outDir)).toEqual([]);
  });

  it('both bundles ship uview-plus’s icon font themselves', async () => {
    const font = await readFile(
      path.join(repoRoot, 'node_modules', 'uview-plus', 'components', 'u-icon', 'upicon.ttf'),
    );
    // mp-weixin: inlined for wx.loadFontFace, which takes data: URLs but no path inside the package
    const mpJs = (await bundleText(mpWeixin.outDir)).replace(/\s/g, '');
    expect(mpJs).toContain(`data:font/ttf;charset=utf-8;base64,${font.toString('base64')}`);
    // h5: an asset file beside the app, byte for byte the package's
    const h5Fonts = (await listFiles(h5.outDir)).filter((f) => f.endsWith('.ttf'));
    expect(h5Fonts).toHaveLength(1);
    expect((await readFile(path.join(h5.outDir, h5Fonts[0]!))).equals(font)).toBe(true);
    expect(await bundleText(h5.outDir)).toContain(path.basename(h5Fonts[0]!));
  });
});

/** Every .js file of a bundle, joined. */
async function bundleText(dir: string): Promise<string> {
  const files = (await listFiles(dir)).filter((f) => f.endsWith('.js'));
  return (await Promise.all(files.map((f) => readFile(path.join(dir, f), 'utf8')))).join('\n');
}

describe('h5 build', () => {
  it('emits an index.html whose assets load relative to it', async () => {
    const html = await readFile(path.join(h5.outDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src.startsWith('./')).toBe(true);
      expect(existsSync(path.join(h5.outDir, src))).toBe(true);
    }
  });

  it('carries no secret from the environment', async () => {
    expect(await scanForSecrets(h5.outDir)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

interface FixtureProduct {
  id: string;
  title: string;
  subtitle: string | null;
  skus: { id: string; title: string; priceFen: number; stock: number }[];
}

/** Shop goods with known prices: the page must show each one's cheapest SKU. */
const FIXTURES: FixtureProduct[] = [
  {
    id: 'e2e-longjing',
    title: '明前龙井 250g',
    subtitle: '西湖产区',
    skus: [
      { id: 'e2e-longjing-500', title: '500g', priceFen: 23900, stock: 5 },
      { id: 'e2e-longjing-250', title: '250g', priceFen: 12800, stock: 10 },
    ],
  },
  {
    id: 'e2e-mug',
    title: '青瓷马克杯',
    subtitle: null,
    skus: [{ id: 'e2e-mug-std', title: '标准款', priceFen: 1230, stock: 50 }],
  },
  {
    id: 'e2e-soap',
    title: '手工冷制皂',
    subtitle: '限量',
    skus: [{ id: 'e2e-soap-std', title: '100g', priceFen: 990, stock: 0 }],
  },
];
const ADMIN = { username: 'e2e-admin', password: `pw-${randomBytes(9).toString('hex')}` };

describe('h5 shop in Chromium against the BFF', () => {
  let site: StaticServer;
  let server: SandboxBff;
  let bff: RunningBff;
  let browser: Browser;
  let imagePath: string;

  beforeAll(async () => {
    site = await serveStatic(h5.outDir);
    server = await startSandboxBff({
      admin: ADMIN,
      postgres: false,
      parentDir: workDir,
      env: {
        LOG_LEVEL: 'silent',
        // every page of every spec logs in from loopback: more often than one client may by default
        ...GENEROUS_LIMITS,
        CORS_ORIGINS: site.url,
      },
    });
    bff = server.bff;
    // A product image shipped with the seed catalog, served by the BFF at /static/products/<file>.
    const imagesDir = path.join(repoRoot, 'prisma', 'seed', 'images');
    const shipped = existsSync(imagesDir)
      ? (await readdir(imagesDir)).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort()
      : [];
    const imageOf = (i: number) =>
      `/static/products/${shipped[i % Math.max(shipped.length, 1)] ?? 'no-image-shipped.png'}`;
    imagePath = imageOf(0);
    for (const [i, p] of FIXTURES.entries()) {
      await bff.ctx.prisma.product.create({
        data: {
          id: p.id,
          title: p.title,
          subtitle: p.subtitle,
          images: [imageOf(i)],
          sortOrder: -1000 + i,
          skus: { create: p.skus },
        },
      });
    }
    browser = await launchChromium();
    await mkdir(screenshotsDir, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await site?.close();
  });

  /** Screenshots for a person to look at (see settledScreenshot). */
  async function snapshot(page: Page, name: string, fullPage = false): Promise<void> {
    await settledScreenshot(page, path.join(screenshotsDir, name), fullPage);
  }

  async function openShop(
    apiBase: string,
    hash = '#/pages/index/index',
    /** called with every URL the page requests, from the first one on */
    onRequest?: (url: string) => void,
  ): Promise<Page> {
    const page = await browser.newPage(PHONE);
    if (onRequest) page.on('request', (req) => onRequest(req.url()));
    // The hosting page's runtime override: the bundle itself points at BUILD_API_BASE.
    await page.addInitScript((api) => {
      (window as unknown as { __UNI_CHECKOUT_API__: string }).__UNI_CHECKOUT_API__ = api;
    }, apiBase);
    await page.goto(`${site.url}/${hash}`);
    return page;
  }

  it('lists the products with their titles, cheapest SKU prices in ¥ and images from the BFF', async () => {
    const res = await fetch(`${bff.url}/api/products`);
    expect(res.status).toBe(200);
    const listed = (await res.json()) as { items: { title: string; skus: { priceFen: number }[] }[] };

    const page = await openShop(bff.url);
    try {
      const list = page.getByTestId('product-list');
      await list.waitFor({ state: 'visible', timeout: 20_000 });
      const cards = list.getByTestId('product-card');
      await expect.poll(() => cards.count()).toBe(listed.items.length);

      const titles = await cards.getByTestId('product-title').allTextContents();
      const prices = await cards.getByTestId('product-price').allTextContents();
      expect(titles.map((t) => t.trim())).toEqual(listed.items.map((p) => p.title));
      for (const fixture of FIXTURES) {
        const index = titles.findIndex((t) => t.trim() === fixture.title);
        expect(index, fixture.title).toBeGreaterThanOrEqual(0);
        const cheapest = Math.min(...fixture.skus.map((s) => s.priceFen));
        expect(prices[index]!.trim()).toBe(formatFen(cheapest));
      }
      expect(prices.every((p) => /^¥\d+\.\d{2}$/.test(p.trim()))).toBe(true);

      // Relative image paths are resolved against the BFF origin, and the browser could load them.
      const firstFixture = cards.filter({ hasText: FIXTURES[0]!.title }).locator('img').first();
      await expect.poll(() => firstFixture.getAttribute('src')).toBe(`${bff.url}${imagePath}`);
      await expect
        .poll(() => firstFixture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), {
          timeout: 10_000,
        })
        .toBe(true);

      await snapshot(page, 'product-list.png', true);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('draws uview-plus icons with the font it ships, and requests nothing from a third-party host', async () => {
    const requested: string[] = [];
    const page = await openShop(bff.url, '#/pages/index/index', (url) => requested.push(url));
    try {
      await page.getByTestId('product-list').waitFor({ state: 'visible', timeout: 20_000 });
      const icon = page.locator('.u-icon__icon').first();
      await icon.waitFor({ state: 'visible', timeout: 10_000 });
      await iconFontLoaded(page);
      expect(await icon.evaluate((el) => getComputedStyle(el).fontFamily)).toContain('uicon-iconfont');
      // the glyph is drawn from the loaded font: its box has the icon's size, not an empty fallback's
      const box = await icon.boundingBox();
      expect(box!.width).toBeGreaterThan(8);
      const fontRequests = requested.filter((url) => /\.(ttf|woff2?)(\?|$)/.test(url));
      expect(fontRequests.length).toBeGreaterThan(0);
      const allowed = new Set([new URL(site.url).origin, new URL(bff.url).origin]);
      expect(requested.filter((url) => !url.startsWith('data:') && !allowed.has(new URL(url).origin))).toEqual([]);
      await page.getByTestId('nav-cart').screenshot({ path: path.join(screenshotsDir, 'icon-nav-cart.png') });
      await snapshot(page, 'icons-home.png');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('shows an error state when the BFF is unreachable, and retry loads the list', async () => {
    const page = await openShop(await deadOrigin());
    try {
      const error = page.getByTestId('product-list-error');
      await error.waitFor({ state: 'visible', timeout: 20_000 });
      await expect.poll(() => page.getByTestId('product-list').count()).toBe(0);
      await snapshot(page, 'product-list-error.png');

      // The BFF comes back (here: the page is pointed at it) and the shopper taps 重试.
      await page.evaluate((api) => {
        (window as unknown as { __UNI_CHECKOUT_API__: string }).__UNI_CHECKOUT_API__ = api;
      }, bff.url);
      await page.getByTestId('product-list-retry').click();
      await page.getByTestId('product-list').waitFor({ state: 'visible', timeout: 20_000 });
      await expect.poll(() => page.getByTestId('product-card').count()).toBeGreaterThanOrEqual(FIXTURES.length);
      expect(await error.count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('renders the admin login form from the pages-admin subpackage and signs the admin in', async () => {
    const page = await openShop(bff.url, '#/pages-admin/login/index');
    try {
      const form = page.getByTestId('admin-login-form');
      await form.waitFor({ state: 'visible', timeout: 20_000 });
      await page.getByTestId('admin-username').locator('input').fill(ADMIN.username);
      await page.getByTestId('admin-password').locator('input').fill('not-the-password');
      await page.getByTestId('admin-login-submit').click();
      // The BFF's `{ error: { code, message } }` reaches the admin as a toast in the shop's Chinese
      // copy for that code (never the server's English message); no session is stored. The toast
      // is read while it shows (2.5 s), before the same request is made here.
      const toast = page.locator('uni-toast');
      await toast.first().waitFor({ state: 'visible', timeout: 10_000 });
      const toastText = (await toast.first().innerText()).trim();
      const rejected = await fetch(`${bff.url}/api/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: ADMIN.username, password: 'not-the-password' }),
      });
      expect(rejected.status).toBe(401);
      const { error } = (await rejected.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('INVALID_CREDENTIALS');
      expect(toastText).toBe('用户名或密码错误，请重新输入');
      expect(await page.getByTestId('admin-login-status').count()).toBe(0);
      expect(await page.evaluate(() => localStorage.getItem('uni-checkout:admin-token'))).toBeNull();

      await snapshot(page, 'admin-login.png');
      await page.getByTestId('admin-password').locator('input').fill(ADMIN.password);
      await page.getByTestId('admin-login-submit').click();
      // Signed in, the admin lands on the order list of the subpackage.
      await page.getByTestId('admin-orders').waitFor({ state: 'visible', timeout: 10_000 });
      expect(page.url()).toContain('#/pages-admin/orders/index');
      const stored = await page.evaluate(() => localStorage.getItem('uni-checkout:admin-token'));
      expect(stored).toBeTruthy();
      // The shopper's session is a separate one: signing in as admin created none.
      expect(await page.evaluate(() => localStorage.getItem('uni-checkout:token'))).toBeNull();
    } finally {
      await page.close();
    }
  }, 60_000);

  it('loads the next page when the shopper scrolls to the bottom', async () => {
    // More goods than one page of GET /api/products (20 by default) holds.
    const extra = Array.from({ length: 22 }, (_, i) => ({
      id: `e2e-more-${String(i).padStart(2, '0')}`,
      title: `加购商品 ${String(i).padStart(2, '0')}`,
      priceFen: 100 + i,
    }));
    for (const [i, p] of extra.entries()) {
      await bff.ctx.prisma.product.create({
        data: {
          id: p.id,
          title: p.title,
          images: [],
          sortOrder: i,
          skus: { create: [{ id: `${p.id}-sku`, title: '标准', priceFen: p.priceFen, stock: 1 }] },
        },
      });
    }
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await fetch(`${bff.url}/api/products${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`);
      const body = (await res.json()) as { items: { title: string }[]; nextCursor: string | null };
      all.push(...body.items.map((p) => p.title));
      cursor = body.nextCursor;
    } while (cursor);
    expect(all.length).toBeGreaterThan(20);

    const page = await openShop(bff.url);
    try {
      const cards = page.getByTestId('product-card');
      await page.getByTestId('product-list').waitFor({ state: 'visible', timeout: 20_000 });
      await expect.poll(() => cards.count()).toBeLessThan(all.length);
      // Scrolling to the end until every page is in: each reach-bottom loads one more page.
      await expect
        .poll(
          async () => {
            await page.mouse.wheel(0, 20_000);
            return cards.count();
          },
          { timeout: 20_000 },
        )
        .toBe(all.length);
      const titles = (await page.getByTestId('product-title').allTextContents()).map((t) => t.trim());
      expect(titles).toEqual(all);
      await snapshot(page, 'product-list-more.png');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('shows the empty state when the shop has no products on sale', async () => {
    await bff.ctx.prisma.product.updateMany({ data: { active: false } });
    const page = await openShop(bff.url);
    try {
      await page.getByTestId('product-list-empty').waitFor({ state: 'visible', timeout: 20_000 });
      expect(await page.getByTestId('product-card').count()).toBe(0);
      await snapshot(page, 'product-list-empty.png');
    } finally {
      await page.close();
      await bff.ctx.prisma.product.updateMany({ data: { active: true } });
    }
  }, 60_000);
});
