/**
 * The admin side on the h5 build, in Chromium at 390×844, against a real BFF (PostgreSQL) in
 * sandbox mode: the refund-request queue and its badge, turning a request down with a reason the
 * shopper reads, refunding one only after a confirmation, the date and product filters of the
 * order list, the stats with their uCharts chart, the reconciliation screen and logging out.
 * Every admin page is also held to 4.5:1 text contrast and 44 px tap targets.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { formatFen, shanghaiDate, shiftShanghaiDate } from '@uni-checkout/shared';
import { lowContrastTexts, smallTapTargets } from './support/a11y';
import { pickDate, signInAsAdmin, snapshot, startShop, text, type Shop } from './support/shop';

const ADDRESS = {
  name: '周小雨',
  phone: '13800138000',
  province: '上海市',
  city: '上海市',
  district: '徐汇区',
  detail: '漕溪北路 88 号',
};
const TEA = { id: 'e2e-admin-tea', title: '凤凰单丛 蜜兰香', sku: 'e2e-admin-tea-100', priceFen: 8800 };
const CUPS = { id: 'e2e-admin-cups', title: '汝窑 品茗杯', sku: 'e2e-admin-cups-2', priceFen: 3900 };

let shop: Shop;

beforeAll(async () => {
  shop = await startShop();
  for (const p of [TEA, CUPS]) {
    await shop.bff.ctx.prisma.product.create({
      data: {
        id: p.id,
        title: p.title,
        images: [],
        sortOrder: -900,
        skus: { create: [{ id: p.sku, title: '标准', priceFen: p.priceFen, stock: 100 }] },
      },
    });
  }
}, 900_000);

afterAll(async () => shop?.close());

interface Shopper {
  openid: string;
  token: string;
}

async function api<T>(path: string, init: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${shop.bff.url}${path}`, {
    method: init.body === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function newShopper(): Promise<Shopper> {
  const openid = `oH5Admin${randomBytes(8).toString('hex')}`;
  const { token } = await api<{ token: string }>('/api/auth/login', { body: { code: `sandbox:${openid}` } });
  return { openid, token };
}

/** The shopper orders `quantity` of a product and pays on the sandbox, as WeChat's client would. */
async function paidOrder(shopper: Shopper, product: typeof TEA, quantity = 1): Promise<string> {
  const order = await api<{ orderNo: string }>('/api/orders', {
    token: shopper.token,
    headers: { 'idempotency-key': randomUUID() },
    body: { items: [{ skuId: product.sku, quantity }], address: ADDRESS },
  });
  const params = await api<Record<string, string>>(`/api/orders/${order.orderNo}/pay`, {
    token: shopper.token,
    body: {},
  });
  const res = await fetch(`${shop.bff.ctx.sandboxUrl}/sandbox/pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...params, openid: shopper.openid }),
  });
  expect(((await res.json()) as { result: string }).result).toBe('SUCCESS');
  // reading the order asks WeChat when the notification has not landed yet
  for (let attempt = 0; ; attempt++) {
    const { status } = await api<{ status: string }>(`/api/orders/${order.orderNo}`, { token: shopper.token });
    if (status === 'PAID') return order.orderNo;
    if (attempt === 40) throw new Error(`order ${order.orderNo} is still ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function requestRefund(shopper: Shopper, orderNo: string, reason: string): Promise<void> {
  await api(`/api/orders/${orderNo}/refund-requests`, { token: shopper.token, body: { reason } });
}

/** The shopper's own phone: the h5 build logs in with the sandbox openid it keeps in storage. */
async function shopperPhone(shopper: Shopper) {
  const phone = await shop.newPhone();
  await phone.context.addInitScript((id) => localStorage.setItem('uni-checkout:sandbox-openid', id), shopper.openid);
  return phone;
}

async function adminPhone(landsOn = 'admin-orders-list') {
  const phone = await shop.newPhone();
  await phone.page.goto(`${shop.site.url}/#/pages-admin/orders/index`);
  await signInAsAdmin(phone.page, shop.admin, landsOn);
  return phone;
}

/** 4.5:1 text and 44 px targets on the admin page in view. */
async function expectAccessible(page: Page, root: string, tapTargets: string[]): Promise<void> {
  expect(await lowContrastTexts(page, `[data-testid="${root}"]`)).toEqual([]);
  expect(await smallTapTargets(page, tapTargets)).toEqual([]);
}

const NAV_TARGETS = [
  'admin-nav-orders',
  'admin-nav-refunds',
  'admin-nav-stats',
  'admin-nav-reconciliation',
  'admin-logout',
];

describe('refund requests: the queue, turning one down, refunding one after a confirmation', () => {
  let alice: Shopper;
  let bob: Shopper;
  let aliceOrder = '';
  let bobOrder = '';

  beforeAll(async () => {
    alice = await newShopper();
    bob = await newShopper();
    aliceOrder = await paidOrder(alice, TEA, 2);
    bobOrder = await paidOrder(bob, CUPS, 1);
    await requestRefund(alice, aliceOrder, '包装破损，想退货');
    await requestRefund(bob, bobOrder, '买重复了');
  }, 120_000);

  it('the admin sees 2 requests waiting, turns Alice’s down with a reason, and Alice reads it on her order', async () => {
    const { context, page } = await adminPhone();
    try {
      // the home (orders) flags the waiting requests: banner, nav badge, and the rows themselves
      await expect
        .poll(() => text(page, 'admin-refund-queue-banner'), { timeout: 10_000 })
        .toBe('2 个退款申请待处理\n去处理 ›');
      expect(await text(page, 'admin-nav-refunds-count')).toBe('2');
      const aliceRow = page.getByTestId('admin-order-row').filter({ hasText: aliceOrder });
      expect(await aliceRow.getByTestId('admin-order-refund-flag').innerText()).toBe('顾客申请退款，待处理');
      await expectAccessible(page, 'admin-orders', [
        ...NAV_TARGETS,
        'admin-refund-queue-banner',
        'admin-search-mode-order',
        'admin-search-mode-product',
        'admin-search-submit',
        'admin-date-from',
        'admin-date-to',
        'admin-filter-status-all',
        'admin-filter-status-PAID',
        'admin-filter-to-ship',
        'admin-export-csv',
      ]);
      await snapshot(page, 'admin-01-orders.png');

      // -- the queue: newest first, each with the shopper's reason
      await page.getByTestId('admin-refund-queue-banner').click();
      await page.getByTestId('admin-refund-queue-list').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'admin-refund-queue-caption')).toBe('待处理退款申请 2 个，最新的在前');
      const rows = page.getByTestId('admin-refund-queue-row');
      expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-order-no')))).toEqual([
        bobOrder,
        aliceOrder,
      ]);
      const aliceRequest = rows.filter({ hasText: aliceOrder });
      expect((await aliceRequest.getByTestId('admin-refund-queue-reason').innerText()).trim()).toBe(
        '顾客说明：包装破损，想退货',
      );
      expect((await aliceRequest.getByTestId('admin-refund-queue-total').innerText()).trim()).toBe(
        `实付 ${formatFen(TEA.priceFen * 2)}`,
      );
      await expectAccessible(page, 'admin-refund-queue', [...NAV_TARGETS, 'admin-refund-queue-open']);
      await snapshot(page, 'admin-02-refund-queue.png');

      // -- Alice's order: 拒绝 needs a reason the shopper will read
      await aliceRequest.click();
      await page.getByTestId('admin-refund-request').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'admin-order-detail-no')).toBe(aliceOrder);
      await page.getByTestId('admin-refund-request-reject').click();
      await page.getByTestId('admin-reject-submit').click();
      expect(await text(page, 'admin-reject-error')).toBe('请填写拒绝原因，顾客会看到它');
      await page.getByTestId('admin-reject-reason').locator('input').fill('商品已拆封使用，不符合退货条件');
      await expectAccessible(page, 'admin-order', [
        'admin-ship-type',
        'admin-ship-submit',
        'admin-refund-request-use',
        'admin-refund-request-reject',
        'admin-reject-cancel',
        'admin-reject-submit',
        'admin-refund-all',
        'admin-refund-submit',
        'admin-order-refresh',
      ]);
      await snapshot(page, 'admin-03-reject.png');
      await page.getByTestId('admin-reject-submit').click();
      await page.getByTestId('admin-refund-requests').waitFor({ state: 'detached', timeout: 10_000 });
      // nothing was refunded; the order's trail says who turned it down
      expect(await shop.bff.ctx.prisma.refund.count({ where: { order: { orderNo: aliceOrder } } })).toBe(0);
      expect(await text(page, 'admin-order-status')).toBe('已支付');
      const types = await page
        .getByTestId('admin-event')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-event-type')));
      expect(types).toContain('REFUND_REQUEST_REJECTED');

      // back on the queue: one request left, and the badge says so
      await page.goto(`${shop.site.url}/#/pages-admin/refunds/index`);
      await expect.poll(() => page.getByTestId('admin-refund-queue-row').count(), { timeout: 10_000 }).toBe(1);
      await expect.poll(() => text(page, 'admin-nav-refunds-count')).toBe('1');
    } finally {
      await context.close();
    }

    // -- Alice opens her order: the answer and its reason, in her timeline too
    const phone = await shopperPhone(alice);
    try {
      await phone.page.goto(`${shop.site.url}/#/pages/order/index?orderNo=${aliceOrder}`);
      await expect
        .poll(() => text(phone.page, 'order-refund-rejected'), { timeout: 20_000 })
        .toBe('退款申请未通过：商品已拆封使用，不符合退货条件');
      const timeline = (await phone.page.getByTestId('order-timeline-item').allInnerTexts()).join('\n');
      expect(timeline).toContain('申请退款');
      expect(timeline).toContain('包装破损，想退货');
      expect(timeline).toContain('退款申请未通过');
      expect(timeline).toContain('原因：商品已拆封使用，不符合退货条件');
      // she may ask again
      expect(await phone.page.getByTestId('order-refund-open').count()).toBe(1);
      await snapshot(phone.page, 'admin-04-shopper-sees-rejection.png', true);
    } finally {
      await phone.context.close();
    }
  }, 180_000);

  it('Bob’s request is approved: 确认退款 asks first, 取消 sends nothing, 确认 refunds the whole order', async () => {
    const { context, page } = await adminPhone();
    try {
      await page.getByTestId('admin-nav-refunds').click();
      const row = page.getByTestId('admin-refund-queue-row').filter({ hasText: bobOrder });
      await row.waitFor({ state: 'visible', timeout: 10_000 });
      await row.click();
      await page.getByTestId('admin-refund-request').waitFor({ state: 'visible', timeout: 10_000 });
      await page.getByTestId('admin-refund-request-use').click();
      await page.getByTestId('admin-refund-all').click();
      await expect.poll(() => text(page, 'admin-refund-preview')).toBe(`将退款 ${formatFen(CUPS.priceFen)}`);

      // one tap sends nothing: a confirmation names the amount and the order
      await page.getByTestId('admin-refund-submit').click();
      const modal = page.locator('.uni-modal');
      await modal.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await modal.innerText()).toContain(`向顾客退款 ${formatFen(CUPS.priceFen)}（订单 ${bobOrder}）`);
      expect(await lowContrastTexts(page, '.uni-modal')).toEqual([]);
      await snapshot(page, 'admin-05-refund-confirm.png');
      await modal.locator('.uni-modal__btn_default').click();
      await modal.waitFor({ state: 'hidden' });
      expect(await shop.bff.ctx.prisma.refund.count({ where: { order: { orderNo: bobOrder } } })).toBe(0);

      await page.getByTestId('admin-refund-submit').click();
      await modal.waitFor({ state: 'visible', timeout: 10_000 });
      await modal.locator('.uni-modal__btn_primary').click();
      await expect.poll(() => text(page, 'admin-order-status'), { timeout: 20_000 }).toBe('已退款');
      await expect.poll(() => text(page, 'admin-refund-status'), { timeout: 10_000 }).toBe('退款成功');
      expect(await page.getByTestId('admin-refund-request').count()).toBe(0);
      const refunds = await shop.bff.ctx.prisma.refund.findMany({ where: { order: { orderNo: bobOrder } } });
      expect(refunds.map((r) => [r.amountFen, r.reason, r.status])).toEqual([[CUPS.priceFen, '买重复了', 'SUCCESS']]);

      // the queue is empty and the badge gone
      await page.goto(`${shop.site.url}/#/pages-admin/refunds/index`);
      await page.getByTestId('admin-refund-queue-empty').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.getByTestId('admin-refund-queue-empty').innerText()).toContain('没有待处理的退款申请');
      // the list and the badge's count are two requests: the badge goes when its count answers
      await page.getByTestId('admin-nav-refunds-count').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await page.getByTestId('admin-nav-refunds-count').count()).toBe(0);
      await snapshot(page, 'admin-06-refund-queue-empty.png');
    } finally {
      await context.close();
    }

    const phone = await shopperPhone(bob);
    try {
      await phone.page.goto(`${shop.site.url}/#/pages/order/index?orderNo=${bobOrder}`);
      await expect.poll(() => text(phone.page, 'order-status'), { timeout: 20_000 }).toBe('已退款');
      const timeline = (await phone.page.getByTestId('order-timeline-item').allInnerTexts()).join('\n');
      expect(timeline).toContain('退款成功');
      expect(timeline).toContain(`${formatFen(CUPS.priceFen)} · 买重复了`);
    } finally {
      await phone.context.close();
    }
  }, 180_000);
});

describe('the order list: dates and products', () => {
  it('narrows to the orders placed between two Beijing days, and to those holding a product', async () => {
    const carol = await newShopper();
    const recent = await paidOrder(carol, TEA);
    // an order placed 3 Beijing days ago at 00:30 (16:30 UTC the day before)
    const today = shanghaiDate(new Date());
    const threeDaysAgo = shiftShanghaiDate(today, -3);
    const placedAt = new Date(Date.parse(`${threeDaysAgo}T00:30:00+08:00`));
    const user = await shop.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: carol.openid } });
    const old = await shop.bff.ctx.prisma.order.create({
      data: {
        orderNo: `UC${threeDaysAgo.replace(/-/g, '')}003000${String(randomBytes(4).readUInt32BE()).padStart(10, '0')}`,
        userId: user.id,
        status: 'PAID',
        totalFen: CUPS.priceFen,
        expiresAt: placedAt,
        paidAt: placedAt,
        createdAt: placedAt,
        items: {
          create: [
            {
              productId: CUPS.id,
              skuId: CUPS.sku,
              title: CUPS.title,
              skuTitle: '标准',
              priceFen: CUPS.priceFen,
              quantity: 1,
              amountFen: CUPS.priceFen,
            },
          ],
        },
      },
    });

    const { context, page } = await adminPhone();
    try {
      const rowOf = (orderNo: string) => page.getByTestId('admin-order-row').filter({ hasText: orderNo });
      await rowOf(old.orderNo).waitFor({ state: 'visible', timeout: 10_000 });

      // 3 days ago, that day alone: only the old order
      await pickDate(page, 'admin-date-from', threeDaysAgo);
      await expect.poll(() => text(page, 'admin-date-from')).toBe(threeDaysAgo);
      await pickDate(page, 'admin-date-to', threeDaysAgo);
      await expect.poll(() => text(page, 'admin-date-to')).toBe(threeDaysAgo);
      await expect
        .poll(() => page.getByTestId('admin-order-row').evaluateAll((els) => els.map((e) => e.dataset.orderNo)))
        .toEqual([old.orderNo]);
      expect((await rowOf(old.orderNo).getByTestId('admin-order-created').innerText()).trim()).toBe(
        `${threeDaysAgo} 00:30:00`,
      );
      await snapshot(page, 'admin-07-orders-by-date.png');

      // today only: the old order is gone, the recent one is there
      await pickDate(page, 'admin-date-to', today);
      await pickDate(page, 'admin-date-from', today);
      await rowOf(recent).waitFor({ state: 'visible', timeout: 10_000 });
      expect(await rowOf(old.orderNo).count()).toBe(0);

      // 清除: every day again
      await page.getByTestId('admin-date-clear').click();
      await rowOf(old.orderNo).waitFor({ state: 'visible', timeout: 10_000 });
      expect(await text(page, 'admin-date-from')).toBe('开始日期');

      // 搜商品: orders holding 品茗杯 (part of the title)
      await page.getByTestId('admin-search-mode-product').click();
      await page.getByTestId('admin-search-input').locator('input').fill('品茗');
      await page.getByTestId('admin-search-submit').click();
      // the list holds only orders of 品茗杯: the old one among them, the recent 单丛 one not
      await expect.poll(() => rowOf(recent).count(), { timeout: 10_000 }).toBe(0);
      await rowOf(old.orderNo).waitFor({ state: 'visible', timeout: 10_000 });
      const itemTexts = await page.getByTestId('admin-order-items').allInnerTexts();
      expect(itemTexts.length).toBeGreaterThan(0);
      expect(itemTexts.every((t) => t.includes('品茗杯'))).toBe(true);
      expect(await rowOf(recent).count()).toBe(0);
      await page.getByTestId('admin-search-input').locator('input').fill('没有这种茶');
      await page.getByTestId('admin-search-submit').click();
      await page.getByTestId('admin-orders-empty').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.getByTestId('admin-orders-empty').innerText()).toContain('没有符合条件的订单');
    } finally {
      await context.close();
    }
  }, 120_000);
});

describe('stats, reconciliation and logging out', () => {
  it('shows net revenue, refund rate and average order value for 7/14/30 days, with a drawn chart', async () => {
    const { context, page } = await adminPhone();
    try {
      await page.getByTestId('admin-nav-stats').click();
      await page.getByTestId('stats-range').waitFor({ state: 'visible', timeout: 10_000 });
      const range = (
        await shop.bff.ctx.prisma.$queryRaw<{ n: bigint; gmv: bigint | null }[]>`
        SELECT count(*) AS n, sum("totalFen") AS gmv FROM "Order"
        WHERE "paidAt" >= ${new Date(Date.parse(`${shiftShanghaiDate(shanghaiDate(new Date()), -13)}T00:00:00+08:00`))}`
      )[0]!;
      const refunded = await shop.bff.ctx.prisma.refund.aggregate({
        _sum: { amountFen: true },
        where: { status: 'SUCCESS' },
      });
      const gmv = Number(range.gmv ?? 0);
      const refundFen = refunded._sum.amountFen ?? 0;
      expect(gmv).toBeGreaterThan(0);
      expect(refundFen).toBeGreaterThan(0);
      expect(await text(page, 'stats-range-gmv')).toBe(formatFen(gmv));
      expect(await text(page, 'stats-range-refunded')).toBe(formatFen(refundFen));
      expect(await text(page, 'stats-range-net')).toBe(formatFen(gmv - refundFen));
      expect(await text(page, 'stats-range-refund-rate')).toBe(`${((refundFen / gmv) * 100).toFixed(2)}%`);
      expect(await text(page, 'stats-range-average')).toBe(formatFen(Math.round(gmv / Number(range.n))));
      expect(await page.getByTestId('stats-day').count()).toBe(14);

      // the chart: uCharts painted the canvas (pixels of both series' colours, not a blank sheet)
      const painted = () =>
        page
          .getByTestId('stats-chart')
          .locator('canvas')
          .evaluate((canvas: HTMLCanvasElement) => {
            const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
            let blue = 0;
            let red = 0;
            let inked = 0;
            for (let i = 0; i < data.length; i += 4) {
              const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
              if (a > 0 && (r < 240 || g < 240 || b < 240)) inked++;
              if (Math.abs(r - 0x1d) < 8 && Math.abs(g - 0x5f) < 8 && Math.abs(b - 0xb0) < 8) blue++;
              if (Math.abs(r - 0xc5) < 8 && Math.abs(g - 0x2a) < 8 && Math.abs(b - 0x1e) < 8) red++;
            }
            return { width: canvas.width, height: canvas.height, inked, blue, red };
          });
      await expect.poll(async () => (await painted()).blue, { timeout: 10_000 }).toBeGreaterThan(20);
      const pixels = await painted();
      expect(pixels.width).toBeGreaterThan(300);
      expect(pixels.red).toBeGreaterThan(0);
      expect(pixels.inked).toBeGreaterThan(2000);
      await expectAccessible(page, 'admin-stats', [
        ...NAV_TARGETS,
        'stats-range-7',
        'stats-range-14',
        'stats-range-30',
        'stats-range-custom',
      ]);
      await snapshot(page, 'admin-08-stats.png', true);

      // 近7天 / 近30天 / 自定义 ask the BFF for those days
      await page.getByTestId('stats-range-7').click();
      await expect.poll(() => page.getByTestId('stats-day').count()).toBe(7);
      await page.getByTestId('stats-range-30').click();
      await expect.poll(() => page.getByTestId('stats-day').count()).toBe(30);
      const today = shanghaiDate(new Date());
      expect(await text(page, 'stats-range-dates')).toBe(`${shiftShanghaiDate(today, -29)} 至 ${today}（30 天）`);
      await page.getByTestId('stats-range-custom').click();
      await page.getByTestId('stats-custom-range').waitFor({ state: 'visible' });
      await pickDate(page, 'stats-custom-from', shiftShanghaiDate(today, -2));
      await pickDate(page, 'stats-custom-to', today);
      await expect.poll(() => page.getByTestId('stats-day').count()).toBe(3);
      await expect.poll(async () => (await painted()).blue).toBeGreaterThan(20);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('reconciles a day’s bill on demand and lists what differs, in Chinese and Beijing time', async () => {
    const today = shanghaiDate(new Date());
    const yesterday = shiftShanghaiDate(today, -1);
    // a payment only WeChat's bill knows of (the shop never saw it), in today's bill
    const ghost = `UC${today.replace(/-/g, '')}120000${'9'.repeat(10)}`;
    const injected = await fetch(`${shop.bff.ctx.sandboxUrl}/sandbox/bill/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outTradeNo: ghost, totalFen: 1234 }),
    });
    expect(injected.status).toBe(201);

    const { context, page } = await adminPhone();
    try {
      await page.getByTestId('admin-nav-reconciliation').click();
      await page.getByTestId('admin-reconciliation-empty').waitFor({ state: 'visible', timeout: 10_000 });
      // yesterday by default: the latest day WeChat Pay has a whole bill for
      expect(await text(page, 'admin-reconciliation-date')).toBe(`账单日 ${yesterday}`);
      await snapshot(page, 'admin-09-reconciliation-empty.png');
      await pickDate(page, 'admin-reconciliation-date', today);
      await expect.poll(() => text(page, 'admin-reconciliation-date')).toBe(`账单日 ${today}`);
      await page.getByTestId('admin-reconciliation-run').click();
      const row = page.getByTestId('admin-reconciliation-row').filter({ hasText: today });
      await row.waitFor({ state: 'visible', timeout: 20_000 });
      expect((await row.getByTestId('admin-reconciliation-status').innerText()).trim()).toBe('1 处差异');
      const diff = page.getByTestId('admin-reconciliation-diff').filter({ hasText: ghost });
      await diff.waitFor({ state: 'visible', timeout: 10_000 });
      expect((await diff.getByTestId('admin-reconciliation-diff-kind').innerText()).trim()).toBe(
        '微信账单有，本店没有',
      );
      const sides = await diff.innerText();
      expect(sides).toContain('本店：无记录');
      expect(sides).toContain('¥12.34');
      // WeChat's trade_state in the words of the page, never its English code
      expect(sides).toContain('交易状态: 成功');
      expect(sides).not.toMatch(/SUCCESS/);
      await expectAccessible(page, 'admin-reconciliation', [
        ...NAV_TARGETS,
        'admin-reconciliation-date',
        'admin-reconciliation-run',
        'admin-reconciliation-toggle',
      ]);
      await snapshot(page, 'admin-10-reconciliation.png', true);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('退出 ends the admin session at the BFF and here: the old token is refused, admin pages ask to log in again', async () => {
    const { context, page } = await adminPhone();
    try {
      // the access token the admin pages send
      const stored = await page.evaluate(() => localStorage.getItem('uni-checkout:admin-token'));
      const token = stored!;
      const before = await fetch(`${shop.bff.url}/api/admin/stats`, { headers: { authorization: `Bearer ${token}` } });
      expect(before.status).toBe(200);
      const logout = page.waitForResponse(
        (r) => r.url() === `${shop.bff.url}/api/admin/logout` && r.request().method() === 'POST',
      );
      await page.getByTestId('admin-logout').click();
      expect((await logout).status()).toBe(204);
      await page.getByTestId('admin-login-form').waitFor({ state: 'visible', timeout: 10_000 });
      expect(await page.evaluate(() => localStorage.getItem('uni-checkout:admin-token'))).toBeNull();
      await page.goto(`${shop.site.url}/#/pages-admin/stats/index`);
      await page.getByTestId('admin-login-form').waitFor({ state: 'visible', timeout: 10_000 });
      expect(page.url()).toContain('pages-admin/login/index');
      // the session ended at the BFF too: the old access token is refused at once
      const after = await fetch(`${shop.bff.url}/api/admin/stats`, { headers: { authorization: `Bearer ${token}` } });
      expect(after.status).toBe(401);
      expect(((await after.json()) as { error: { code: string } }).error.code).toBe('SESSION_REVOKED');
    } finally {
      await context.close();
    }
  }, 60_000);
});
