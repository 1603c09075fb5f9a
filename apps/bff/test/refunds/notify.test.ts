import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type ApiClient, type Harness } from '../support/harness.js';
import {
  postNotification,
  refundSuccessResource,
  signedNotification,
  type SignedNotification,
} from '../support/wechat-notify.js';
import { paidOrder, refundNotified } from './paid-order.js';

const postRefundNotification = (h: Harness, n: SignedNotification) =>
  postNotification<{ error: { code: string } }>(h.bff.url, n, 'refund');

/** Refund notifications WeChat would never send, signed with the sandbox's WeChat Pay key. */
describe('POST /api/pay/notify/refund', { timeout: 30_000 }, () => {
  let h: Harness;
  let admin: ApiClient;
  let order: { orderNo: string; totalFen: number; transactionId: string };
  let refund: { outRefundNo: string; amountFen: number; refundId: string };

  beforeAll(async () => {
    h = await startHarness();
    admin = await h.admin();
    order = await paidOrder(h);
    // WeChat's own notification of this refund is lost: the refund waits in PROCESSING
    h.sandbox.faults.set({ dropNotifications: 1 });
    const res = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: 'n',
    });
    await refundNotified(h, res.body.outRefundNo, 'dropped');
    const row = await h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo: res.body.outRefundNo } });
    expect(row.status).toBe('PROCESSING');
    refund = { outRefundNo: row.outRefundNo, amountFen: row.amountFen, refundId: row.refundId! };
  }, 60_000);
  afterAll(() => h?.close());

  const resource = (overrides: Record<string, unknown> = {}) => refundSuccessResource(h, order, refund, overrides);
  const state = async () => ({
    refund: (await h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo: refund.outRefundNo } })).status,
    order: await h.bff.ctx.prisma.order.findUniqueOrThrow({
      where: { orderNo: order.orderNo },
      select: { status: true, refundedFen: true },
    }),
  });
  const unchanged = { refund: 'PROCESSING', order: { status: 'PAID', refundedFen: 0 } };

  it('refuses a stale, an unknown-serial or a tampered notification with 401, changing nothing', async () => {
    const stale = signedNotification(h, resource(), {
      eventType: 'REFUND.SUCCESS',
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    const serial = signedNotification(h, resource(), {
      eventType: 'REFUND.SUCCESS',
      serial: 'PUB_KEY_ID_0000000000000000000000000000',
    });
    const tampered = signedNotification(h, resource(), { eventType: 'REFUND.SUCCESS' });
    tampered.body = tampered.body.replace('"REFUND.SUCCESS"', '"REFUND.SUCCESS" ');
    for (const n of [stale, serial, tampered]) {
      const res = await postRefundNotification(h, n);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'FAIL', error: { code: 'NOTIFICATION_SIGNATURE_INVALID' } });
    }
    expect(await state()).toEqual(unchanged);
  });

  it('acknowledges but settles nothing when mchid, order or amount do not match, and keeps the decision in the trail', async () => {
    const wrong = [
      resource({ mchid: '1999999999' }),
      resource({ out_trade_no: 'SOMEOTHERORDER1' }),
      resource({
        amount: {
          total: order.totalFen,
          refund: refund.amountFen + 1,
          payer_total: order.totalFen,
          payer_refund: refund.amountFen + 1,
        },
      }),
    ];
    for (const r of wrong) {
      const res = await postRefundNotification(h, signedNotification(h, r, { eventType: 'REFUND.SUCCESS' }));
      expect(res.status).toBe(204);
    }
    expect(await state()).toEqual(unchanged);
    const events = await h.bff.ctx.prisma.orderEvent.findMany({
      where: { order: { orderNo: order.orderNo }, type: 'REFUND_NOTIFY_RECEIVED' },
    });
    expect(events.map((e) => (e.payload as { decision?: string }).decision)).toEqual([
      'ignored: mchid is not ours',
      'ignored: out_trade_no is not the order of this refund',
      'ignored: amount differs from the refund',
    ]);
  });

  it('acknowledges a notification of a refund this shop never made', async () => {
    const res = await postRefundNotification(
      h,
      signedNotification(h, resource({ out_refund_no: 'RFNOTOURS0000001' }), { eventType: 'REFUND.SUCCESS' }),
    );
    expect(res.status).toBe(204);
    expect(await state()).toEqual(unchanged);
  });

  it('settles on a matching one, once, however often it comes', async () => {
    const n = signedNotification(h, resource(), { eventType: 'REFUND.SUCCESS' });
    const answers = await Promise.all(Array.from({ length: 5 }, () => postRefundNotification(h, n)));
    expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204, 204]);
    expect(await state()).toEqual({ refund: 'SUCCESS', order: { status: 'REFUNDED', refundedFen: order.totalFen } });
    const settled = await h.bff.ctx.prisma.orderEvent.count({
      where: { order: { orderNo: order.orderNo }, type: 'REFUND_SETTLED' },
    });
    expect(settled).toBe(1);
  });
});
