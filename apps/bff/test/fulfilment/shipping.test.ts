/**
 * From paid to received over real HTTP: the BFF (PostgreSQL, and PGlite for the main path) ships,
 * reports the shipping info to WeChat (the sandbox, as strict as WeChat), retries what fails,
 * and believes a receipt only once WeChat's get_order says so.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminOrderSchema, orderSchema } from '@uni-checkout/shared';
import { runFulfilmentJobs } from '../../src/fulfilment/index.js';
import { useHarness, type ApiClient, type Harness } from '../support/harness.js';
import { eventsOf, TEST_ADDRESS } from '../support/shop.js';
import { paidOrder, placeOrder, refundNotified } from '../refunds/paid-order.js';

const SF = { logisticsType: 'EXPRESS', expressCompany: 'SF', trackingNo: 'SF1234567890123' } as const;

function shippingAt(h: Harness, orderNo: string) {
  const view = h.sandbox.state.shipping().find((s) => s.out_trade_no === orderNo);
  if (!view) throw new Error(`the sandbox has no paid transaction ${orderNo}`);
  return view;
}

const issuedTokens = (h: Harness) => h.sandbox.state.stableTokenCalls().filter((c) => c.outcome === 'issued').length;

/** order → pay → ship → upload → confirm in WeChat → RECEIVED */
async function mainPath(h: Harness) {
  const admin = await h.admin();
  const paid = await paidOrder(h);
  const before = await paid.shopper.get(`/api/orders/${paid.orderNo}`);
  expect([before.body.fulfilmentStatus, before.body.shipment, before.body.address]).toEqual([
    'UNSHIPPED',
    null,
    { ...TEST_ADDRESS },
  ]);
  expect(shippingAt(h, paid.orderNo)).toMatchObject({ order_state: 1, funds: 'frozen' });

  const shipped = await admin.post(`/api/admin/orders/${paid.orderNo}/ship`, SF);
  expect(shipped.status).toBe(201);
  const view = adminOrderSchema.parse(shipped.body);
  expect(view.fulfilmentStatus).toBe('SHIPPED');
  expect(view.shipment).toMatchObject({
    logisticsType: 'EXPRESS',
    expressCompany: 'SF',
    expressCompanyName: '顺丰速运',
    trackingNo: SF.trackingNo,
    receivedAt: null,
    upload: { state: 'UPLOADED', attempts: 1, lastErrcode: null },
  });
  expect(view.shipment!.itemDesc).toMatch(/×1$/);

  // the sandbox holds the upload with every field as WeChat wants it
  const atWechat = shippingAt(h, paid.orderNo);
  expect(atWechat).toMatchObject({ order_state: 2, funds: 'frozen', uploads: 1 });
  const upload = atWechat.last_upload!;
  expect(upload).toMatchObject({ logistics_type: 1, delivery_mode: 1, order_number_type: 1 });
  expect(upload.upload_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
  expect(upload.shipping_list).toEqual([
    {
      tracking_no: SF.trackingNo,
      express_company: 'SF',
      item_desc: view.shipment!.itemDesc,
      contact: { receiver_contact: '138****1234' },
    },
  ]);

  // not confirmed in WeChat yet: the shopper's word alone changes nothing
  const early = await paid.shopper.post(`/api/orders/${paid.orderNo}/confirm-receipt`);
  expect([early.status, early.body.error.code]).toEqual([409, 'RECEIPT_NOT_CONFIRMED']);
  const listed = await paid.shopper.get('/api/orders?fulfilmentStatus=SHIPPED');
  expect(listed.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([paid.orderNo]);
  // the shopper reads the company's name from WeChat's list, not its code
  const seen = orderSchema.parse((await paid.shopper.get(`/api/orders/${paid.orderNo}`)).body);
  expect([seen.shipment!.expressCompany, seen.shipment!.expressCompanyName]).toEqual(['SF', '顺丰速运']);

  // the shopper confirms in WeChat's component (the sandbox), then the app asks the BFF
  h.sandbox.confirmReceipt(paid.orderNo);
  const received = await paid.shopper.post(`/api/orders/${paid.orderNo}/confirm-receipt`);
  expect(received.status).toBe(200);
  const order = orderSchema.parse(received.body);
  expect(order.fulfilmentStatus).toBe('RECEIVED');
  expect(order.shipment!.receivedAt).not.toBeNull();
  // again: the same answer, nothing new
  const again = await paid.shopper.post(`/api/orders/${paid.orderNo}/confirm-receipt`);
  expect([again.status, again.body.fulfilmentStatus]).toEqual([200, 'RECEIVED']);

  const types = (await eventsOf(h, paid.orderNo)).map((e) => e.type);
  expect(types).toEqual(
    expect.arrayContaining([
      'SHIPPED',
      'SHIPPING_UPLOAD_SENT',
      'SHIPPING_UPLOADED',
      'SHIPPING_ORDER_QUERIED',
      'RECEIVED',
    ]),
  );
  expect(types.filter((t) => t === 'RECEIVED')).toHaveLength(1);
  const row = await h.bff.ctx.prisma.shipment.findFirstOrThrow({ where: { order: { orderNo: paid.orderNo } } });
  expect(row.receivedVia).toBe('WECHAT');
  return paid;
}

describe('fulfilment over real HTTP (PostgreSQL)', () => {
  const h = useHarness({ env: { SHIPPING_RETRY_BASE_MS: '2000' } });
  let admin: ApiClient;
  beforeAll(async () => {
    admin = await h.admin();
  });

  it('order with address → pay → ship → the sandbox holds the upload → confirm in WeChat → RECEIVED', async () => {
    await mainPath(h);
  }, 60_000);

  it('lists WeChat delivery companies and counts orders waiting to ship', async () => {
    const companies = await admin.get('/api/admin/delivery-companies');
    expect(companies.status).toBe(200);
    expect(companies.body.items).toEqual(expect.arrayContaining([{ id: 'SF', name: '顺丰速运' }]));
    const paid = await paidOrder(h);
    const summary = await admin.get('/api/admin/fulfilment/summary');
    expect(summary.body.toShip).toBeGreaterThanOrEqual(1);
    const toShip = await admin.get('/api/admin/orders?fulfilmentStatus=UNSHIPPED&limit=100');
    const listed = toShip.body.items as { orderNo: string; status: string }[];
    expect(listed.map((o) => o.orderNo)).toContain(paid.orderNo);
    expect(listed.every((o) => o.status === 'PAID' || o.status === 'PARTIALLY_REFUNDED')).toBe(true);
    expect((await h.anonymous.get('/api/admin/delivery-companies')).status).toBe(401);
  });

  it('refuses bad ship input with a clear 400 and ships nothing', async () => {
    const paid = await paidOrder(h);
    const cases: [unknown, string][] = [
      [{ logisticsType: 'EXPRESS', expressCompany: 'SF' }, 'trackingNo'],
      [{ logisticsType: 'EXPRESS', trackingNo: 'SF1' }, 'expressCompany'],
      [{ logisticsType: 'EXPRESS', expressCompany: 'NOPE', trackingNo: 'X1' }, 'expressCompany'],
      [{ logisticsType: 'EXPRESS', expressCompany: 'SF', trackingNo: '运单 1' }, 'trackingNo'],
      [{ logisticsType: 'PLANE' }, 'logisticsType'],
      [{ logisticsType: 'VIRTUAL', itemDesc: 'x'.repeat(121) }, 'itemDesc'],
      [{ ...SF, priceFen: 1 }, ''],
      [{}, 'logisticsType'],
    ];
    for (const [body, field] of cases) {
      const res = await admin.post(`/api/admin/orders/${paid.orderNo}/ship`, body);
      expect([res.status, res.body.error.code], JSON.stringify(body)).toEqual([400, 'VALIDATION_FAILED']);
      if (field) expect(res.body.error.message).toMatch(new RegExp(`^${field}: `));
    }
    // an unpaid order, and one refunded in full, do not ship
    const unpaid = await placeOrder(h, paid.shopper);
    const notPaid = await admin.post(`/api/admin/orders/${unpaid.orderNo}/ship`, SF);
    expect([notPaid.status, notPaid.body.error.code]).toEqual([409, 'ORDER_NOT_SHIPPABLE']);
    const refunded = await paidOrder(h);
    const refund = await admin.post(`/api/admin/orders/${refunded.orderNo}/refunds`, {
      amountFen: refunded.totalFen,
      reason: '缺货',
    });
    expect(refund.status).toBeLessThan(300);
    await refundNotified(h, refund.body.outRefundNo);
    const gone = await admin.post(`/api/admin/orders/${refunded.orderNo}/ship`, SF);
    expect([gone.status, gone.body.error.code]).toEqual([409, 'ORDER_NOT_SHIPPABLE']);
    expect((await admin.post('/api/admin/orders/NOSUCHORDER1/ship', SF)).status).toBe(404);

    for (const orderNo of [paid.orderNo, unpaid.orderNo, refunded.orderNo]) {
      const row = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo }, include: { shipment: true } });
      expect([row.fulfilmentStatus, row.shipment]).toEqual(['UNSHIPPED', null]);
      expect((await eventsOf(h, orderNo)).map((e) => e.type)).not.toContain('SHIPPED');
    }
    expect(shippingAt(h, paid.orderNo).uploads).toBe(0);
  });

  it('ships an order once: concurrent and repeated calls answer the same shipment, another body is 409', async () => {
    const paid = await paidOrder(h);
    const ship = () => admin.post(`/api/admin/orders/${paid.orderNo}/ship`, SF);
    const answers = await Promise.all([ship(), ship(), ship()]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
    const shipments = answers.map((a) => JSON.stringify({ ...a.body.shipment, upload: undefined }));
    expect(new Set(shipments).size).toBe(1);
    const later = await ship();
    expect([later.status, later.body.shipment.upload.state]).toEqual([200, 'UPLOADED']);
    const other = await admin.post(`/api/admin/orders/${paid.orderNo}/ship`, { ...SF, trackingNo: 'SF999' });
    expect([other.status, other.body.error.code]).toEqual([409, 'SHIPMENT_CONFLICT']);
    expect(shippingAt(h, paid.orderNo).uploads).toBe(1);
    expect(await h.bff.ctx.prisma.shipment.count({ where: { order: { orderNo: paid.orderNo } } })).toBe(1);
    expect((await eventsOf(h, paid.orderNo)).filter((e) => e.type === 'SHIPPING_UPLOAD_SENT')).toHaveLength(1);
  });

  it('retries a failed upload with backoff, from any process, until it lands — once', async () => {
    const paid = await paidOrder(h);
    h.sandbox.faults.set({ failApi: { count: 2, mode: '500', pathPrefix: '/wxa/sec/order/upload_shipping_info' } });
    const shipped = await admin.post(`/api/admin/orders/${paid.orderNo}/ship`, {
      logisticsType: 'SAME_CITY',
      itemDesc: '同城闪送 一盒',
    });
    expect(shipped.status).toBe(201);
    expect(shipped.body.shipment.upload).toMatchObject({ state: 'FAILED', attempts: 1, lastErrcode: -1 });
    const first = await h.bff.ctx.prisma.shipment.findFirstOrThrow({ where: { order: { orderNo: paid.orderNo } } });
    // not due yet: the job leaves it alone
    expect((await runFulfilmentJobs(h.bff.ctx)).uploads.tried).toBe(0);

    // the schedule lives in the database: another process (a restart) picks it up
    const other = await h.startAnotherBff();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const row = await h.bff.ctx.prisma.shipment.findUniqueOrThrow({ where: { id: first.id } });
      if (row.uploadState === 'UPLOADED' || Date.now() > deadline) break;
      // the clock is moved on instead of waited for: the schedule is this column (its backoff is
      // checked below, from what each failure recorded), and a job must find the upload due by it
      if (row.nextUploadAt && row.nextUploadAt.getTime() > Date.now())
        await h.bff.ctx.prisma.shipment.update({ where: { id: first.id }, data: { nextUploadAt: new Date() } });
      await runFulfilmentJobs(other.ctx);
    }
    const landed = await h.bff.ctx.prisma.shipment.findUniqueOrThrow({ where: { id: first.id } });
    expect([landed.uploadState, landed.uploadAttempts, landed.lastErrcode]).toEqual(['UPLOADED', 3, null]);
    const at = shippingAt(h, paid.orderNo);
    expect(at).toMatchObject({ order_state: 2, uploads: 1 });
    expect(at.last_upload!.logistics_type).toBe(2);
    expect(at.last_upload!.shipping_list).toEqual([{ item_desc: '同城闪送 一盒' }]);
    const failures = (await eventsOf(h, paid.orderNo)).filter((e) => e.type === 'SHIPPING_UPLOAD_FAILED');
    expect(failures.map((e) => (e.payload as { errcode: number }).errcode)).toEqual([-1, -1]);
    // the second wait was longer than the first (exponential backoff)
    const waits = failures.map((e) => {
      const p = e.payload as { nextAttemptAt: string };
      return new Date(p.nextAttemptAt).getTime() - e.createdAt.getTime();
    });
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
  }, 60_000);

  it('one stable_token for two BFF processes, refreshed once after it expires', async () => {
    const other = await h.startAnotherBff();
    const otherAdmin = (
      (await await fetch(`${other.url}/api/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'correct-horse-battery' }),
      }).then((r) => r.json())) as { token: string }
    ).token;
    const shipVia = async (url: string, token: string, orderNo: string) =>
      fetch(`${url}/api/admin/orders/${orderNo}/ship`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ logisticsType: 'VIRTUAL' }),
      }).then((r) => r.status);
    const row = await h.bff.ctx.prisma.wechatAccessToken.findFirstOrThrow();
    const before = issuedTokens(h);
    const [a, b] = [await paidOrder(h), await paidOrder(h)];
    // wait for the stored token to expire (the sandbox's 7200 s, scaled), then ship from both
    await sleep(Math.max(0, row.expiresAt.getTime() + 50 - Date.now()));
    const statuses = await Promise.all([
      shipVia(h.bff.url, admin.token!, a.orderNo),
      shipVia(other.url, otherAdmin, b.orderNo),
    ]);
    expect(statuses).toEqual([201, 201]);
    expect(issuedTokens(h)).toBe(before + 1);
    expect(shippingAt(h, a.orderNo).uploads).toBe(1);
    expect(shippingAt(h, b.orderNo).uploads).toBe(1);
  }, 60_000);

  it('the receipt job: a receipt made in WeChat lands here, and AUTO_RECEIVE_DAYS marks the rest', async () => {
    const [inWechat, silent] = [await paidOrder(h), await paidOrder(h)];
    for (const o of [inWechat, silent])
      expect((await admin.post(`/api/admin/orders/${o.orderNo}/ship`, { logisticsType: 'SELF_PICKUP' })).status).toBe(
        201,
      );
    h.sandbox.confirmReceipt(inWechat.orderNo);
    // shipped 11 days ago, WeChat never heard of a receipt
    await h.bff.ctx.prisma.shipment.updateMany({
      where: { order: { orderNo: silent.orderNo } },
      data: { shippedAt: new Date(Date.now() - 11 * 86_400_000) },
    });
    await runFulfilmentJobs(h.bff.ctx);
    const rows = await h.bff.ctx.prisma.order.findMany({
      where: { orderNo: { in: [inWechat.orderNo, silent.orderNo] } },
      include: { shipment: true },
      orderBy: { orderNo: 'asc' },
    });
    const byNo = new Map(rows.map((r) => [r.orderNo, r]));
    expect(byNo.get(inWechat.orderNo)!.fulfilmentStatus).toBe('RECEIVED');
    expect(byNo.get(inWechat.orderNo)!.shipment!.receivedVia).toBe('WECHAT');
    expect(byNo.get(silent.orderNo)!.fulfilmentStatus).toBe('RECEIVED');
    expect(byNo.get(silent.orderNo)!.shipment!.receivedVia).toBe('AUTO');
    // the CSV carries fulfilment too
    const csv = await admin.get(`/api/admin/orders.csv?q=${inWechat.orderNo}`);
    expect(csv.body).toContain('RECEIVED');
    expect(csv.body).toContain('SELF_PICKUP');
  }, 60_000);
});

describe('fulfilment main path on PGlite', () => {
  const h = useHarness({ db: 'pglite' });

  it('order with address → pay → ship → upload → confirm in WeChat → RECEIVED', async () => {
    await mainPath(h);
  }, 90_000);
});
