import { beforeAll, describe, expect, it } from 'vitest';
import { runRefundQueries } from '../../src/refunds/refunds.js';
import { useHarness, type ApiClient, type Harness } from '../support/harness.js';
import { paidOrder, placeOrder, refundNotified } from './paid-order.js';

const refundEvents = async (h: Harness, orderNo: string) =>
  (await h.bff.ctx.prisma.orderEvent.findMany({ where: { order: { orderNo } }, orderBy: { id: 'asc' } })).map(
    (e) => e.type,
  );

describe('refunds', { timeout: 30_000 }, () => {
  const h = useHarness();
  let admin: ApiClient;
  beforeAll(async () => {
    admin = await h.admin();
  });

  it('a shopper asks for a refund of a paid order; admins see the request; it is approved when an admin refunds', async () => {
    const order = await paidOrder(h);
    const asked = await order.shopper.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: '尺码不合适' });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({ status: 'REQUESTED', reason: '尺码不合适', orderNo: order.orderNo });

    const again = await order.shopper.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: 'again' });
    expect(again.status).toBe(409);
    const stranger = await h.shopper();
    expect((await stranger.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: 'mine?' })).status).toBe(404);
    expect((await order.shopper.post(`/api/orders/${order.orderNo}/refund-requests`, {})).body.error.code).toBe(
      'VALIDATION_FAILED',
    );

    const queue = await admin.get('/api/admin/refund-requests?status=REQUESTED');
    expect(queue.status).toBe(200);
    expect(queue.body.items.find((r: { orderNo: string }) => r.orderNo === order.orderNo)).toMatchObject({
      reason: '尺码不合适',
      openid: order.shopper.openid,
      totalFen: order.totalFen,
    });
    const detail = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(detail.body.refundRequested).toBe(true);
    expect(detail.body.refundRequests).toHaveLength(1);

    const refund = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: '同意退款',
    });
    expect(refund.status).toBe(201);
    await refundNotified(h, refund.body.outRefundNo);
    const after = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(after.body.refundRequests[0].status).toBe('APPROVED');
    expect(after.body.refundRequested).toBe(false);
  });

  it('counts the requests waiting for an admin: one more per request, one less when it is answered', async () => {
    const before = await admin.get('/api/admin/refund-requests/summary');
    expect(before.status).toBe(200);
    const waiting = before.body.requested as number;
    const waitingInDb = await h.bff.ctx.prisma.refundRequest.count({ where: { status: 'REQUESTED' } });
    expect(waiting).toBe(waitingInDb);

    const order = await paidOrder(h);
    const asked = await order.shopper.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: '不合适' });
    expect((await admin.get('/api/admin/refund-requests/summary')).body).toEqual({ requested: waiting + 1 });
    await admin.post(`/api/admin/refund-requests/${asked.body.id}/reject`, { reason: '已拆封' });
    expect((await admin.get('/api/admin/refund-requests/summary')).body).toEqual({ requested: waiting });

    expect((await order.shopper.get('/api/admin/refund-requests/summary')).status).toBe(403);
    expect((await h.anonymous.get('/api/admin/refund-requests/summary')).status).toBe(401);
  });

  it('an admin may turn a request down; the shopper may then ask again', async () => {
    const order = await paidOrder(h);
    const asked = await order.shopper.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: '不想要了' });
    const rejected = await admin.post(`/api/admin/refund-requests/${asked.body.id}/reject`, {
      reason: '已发货，请走退货流程',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ id: asked.body.id, status: 'REJECTED' });
    expect(rejected.body.decidedAt).not.toBeNull();
    const twice = await admin.post(`/api/admin/refund-requests/${asked.body.id}/reject`, { reason: 'again' });
    expect(twice.status).toBe(409);
    expect(
      (await admin.post('/api/admin/refund-requests/00000000-0000-4000-8000-000000000000/reject', { reason: 'x' }))
        .status,
    ).toBe(404);
    expect((await admin.post(`/api/admin/refund-requests/${asked.body.id}/reject`, {})).status).toBe(400);
    expect(
      (await order.shopper.post(`/api/admin/refund-requests/${asked.body.id}/reject`, { reason: 'x' })).status,
    ).toBe(403);

    const detail = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(detail.body.refundRequested).toBe(false);
    const rejectedEvent = detail.body.events.find((e: { type: string }) => e.type === 'REFUND_REQUEST_REJECTED');
    expect(rejectedEvent.payload).toMatchObject({ reason: '已发货，请走退货流程', by: 'admin' });
    // the shopper reads the answer on their order (and not the admin's name)
    const mine = await order.shopper.get(`/api/orders/${order.orderNo}`);
    expect(mine.body.refundRequested).toBe(false);
    expect(mine.body.refundRequests).toEqual([
      {
        reason: '不想要了',
        status: 'REJECTED',
        createdAt: expect.any(String),
        decidedAt: rejected.body.decidedAt,
        rejectReason: '已发货，请走退货流程',
      },
    ]);
    expect(JSON.stringify(mine.body)).not.toContain('"by"');
    expect(
      (await order.shopper.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: '再申请' })).status,
    ).toBe(201);
  });

  it('refuses a refund request for an unpaid order', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const res = await shopper.post(`/api/orders/${order.orderNo}/refund-requests`, { reason: 'not paid yet' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('REFUND_NOT_ALLOWED');
    const adminRefund = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 1, reason: 'x' });
    expect(adminRefund.status).toBe(409);
    expect(adminRefund.body.error.code).toBe('REFUND_NOT_ALLOWED');
  });

  it('partial refund then full refund: PARTIALLY_REFUNDED then REFUNDED, refundedFen exact, each settled once', async () => {
    const order = await paidOrder(h, undefined, { quantity: 3 });
    const part = Math.floor(order.totalFen / 3);

    const first = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: part,
      reason: '部分退款',
    });
    expect(first.status).toBe(201);
    expect(first.body.outRefundNo).toMatch(/^RF[0-9A-Z]{26}$/);
    expect(['PROCESSING', 'SUCCESS']).toContain(first.body.status);
    await refundNotified(h, first.body.outRefundNo);
    let o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o.status).toBe('PARTIALLY_REFUNDED');
    expect(o.refundedFen).toBe(part);

    const rest = order.totalFen - part;
    const second = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: rest,
      reason: '余款退回',
    });
    expect(second.status).toBe(201);
    await refundNotified(h, second.body.outRefundNo);
    o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o.status).toBe('REFUNDED');
    expect(o.refundedFen).toBe(order.totalFen);

    const detail = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(detail.body.refunds.map((r: { status: string; amountFen: number }) => [r.status, r.amountFen])).toEqual([
      ['SUCCESS', part],
      ['SUCCESS', rest],
    ]);
    expect(detail.body.actions.refund).toBe(false);
    const types = await refundEvents(h, order.orderNo);
    expect(types.filter((t) => t === 'REFUND_SETTLED')).toHaveLength(2);
    expect(types.filter((t) => t === 'REFUND_REQUESTED')).toHaveLength(2);
    expect(types).toContain('REFUND_NOTIFY_RECEIVED');
    // the shopper sees it too
    const mine = await order.shopper.get(`/api/orders/${order.orderNo}`);
    expect(mine.body).toMatchObject({ status: 'REFUNDED', refundedFen: order.totalFen });
  });

  it('refuses an over-refund with 422 REFUND_EXCEEDS_PAID, counting refunds still in progress', async () => {
    const order = await paidOrder(h, undefined, { quantity: 2 });
    const tooMuch = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen + 1,
      reason: 'too much',
    });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error).toMatchObject({
      code: 'REFUND_EXCEEDS_PAID',
      details: { refundableFen: order.totalFen },
    });

    // the notification of this refund is lost: locally it stays PROCESSING and keeps its amount reserved
    h.sandbox.faults.set({ dropNotifications: 1 });
    const half = Math.floor(order.totalFen / 2);
    const inFlight = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: half,
      reason: 'half',
    });
    expect(inFlight.status).toBe(201);
    await refundNotified(h, inFlight.body.outRefundNo, 'dropped');
    expect(
      (await h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo: inFlight.body.outRefundNo } })).status,
    ).toBe('PROCESSING');

    const over = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen - half + 1,
      reason: 'over',
    });
    expect(over.status).toBe(422);
    expect(over.body.error.details.refundableFen).toBe(order.totalFen - half);
    const shown = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(shown.body).toMatchObject({ refundableFen: order.totalFen - half, actions: { refund: true } });
    expect(await h.bff.ctx.prisma.refund.count({ where: { order: { orderNo: order.orderNo } } })).toBe(1);

    for (const bad of [
      { amountFen: 0, reason: 'x' },
      { amountFen: 1.5, reason: 'x' },
      { amountFen: 1 },
      { amountFen: 1, reason: 'x', extra: 1 },
    ]) {
      const res = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await admin.post('/api/admin/orders/NOSUCHORDER1/refunds', { amountFen: 1, reason: 'x' })).status).toBe(
      404,
    );
  });

  it('10 concurrent refunds of one order never exceed what was paid', async () => {
    const order = await paidOrder(h, undefined, { quantity: 4 });
    const each = Math.floor(order.totalFen / 4);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: each, reason: `race ${i}` }),
      ),
    );
    const accepted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 422);
    expect(accepted).toHaveLength(4);
    expect(refused).toHaveLength(6);
    for (const r of refused) expect(r.body.error.code).toBe('REFUND_EXCEEDS_PAID');
    await Promise.all(accepted.map((a) => refundNotified(h, a.body.outRefundNo)));
    const o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o.refundedFen).toBe(each * 4);
    expect(o.refundedFen).toBeLessThanOrEqual(order.totalFen);
    const atWechat = h.sandbox.state.refunds().filter((r) => r.out_trade_no === order.orderNo);
    expect(atWechat.reduce((s, r) => s + (r.amount as { refund: number }).refund, 0)).toBe(each * 4);
  });

  it('duplicate refund notifications, even concurrent, settle once', async () => {
    const order = await paidOrder(h, undefined, { quantity: 2 });
    h.sandbox.faults.set({ duplicateNotifications: 7, duplicateConcurrently: true });
    const refund = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: 'dup',
    });
    expect(refund.status).toBe(201);
    const note = await h.sandbox.waitForNotification(
      (n) => n.outRefundNo === refund.body.outRefundNo && n.attempts.filter((a) => a.status === 204).length === 8,
    );
    expect(note.attempts.every((a) => a.status === 204)).toBe(true);
    const o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o).toMatchObject({ status: 'REFUNDED', refundedFen: order.totalFen });
    const events = await h.bff.ctx.prisma.orderEvent.findMany({ where: { orderId: o.id } });
    expect(events.filter((e) => e.type === 'REFUND_SETTLED')).toHaveLength(1);
    const received = events.filter((e) => e.type === 'REFUND_NOTIFY_RECEIVED');
    expect(received).toHaveLength(8);
    expect(received.filter((e) => (e.payload as { duplicate: boolean }).duplicate)).toHaveLength(7);
    // and /metrics tells the same story
    const metrics = await (await fetch(`${h.bff.url}/metrics`)).text();
    const count = (line: RegExp) => Number(line.exec(metrics)?.[1] ?? NaN);
    expect(count(/^wechatpay_notifications_total\{kind="refund",outcome="duplicate"\} (\d+)$/m)).toBeGreaterThanOrEqual(
      7,
    );
    expect(count(/^refunds_total\{status="SUCCESS",source="notify"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
  });

  it('a dropped refund notification is settled by the refund query job, and by an admin opening the order', async () => {
    const order = await paidOrder(h, undefined, { quantity: 2 });
    const half = Math.floor(order.totalFen / 2);
    h.sandbox.faults.set({ dropNotifications: 2 });
    const byJob = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: half, reason: 'job' });
    const byView = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen - half,
      reason: 'view',
    });
    await refundNotified(h, byJob.body.outRefundNo, 'dropped');
    await refundNotified(h, byView.body.outRefundNo, 'dropped');
    expect((await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } })).refundedFen).toBe(0);

    // the job only looks at refunds old enough: the view one is made to look fresh
    await h.bff.ctx.prisma.refund.update({
      where: { outRefundNo: byView.body.outRefundNo },
      data: { createdAt: new Date(Date.now() + 3600_000) },
    });
    const round = await runRefundQueries(h.bff.ctx, { minAgeMs: 0, throttleMs: 0 });
    expect(round.changed).toBeGreaterThanOrEqual(1);
    expect(
      (await h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo: byJob.body.outRefundNo } })).status,
    ).toBe('SUCCESS');
    expect(
      (await h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo: byView.body.outRefundNo } })).status,
    ).toBe('PROCESSING');
    let o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedFen: half });

    const detail = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(detail.body).toMatchObject({ status: 'REFUNDED', refundedFen: order.totalFen });
    o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o.refundedFen).toBe(order.totalFen);
    // a second round changes nothing more
    expect((await runRefundQueries(h.bff.ctx, { minAgeMs: 0, throttleMs: 0 })).changed).toBe(0);
    const settled = detail.body.events.filter((e: { type: string }) => e.type === 'REFUND_SETTLED');
    expect(settled.map((e: { payload: { source: string } }) => e.payload.source)).toEqual(['query', 'query']);
  });

  it('a refund WeChat never answered stays PENDING and the query job sends it again, never lost', async () => {
    const order = await paidOrder(h);
    h.sandbox.faults.set({ failApi: { count: 1, mode: '500', pathPrefix: '/v3/refund/domestic/refunds' } });
    const res = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: 'retry',
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('PENDING');
    // still reserved: nothing more can be refunded meanwhile
    expect((await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 1, reason: 'x' })).status).toBe(
      422,
    );

    const notified = refundNotified(h, res.body.outRefundNo);
    const round = await runRefundQueries(h.bff.ctx, { minAgeMs: 0, throttleMs: 0, resubmitAfterMs: 0 });
    expect(round.checked).toBe(1);
    await notified;
    const o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o).toMatchObject({ status: 'REFUNDED', refundedFen: order.totalFen });
    expect(h.sandbox.state.refunds().filter((r) => r.out_trade_no === order.orderNo)).toHaveLength(1);
  });

  it('a refund WeChat accepted but whose answer was lost is settled by the query, not sent twice', async () => {
    const order = await paidOrder(h);
    // WeChat takes the refund, but its answer does not verify and its notification is lost
    h.sandbox.faults.set({ corruptResponseSignatures: 1, dropNotifications: 1 });
    const res = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: 'lost answer',
    });
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('PENDING');
    await refundNotified(h, res.body.outRefundNo, 'dropped');

    await runRefundQueries(h.bff.ctx, { minAgeMs: 0, throttleMs: 0, resubmitAfterMs: 0 });
    const refund = await h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo: res.body.outRefundNo } });
    expect(refund.status).toBe('SUCCESS');
    expect(refund.refundId).toMatch(/^\d+$/);
    expect(await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } })).toMatchObject({
      status: 'REFUNDED',
      refundedFen: order.totalFen,
    });
    expect(h.sandbox.state.refunds().filter((r) => r.out_trade_no === order.orderNo)).toHaveLength(1);
  });

  it('REFUND.CLOSED frees the amount; REFUND.ABNORMAL keeps it reserved for the merchant platform', async () => {
    const order = await paidOrder(h, undefined, { quantity: 2 });
    h.sandbox.faults.set({ refundOutcomes: ['CLOSED', 'ABNORMAL'] });
    const refundAll = async (reason: string) => {
      const res = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: order.totalFen, reason });
      expect(res.status).toBe(201);
      await refundNotified(h, res.body.outRefundNo);
      return h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo: res.body.outRefundNo } });
    };
    expect(await refundAll('c')).toMatchObject({ status: 'CLOSED', succeededAt: null });
    expect((await refundAll('a')).status).toBe('ABNORMAL');
    const more = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 1, reason: 'more' });
    expect(more.status).toBe(422);
    const o = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(o).toMatchObject({ status: 'PAID', refundedFen: 0 });
    const failed = await h.bff.ctx.prisma.orderEvent.findMany({
      where: { orderId: o.id, type: 'REFUND_FAILED' },
      orderBy: { id: 'asc' },
    });
    expect(failed.map((e) => (e.payload as { status: string }).status)).toEqual(['CLOSED', 'ABNORMAL']);
  });

  it('a refund WeChat refuses (NOT_ENOUGH) is closed and its amount is refundable again', async () => {
    const order = await paidOrder(h);
    h.sandbox.faults.set({ refundBalanceInsufficient: true });
    const res = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: 'no money',
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('REFUND_BALANCE_INSUFFICIENT');
    const refunds = await h.bff.ctx.prisma.refund.findMany({ where: { order: { orderNo: order.orderNo } } });
    expect(refunds.map((r) => r.status)).toEqual(['CLOSED']);
    h.sandbox.faults.reset();
    const retry = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: 'topped up',
    });
    expect(retry.status).toBe(201);
    await refundNotified(h, retry.body.outRefundNo);
    expect(await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } })).toMatchObject({
      status: 'REFUNDED',
      refundedFen: order.totalFen,
    });
  });

  it('rejects a refund notification that does not verify with 401, changing nothing', async () => {
    const res = await h.anonymous.post('/api/pay/notify/refund', JSON.stringify({ id: 'x', resource: {} }), {
      'wechatpay-serial': h.sandbox.credentials.wechatpayPublicKeyId,
      'wechatpay-timestamp': String(Math.floor(Date.now() / 1000)),
      'wechatpay-nonce': 'abc',
      'wechatpay-signature': 'AAAA',
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('NOTIFICATION_SIGNATURE_INVALID');
  });
});
