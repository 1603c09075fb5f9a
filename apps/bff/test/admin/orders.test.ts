import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOrderSchema, listSchema, shanghaiDate, toRfc3339Beijing } from '@uni-checkout/shared';
import { allPages, startHarness, type ApiClient, type Harness } from '../support/harness.js';
import { paidOrder, placeOrder, refundNotified, skus, type Shopper } from '../refunds/paid-order.js';
import { TEST_ADDRESS } from '../support/shop.js';

describe('admin order list, detail and CSV export', { timeout: 30_000 }, () => {
  let h: Harness;
  let admin: ApiClient;
  let alice: Shopper;
  let bob: Shopper;
  const alicePaid: string[] = [];
  let alicePending: string;
  let bobPaid: string;

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.admin();
    alice = await h.shopper();
    bob = await h.shopper();
    alicePaid.push((await paidOrder(h, alice)).orderNo);
    alicePending = (await placeOrder(h, alice, { sku: 1 })).orderNo;
    bobPaid = (await paidOrder(h, bob, { sku: 2 })).orderNo;
    alicePaid.push((await paidOrder(h, alice, { sku: 3, quantity: 2 })).orderNo);
  }, 60_000);
  afterAll(() => h?.close());

  const nos = (body: { items: { orderNo: string }[] }) => body.items.map((o) => o.orderNo);

  it('lists every order newest first, with the owner openid and admin actions', async () => {
    const res = await admin.get('/api/admin/orders');
    expect(res.status).toBe(200);
    expect(nos(res.body)).toEqual([alicePaid[1], bobPaid, alicePending, alicePaid[0]]);
    expect(res.body.nextCursor).toBeNull();
    const first = res.body.items[0];
    expect(first).toMatchObject({
      status: 'PAID',
      openid: alice.openid,
      refundedFen: 0,
      actions: { refund: true, close: false },
    });
    expect(first.items[0]).toMatchObject({ quantity: 2 });
    expect(first.events).toBeUndefined();
    // the shared contract the mini-program's admin pages parse with
    expect(listSchema(adminOrderSchema).safeParse(res.body).success).toBe(true);
  });

  it('filters by status, by openid or orderNo search, and by date range', async () => {
    expect(nos((await admin.get('/api/admin/orders?status=PAID')).body)).toEqual([alicePaid[1], bobPaid, alicePaid[0]]);
    expect(nos((await admin.get('/api/admin/orders?status=PENDING_PAYMENT')).body)).toEqual([alicePending]);
    expect(nos((await admin.get(`/api/admin/orders?q=${alice.openid}`)).body)).toEqual([
      alicePaid[1],
      alicePending,
      alicePaid[0],
    ]);
    expect(nos((await admin.get(`/api/admin/orders?q=${bobPaid}`)).body)).toEqual([bobPaid]);
    expect(nos((await admin.get(`/api/admin/orders?q=${alice.openid}&status=PAID`)).body)).toEqual([
      alicePaid[1],
      alicePaid[0],
    ]);
    expect(nos((await admin.get('/api/admin/orders?q=nothing-like-this')).body)).toEqual([]);

    const rows = await h.bff.ctx.prisma.order.findMany({ where: { orderNo: { in: [bobPaid] } } });
    const bobAt = rows[0]!.createdAt;
    const from = encodeURIComponent(bobAt.toISOString());
    const to = encodeURIComponent(new Date(bobAt.getTime() + 1).toISOString());
    expect(nos((await admin.get(`/api/admin/orders?from=${from}&to=${to}`)).body)).toEqual([bobPaid]);
    expect(
      nos((await admin.get(`/api/admin/orders?from=${encodeURIComponent('2999-01-01T00:00:00+08:00')}`)).body),
    ).toEqual([]);
  });

  it('finds orders by part of a product title, as in the list so in the CSV, wildcards taken literally', async () => {
    const all = await h.bff.ctx.prisma.order.findMany({ include: { items: true } });
    const bobTitle = all.find((o) => o.orderNo === bobPaid)!.items[0]!.title;
    // a middle part of the title, in another case where it has letters
    const part = [...bobTitle].slice(1, -1).join('').toLowerCase() || bobTitle;
    const holding = all
      .filter((o) => o.items.some((i) => i.title.toLowerCase().includes(part.toLowerCase())))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (b.id < a.id ? -1 : 1))
      .map((o) => o.orderNo);
    expect(holding).toContain(bobPaid);
    const found = await admin.get(`/api/admin/orders?product=${encodeURIComponent(part)}`);
    expect(found.status).toBe(200);
    expect(nos(found.body)).toEqual(holding);
    // with the other filters: bob's only
    expect(
      nos((await admin.get(`/api/admin/orders?product=${encodeURIComponent(part)}&q=${bob.openid}`)).body),
    ).toEqual([bobPaid]);
    expect(nos((await admin.get('/api/admin/orders?product=%25')).body)).toEqual([]);
    expect(nos((await admin.get('/api/admin/orders?product=_')).body)).toEqual([]);
    expect((await admin.get(`/api/admin/orders?product=${'x'.repeat(65)}`)).status).toBe(400);

    const csv = await fetch(`${h.bff.url}/api/admin/orders.csv?product=${encodeURIComponent(part)}`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    const lines = (await csv.text()).split('\r\n').filter(Boolean);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(holding.map((no) => `"${no}"`));
    const literal = await fetch(`${h.bff.url}/api/admin/orders.csv?product=%25`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect((await literal.text()).split('\r\n').filter(Boolean)).toHaveLength(1);
  });

  it('pages with a keyset cursor: every order once, in order', async () => {
    const pages = await allPages<{ orderNo: string }>(admin, '/api/admin/orders?limit=3');
    expect(pages).toHaveLength(2);
    expect(pages.flatMap((items) => nos({ items }))).toEqual([alicePaid[1], bobPaid, alicePending, alicePaid[0]]);
  });

  it('rejects bad filters with 400 VALIDATION_FAILED', async () => {
    for (const q of [
      'status=SHIPPED',
      'from=yesterday',
      'limit=0',
      'limit=1000',
      'cursor=not-a-cursor',
      `cursor=${Buffer.from('["x","y"]').toString('base64url')}`,
    ]) {
      const res = await admin.get(`/api/admin/orders?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('shows one order with its refunds and its event timeline, oldest first, without secrets', async () => {
    const orderNo = alicePaid[0]!;
    const refund = await admin.post(`/api/admin/orders/${orderNo}/refunds`, { amountFen: 1, reason: '差价' });
    expect(refund.status).toBe(201);
    await refundNotified(h, refund.body.outRefundNo);

    const res = await admin.get(`/api/admin/orders/${orderNo}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      orderNo,
      status: 'PARTIALLY_REFUNDED',
      refundedFen: 1,
      openid: alice.openid,
      paidAfterClose: false,
    });
    expect(res.body.refunds).toEqual([
      expect.objectContaining({ outRefundNo: refund.body.outRefundNo, amountFen: 1, status: 'SUCCESS' }),
    ]);
    expect(adminOrderSchema.safeParse(res.body).success).toBe(true);
    const types: string[] = res.body.events.map((e: { type: string }) => e.type);
    for (const t of [
      'ORDER_CREATED',
      'PREPAY_CREATED',
      'NOTIFY_RECEIVED',
      'PAYMENT_SETTLED',
      'REFUND_REQUESTED',
      'REFUND_RESULT',
      'REFUND_NOTIFY_RECEIVED',
      'REFUND_SETTLED',
    ]) {
      expect(types, t).toContain(t);
    }
    expect(types[0]).toBe('ORDER_CREATED');
    expect(types.indexOf('PAYMENT_SETTLED')).toBeLessThan(types.indexOf('REFUND_REQUESTED'));
    expect(types.indexOf('REFUND_REQUESTED')).toBeLessThan(types.indexOf('REFUND_SETTLED'));
    const ids = res.body.events.map((e: { id: string }) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ids);

    const text = JSON.stringify(res.body);
    const c = h.sandbox.credentials;
    for (const secret of [c.apiV3Key, c.appsecret, c.merchantPrivateKeyPem.split('\n')[1]!])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/ciphertext|paySign|signature/i);

    expect((await admin.get('/api/admin/orders/NOSUCHORDER1')).status).toBe(404);
    expect((await admin.get('/api/admin/orders/bad%20no')).status).toBe(404);
  });

  it('exports the orders as a streamed CSV with a UTF-8 BOM, fen and yuan columns, and formula cells defused', async () => {
    const sku = (await skus(h))[0]!;
    const tricky = await alice.post(
      '/api/orders',
      { items: [{ skuId: sku.id, quantity: 1 }], address: TEST_ADDRESS, remark: '=HYPERLINK("http://evil","点我"),x' },
      { 'idempotency-key': randomUUID() },
    );
    expect(tricky.status).toBeLessThan(300);
    // enough orders for several pages of the export's cursor loop (200 a page)
    const user = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: bob.openid } });
    await h.bff.ctx.prisma.order.createMany({
      data: Array.from({ length: 450 }, (_, i) => ({
        orderNo: `BULK${String(i).padStart(6, '0')}`,
        userId: user.id,
        totalFen: 1230 + i,
        expiresAt: new Date(Date.now() + 3600_000),
        createdAt: new Date(Date.now() - 86_400_000 - i * 1000),
        remark: i === 0 ? '+cmd|/C calc' : i === 1 ? '-2+3' : i === 2 ? '@SUM(A1)' : null,
      })),
    });

    const res = await fetch(`${h.bff.url}/api/admin/orders.csv`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="orders-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-length')).toBeNull();
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.subarray(3).toString('utf8').split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toContain('orderNo 订单号');
    expect(lines).toHaveLength(1 + 5 + 450);
    const bulk = lines.find((l) => l.startsWith('"BULK000005",'))!;
    expect(bulk).toContain(',"1235","12.35","0","0.00",');
    // times and the file's date read as the shop's day (Beijing time), not UTC
    const bulkCreated = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: 'BULK000005' } });
    expect(bulk).toContain(`,"${toRfc3339Beijing(bulkCreated.createdAt)}",`);
    expect(lines[0]).toContain('createdAt 下单时间(北京时间)');
    expect(res.headers.get('content-disposition')).toContain(`orders-${shanghaiDate(new Date())}.csv`);
    expect(lines.find((l) => l.startsWith('"BULK000000",'))).toContain(`,"'+cmd|/C calc`);
    expect(lines.find((l) => l.startsWith('"BULK000001",'))).toContain(`,"'-2+3`);
    expect(lines.find((l) => l.startsWith('"BULK000002",'))).toContain(`,"'@SUM(A1)`);
    const trickyLine = lines.find((l) => l.startsWith(`"${tricky.body.orderNo}",`))!;
    expect(trickyLine).toContain(`"'=HYPERLINK(""http://evil"",""点我""),x"`);
    expect(trickyLine).toContain('待支付');
    const bad = await fetch(`${h.bff.url}/api/admin/orders.csv?status=SHIPPED`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    // the same filters as the list
    const filtered = await fetch(`${h.bff.url}/api/admin/orders.csv?status=PAID&q=${alice.openid}`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    const filteredLines = (await filtered.text()).split('\r\n').filter(Boolean);
    expect(filteredLines.slice(1).map((l) => l.split(',')[0])).toEqual([`"${alicePaid[1]}"`]);
  });
});
