/** The shop's rules that need no browser: cart arithmetic, idempotency keys, polling, refund input, pay sheet URL, trail labels. */
import { ORDER_EVENT_TYPES, type Order, type Product } from '@uni-checkout/shared';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { validateRefundAmount } from '../src/pages-admin/store/admin';
import { useCheckoutStore } from '../src/store/checkout';
import { clampQuantity, lineFromSku, linesTotalFen, stockNote, useCartStore } from '../src/store/cart';
import { pollDelays, shipmentLine, shopperTimeline } from '../src/store/orders';
import { resultPageUrl, sandboxCashierUrl } from '../src/store/payment';
import { closeReason, formatCountdown } from '../src/utils/countdown';
import { beijingTime, eventLabel, eventSummary } from '../src/utils/events';
import { newIdempotencyKey, randomToken } from '../src/utils/random';

/** uni's synchronous storage over a Map; values go through JSON as they do into localStorage on h5. */
function installFakeUniStorage(): Map<string, unknown> {
  const store = new Map<string, unknown>();
  const copy = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
  (globalThis as unknown as { uni: unknown }).uni = {
    getStorageSync: (k: string) => (store.has(k) ? copy(store.get(k)) : ''),
    setStorageSync: (k: string, v: unknown) => void store.set(k, copy(v)),
    removeStorageSync: (k: string) => void store.delete(k),
  };
  return store;
}

const product: Product = {
  id: 'p1',
  title: '明前龙井',
  subtitle: null,
  description: '',
  category: 'tea',
  images: ['/static/products/a.png'],
  skus: [
    { id: 's-250', title: '250g', priceFen: 12800, stock: 200 },
    { id: 's-1kg', title: '1kg', priceFen: 45000, stock: 3 },
    { id: 's-500', title: '500g', priceFen: 23900, stock: 0 },
  ],
  minPriceFen: 12800,
};

describe('cart', () => {
  let storage: Map<string, unknown>;
  beforeEach(() => {
    storage = installFakeUniStorage();
    setActivePinia(createPinia());
  });

  it('keeps quantities within 1–99 and totals lines in integer fen', () => {
    expect([
      clampQuantity(0),
      clampQuantity(-3),
      clampQuantity(2.7),
      clampQuantity(150),
      clampQuantity(Number.NaN),
    ]).toEqual([1, 1, 2, 99, 1]);
    expect(
      linesTotalFen([
        { priceFen: 12800, quantity: 2 },
        { priceFen: 1, quantity: 99 },
      ]),
    ).toBe(25699);
    expect(lineFromSku(product, product.skus[0]!, 3)).toEqual({
      skuId: 's-250',
      productId: 'p1',
      title: '明前龙井',
      skuTitle: '250g',
      image: '/static/products/a.png',
      priceFen: 12800,
      quantity: 3,
      stock: 200,
    });
  });

  it('never holds more of a SKU than its stock, and says when little is left', () => {
    const cart = useCartStore();
    const kg = product.skus[1]!;
    expect(cart.add(lineFromSku(product, kg, 7))).toBe('added');
    expect(cart.lines[0]!.quantity).toBe(3); // 7 asked, 3 in stock
    expect(cart.add(lineFromSku(product, kg, 1))).toBe('capped');
    expect(cart.lines[0]!.quantity).toBe(3);
    cart.setQuantity(kg.id, 9);
    expect(cart.lines[0]!.quantity).toBe(3);
    expect(stockNote(cart.lines[0]!)).toEqual({ text: '仅剩 3 件', blocking: false });
    expect(cart.blocked).toBe(false);

    // someone else bought two meanwhile: the line keeps 3 but says so, and checkout waits
    cart.updateStock(kg.id, 1);
    expect(stockNote(cart.lines[0]!)).toEqual({ text: '库存仅剩 1 件', blocking: true });
    expect(cart.blocked).toBe(true);
    cart.setQuantity(kg.id, 3);
    expect(cart.lines[0]!.quantity).toBe(1);
    expect(cart.blocked).toBe(false);
    cart.updateStock(kg.id, 0);
    expect(stockNote(cart.lines[0]!)).toEqual({ text: '售罄', blocking: true });
    expect(stockNote({ stock: 50, quantity: 2 })).toBeNull();
    expect(stockNote({ stock: null, quantity: 2 })).toBeNull();
  });

  it('merges the same SKU, persists every change at once and restores it in a new session', () => {
    const cart = useCartStore();
    expect(cart.add(lineFromSku(product, product.skus[0]!, 2))).toBe('added');
    expect(cart.add(lineFromSku(product, product.skus[0]!, 98))).toBe('capped'); // merged, held at 99
    expect(cart.lines).toHaveLength(1);
    expect(cart.lines[0]!.quantity).toBe(99);
    cart.setQuantity('s-250', 3);
    expect(cart.totalFen).toBe(38400);
    expect(storage.get('uni-checkout:cart')).toEqual([expect.objectContaining({ skuId: 's-250', quantity: 3 })]);

    setActivePinia(createPinia());
    const again = useCartStore();
    expect(again.count).toBe(3);
    again.remove('s-250');
    expect(storage.has('uni-checkout:cart')).toBe(false);
  });

  it('ignores stored lines it cannot trust', () => {
    storage.set('uni-checkout:cart', [{ skuId: 'x' }, 'junk', { ...lineFromSku(product, product.skus[0]!, 500) }]);
    const cart = useCartStore();
    expect(cart.lines.map((l) => [l.skuId, l.quantity])).toEqual([['s-250', 99]]);
  });
});

/** what the checkout sends: no postalCode key when there is none */
const ADDRESS_SENT = {
  name: '张三',
  phone: '13800001234',
  province: '广东省',
  city: '深圳市',
  district: '南山区',
  detail: '科技园路 1 号',
};

const ADDRESS = { ...ADDRESS_SENT, postalCode: null };

describe('checkout attempts', () => {
  type Sent = { url: string; header: Record<string, string>; data: unknown };
  let sent: Sent[];
  let answers: ('drop' | 'ok')[];

  const orderBody = (remark: string | null) => ({
    orderNo: 'UC20261127000000000001',
    status: 'PENDING_PAYMENT',
    totalFen: 25600,
    refundedFen: 0,
    items: [],
    remark,
    createdAt: '2026-11-27T05:00:00.000Z',
    paidAt: null,
    closedAt: null,
    expiresAt: '2026-11-27T05:30:00.000Z',
    transactionId: null,
    refunds: [],
    refundRequested: false,
    address: { ...ADDRESS, postalCode: null },
    fulfilmentStatus: 'UNSHIPPED',
    shipment: null,
  });

  beforeEach(() => {
    installFakeUniStorage();
    sent = [];
    answers = [];
    const uni = (globalThis as unknown as { uni: Record<string, unknown> }).uni;
    // uni.request as the BFF answers it, or as a lost answer looks to the app (the order exists anyway)
    uni.request = (options: {
      url: string;
      header: Record<string, string>;
      data: { remark?: string };
      success: (r: { statusCode: number; data: unknown }) => void;
      fail: (e: { errMsg: string }) => void;
    }) => {
      sent.push({ url: options.url, header: options.header, data: options.data });
      const answer = answers.shift() ?? 'ok';
      if (answer === 'drop') options.fail({ errMsg: 'request:fail' });
      else options.success({ statusCode: 201, data: orderBody(options.data.remark ?? null) });
    };
    setActivePinia(createPinia());
  });

  it('sends one Idempotency-Key for every retry of the same submission, and a new one for a new attempt', async () => {
    const checkout = useCheckoutStore();
    checkout.start([lineFromSku(product, product.skus[0]!, 2)], 'buy-now');
    checkout.setAddress(ADDRESS);
    answers = ['drop', 'drop', 'ok'];
    await expect(checkout.submit()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(checkout.error?.code).toBe('NETWORK_ERROR');
    // the app restarts between two tries: the draft and its key come back from storage
    setActivePinia(createPinia());
    const restarted = useCheckoutStore();
    await expect(restarted.submit()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    const order = await restarted.submit();
    expect(order.orderNo).toBe('UC20261127000000000001');
    const keys = sent.map((s) => s.header['Idempotency-Key']);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(1);
    expect(sent[0]!.data).toEqual({ items: [{ skuId: 's-250', quantity: 2 }], address: ADDRESS_SENT });
    // placed: the draft is gone, and coming back to the checkout (even after a restart) leads to the order
    expect(restarted.lines).toEqual([]);
    expect(restarted.placedOrderNo).toBe('UC20261127000000000001');
    setActivePinia(createPinia());
    expect(useCheckoutStore().placedOrderNo).toBe('UC20261127000000000001');

    // a new checkout is a new attempt; so is a changed remark (another body under the old key would be refused)
    restarted.start([lineFromSku(product, product.skus[0]!, 1)], 'buy-now');
    expect(restarted.placedOrderNo).toBeNull();
    answers = ['drop', 'ok'];
    await expect(restarted.submit()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    restarted.remark = '请尽快发货';
    await restarted.submit();
    const [, , , fourth, fifth] = sent.map((s) => s.header['Idempotency-Key']);
    expect(fourth).not.toBe(keys[0]);
    expect(fifth).not.toBe(fourth);
    expect(sent[4]!.data).toEqual({
      items: [{ skuId: 's-250', quantity: 1 }],
      remark: '请尽快发货',
      address: ADDRESS_SENT,
    });
  });

  it('refuses to submit nothing', async () => {
    const checkout = useCheckoutStore();
    await expect(checkout.submit()).rejects.toThrow('nothing to order');
    expect(sent).toEqual([]);
  });

  it('asks for a shipping address before sending anything, and a new address is a new attempt', async () => {
    const checkout = useCheckoutStore();
    checkout.start([lineFromSku(product, product.skus[0]!, 1)], 'buy-now');
    await expect(checkout.submit()).rejects.toMatchObject({ code: 'ADDRESS_REQUIRED' });
    expect(sent).toEqual([]);
    checkout.setAddress(ADDRESS);
    answers = ['drop', 'ok'];
    await expect(checkout.submit()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    checkout.setAddress({ ...ADDRESS, detail: '科技园路 2 号' });
    await checkout.submit();
    const [first, second] = sent.map((s) => s.header['Idempotency-Key']);
    expect(second).not.toBe(first);
    expect((sent[1]!.data as { address: { detail: string } }).address.detail).toBe('科技园路 2 号');
  });
});

describe('idempotency keys', () => {
  it('are printable ASCII within the BFF’s 128 characters, and never repeat', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => newIdempotencyKey()));
    expect(keys.size).toBe(1000);
    for (const key of keys) expect(key).toMatch(/^[\x21-\x7e]{1,128}$/);
    expect(randomToken(25)).toMatch(/^[0-9A-Za-z]{25}$/);
  });
});

describe('result page polling', () => {
  it('starts quick, backs off to at most 4 s, and stays within the timeout', () => {
    const delays = pollDelays(20_000);
    expect(delays[0]).toBe(500);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(4000);
    expect(delays.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(20_000);
    expect(delays.length).toBeGreaterThan(5);
    expect(pollDelays(0)).toEqual([]);
  });
});

describe('admin refund amount', () => {
  // the server's refundableFen: paid 256.00, refunded 100.00
  const order = { refundableFen: 15600 };

  it('converts yuan to fen without floating point', () => {
    expect(validateRefundAmount('100.50', order)).toEqual({ fen: 10050 });
    expect(validateRefundAmount('0.1', order)).toEqual({ fen: 10 });
    expect(validateRefundAmount(' 156 ', order)).toEqual({ fen: 15600 });
  });

  it('refuses malformed, zero and too large amounts with a sentence', () => {
    for (const bad of ['', 'abc', '1.234', '-5', '1e3', '0x10']) {
      expect(validateRefundAmount(bad, order), bad).toEqual({ error: '请输入正确的金额（如 100.50，最多两位小数）' });
    }
    expect(validateRefundAmount('0', order)).toEqual({ error: '退款金额必须大于 0' });
    expect(validateRefundAmount('156.01', order)).toEqual({ error: '最多可退 ¥156.00' });
    expect(validateRefundAmount('1', { refundableFen: 0 })).toEqual({ error: '最多可退 ¥0.00' });
  });
});

describe('h5 sandbox pay sheet', () => {
  it('carries the requestPayment params, the openid and the way back to the result page', () => {
    const params = {
      appId: 'wx1',
      timeStamp: '1700000000',
      nonceStr: 'n1',
      package: 'prepay_id=wx2',
      signType: 'RSA' as const,
      paySign: 'a+b/c==',
    };
    const url = new URL(
      sandboxCashierUrl(
        'http://127.0.0.1:9800',
        params,
        'oH5abc',
        `http://127.0.0.1:5173/#${resultPageUrl('UC123456')}`,
      ),
    );
    expect(url.origin + url.pathname).toBe('http://127.0.0.1:9800/sandbox/cashier');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      ...params,
      openid: 'oH5abc',
      return: 'http://127.0.0.1:5173/#/pages/result/index?orderNo=UC123456',
    });
    expect(resultPageUrl('UC1', 'cancel')).toBe('/pages/result/index?orderNo=UC1&payResult=cancel');
  });
});

describe('order timelines', () => {
  it('lists creation, payment and refunds in time order for the shopper', () => {
    const order = {
      createdAt: '2026-11-27T05:00:00.000Z',
      paidAt: '2026-11-27T05:00:05.000Z',
      closedAt: null,
      refunds: [
        {
          outRefundNo: 'RF1',
          amountFen: 10050,
          reason: '缺货',
          status: 'SUCCESS',
          createdAt: '2026-11-27T06:00:00.000Z',
          succeededAt: '2026-11-27T06:00:01.000Z',
        },
        {
          outRefundNo: 'RF2',
          amountFen: 100,
          reason: '差价',
          status: 'PROCESSING',
          createdAt: '2026-11-27T05:30:00.000Z',
          succeededAt: null,
        },
      ],
    } as unknown as Order;
    expect(shopperTimeline(order).map((e) => [e.label, e.detail ?? ''])).toEqual([
      ['下单', ''],
      ['支付成功', ''],
      ['退款处理中', '¥1.00 · 差价'],
      ['退款成功', '¥100.50 · 缺货'],
    ]);
  });

  it('puts 已发货 and 已收货 in their real place among refunds, with the company’s name', () => {
    const order = {
      createdAt: '2026-11-27T05:00:00.000Z',
      paidAt: '2026-11-27T05:00:05.000Z',
      closedAt: null,
      shipment: {
        logisticsType: 'EXPRESS',
        expressCompany: 'SF',
        expressCompanyName: '顺丰速运',
        trackingNo: 'SF7788990011',
        shippedAt: '2026-11-27T08:00:00.000Z',
        receivedAt: '2026-11-29T08:00:00.000Z',
      },
      refunds: [
        {
          outRefundNo: 'RF1',
          amountFen: 100,
          reason: '差价',
          status: 'SUCCESS',
          createdAt: '2026-11-28T06:00:00.000Z',
          succeededAt: '2026-11-28T06:00:01.000Z',
        },
      ],
    } as unknown as Order;
    expect(shopperTimeline(order).map((e) => [e.label, e.detail ?? ''])).toEqual([
      ['下单', ''],
      ['支付成功', ''],
      ['已发货', '顺丰速运 SF7788990011'],
      ['退款成功', '¥1.00 · 差价'],
      ['已收货', ''],
    ]);
    const noName = { ...order.shipment!, expressCompanyName: null, receivedAt: null };
    expect(shipmentLine(noName)).toBe('SF SF7788990011');
    expect(shipmentLine({ ...noName, logisticsType: 'SELF_PICKUP', trackingNo: null })).toBe('用户自提');
  });

  it('puts 下单 before 支付成功 even when WeChat’s whole-second pay time reads earlier', () => {
    const order = {
      status: 'PAID',
      createdAt: '2026-11-27T05:00:00.700Z',
      paidAt: '2026-11-27T05:00:00.000Z', // success_time "2026-11-27T13:00:00+08:00"
      expiresAt: '2026-11-27T05:30:00.700Z',
      closedAt: null,
      refunds: [],
    } as unknown as Order;
    expect(shopperTimeline(order).map((e) => e.label)).toEqual(['下单', '支付成功']);
  });

  it('says why a closed order closed, and counts down in mm:ss', () => {
    const base = { status: 'CLOSED', createdAt: '2026-11-27T05:00:00.000Z', expiresAt: '2026-11-27T05:30:00.000Z' };
    const cancelled = { ...base, closedAt: '2026-11-27T05:10:00.000Z', paidAt: null, refunds: [] } as unknown as Order;
    const timedOut = { ...base, closedAt: '2026-11-27T05:30:01.000Z', paidAt: null, refunds: [] } as unknown as Order;
    expect(closeReason(cancelled)).toBe('你已取消订单');
    expect(closeReason(timedOut)).toBe('超时未支付，订单已自动关闭');
    expect(closeReason({ ...timedOut, status: 'PAID' })).toBeNull();
    expect(shopperTimeline(timedOut).map((e) => [e.label, e.detail ?? ''])).toEqual([
      ['下单', ''],
      ['订单关闭', '超时未支付，订单已自动关闭'],
    ]);
    expect([0, 999, 1000, 59_001, 30 * 60_000, 3_723_000, -5].map(formatCountdown)).toEqual([
      '00:00',
      '00:01',
      '00:01',
      '01:00',
      '30:00',
      '1:02:03',
      '00:00',
    ]);
  });

  it('names every kind of event the BFF records in Chinese, fulfilment and receipt included', () => {
    const unnamed = ORDER_EVENT_TYPES.filter((type) => !/\p{Script=Han}/u.test(eventLabel(type)));
    expect(unnamed).toEqual([]);
    expect(eventLabel('SHIPPING_UPLOADED')).toBe('发货信息已录入微信');
  });

  it('labels the BFF’s events for admins and summarises payloads on one line', () => {
    expect(eventLabel('PAYMENT_SETTLED')).toBe('支付成功');
    expect(eventLabel('SOMETHING_NEW')).toBe('SOMETHING_NEW');
    expect(eventSummary({ amountFen: 100, note: null, items: [{ a: 1 }] })).toBe('金额: ¥1.00 · items: [{"a":1}]');
    expect(eventSummary({ reason: '已拆封', by: 'admin' })).toBe('原因: 已拆封 · 操作人: admin');
    expect(eventLabel('REFUND_REQUEST_REJECTED')).toBe('拒绝退款申请');
    expect(eventSummary({ long: 'x'.repeat(500) }, 20)).toHaveLength(20);
    expect(eventSummary(null)).toBe('');
    // the states of WeChat Pay's bill and of the shop, in Chinese, where a field holds a state only
    expect(eventSummary({ tradeState: 'SUCCESS', totalFen: 2560 })).toBe('交易状态: 成功 · 订单金额: ¥25.60');
    expect(eventSummary({ status: 'PARTIALLY_REFUNDED', refundStatus: 'PROCESSING' })).toBe(
      '状态: 部分退款 · 退款状态: 处理中',
    );
    expect(eventSummary({ reason: 'SUCCESS' })).toBe('原因: SUCCESS');
    expect(beijingTime('2026-11-27T17:30:00.000Z')).toBe('2026-11-28 01:30:00');
    // a reconciliation difference's sides: instants in Beijing time, WeChat's own wall clock as is
    expect(eventSummary({ totalFen: 25600, paidAt: '2026-11-27T17:30:00.000Z' })).toBe(
      '订单金额: ¥256.00 · 支付时间: 2026-11-28 01:30:00',
    );
    expect(eventSummary({ refundStatus: 'SUCCESS', tradeTime: '2026-11-28 01:30:00' })).toBe(
      '退款状态: 成功 · 交易时间: 2026-11-28 01:30:00',
    );
  });
});

/** What each component adds to the `testid` a page gives it (none listed: the id itself). */
const COMPONENT_TESTID_PARTS: Record<string, string[]> = {
  'quantity-stepper': ['minus', 'value', 'plus'],
  'paged-list': ['loading', 'error', 'retry', 'empty', 'list', 'more', 'end'],
};

describe('test ids', () => {
  it('every data-testid in the source is listed in the README, and every listed one exists', async () => {
    const { readFile, readdir } = await import('node:fs/promises');
    const path = await import('node:path');
    const appDir = path.join(import.meta.dirname, '..');
    const files = (await readdir(path.join(appDir, 'src'), { recursive: true })).filter((f) => f.endsWith('.vue'));
    const inSource = new Set<string>();
    const prefixes: string[] = [];
    for (const file of files) {
      const vue = await readFile(path.join(appDir, 'src', file), 'utf8');
      for (const m of vue.matchAll(/data-testid="([a-z0-9-]+)"/g)) inSource.add(m[1]!);
      // the page-state component's parts, named by the page that uses it (`retry-testid="orders-retry"`)
      for (const m of vue.matchAll(/\b(?:loading|error|retry|empty)-testid="([a-z0-9-]+)"/g)) inSource.add(m[1]!);
      // page-state's parts from the page's prefix (`prefix="orders"` → `orders-loading` …); a list can be empty
      const parts = vue.includes('<paged-list-view')
        ? ['loading', 'error', 'retry', 'empty']
        : ['loading', 'error', 'retry'];
      for (const m of vue.matchAll(/(?<![:\w-])prefix="([a-z0-9-]+)"/g))
        for (const part of parts) inSource.add(`${m[1]}-${part}`);
      for (const m of vue.matchAll(/\b(?:list|more|button)-testid="([a-z0-9-]+)"/g)) inSource.add(m[1]!);
      // ids built from a value (`orders-tab-${key}`), on an element or handed to a component
      for (const m of vue.matchAll(/:(?:data-)?testid="`([a-z-]+)\$\{/g)) prefixes.push(m[1]!);
      // ids a component builds from the `testid` its page hands it
      for (const m of vue.matchAll(/<([a-z-]+)\s[^>]*?(?<![-:\w])testid="([a-z0-9-]+)"/g)) {
        const [, component, id] = m as unknown as [string, string, string];
        for (const part of COMPONENT_TESTID_PARTS[component] ?? ['']) inSource.add(part ? `${id}-${part}` : id);
      }
      for (const m of vue.matchAll(/\bcount-testid="([a-z0-9-]+)"/g)) inSource.add(m[1]!);
    }
    const readme = await readFile(path.join(appDir, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Test ids'), readme.indexOf('## Tests'));
    const listed = new Set(
      [...section.matchAll(/`([a-z][a-zA-Z0-9_-]*)`/g)]
        .map((m) => m[1]!)
        .filter((id) => /-/.test(id) || id === 'checkout' || id === 'result'),
    );
    listed.delete('data-testid');
    for (const id of [
      'data-sku-id',
      'aria-disabled',
      'aria-selected',
      'data-order-no',
      'data-status',
      'data-check',
      'data-event-type',
      'data-date',
      'data-category',
      'data-key',
      'data-bill-date',
      'data-kind',
      'pages/index',
      'pages/product',
      'pages/cart',
      'pages/checkout',
      'pages/result',
      'pages/orders',
      'pages/order',
    ])
      listed.delete(id);
    const missingFromReadme = [...inSource].filter((id) => !listed.has(id));
    expect(missingFromReadme).toEqual([]);
    const dynamic = (id: string) => prefixes.some((p) => id.startsWith(p)) && !inSource.has(id);
    const missingFromSource = [...listed].filter((id) => !inSource.has(id) && !dynamic(id));
    expect(missingFromSource).toEqual([]);
    expect(prefixes.sort()).toEqual([
      'admin-filter-status-',
      'admin-nav-',
      'admin-search-mode-',
      'orders-tab-',
      'stats-range-',
    ]);
  });
});
