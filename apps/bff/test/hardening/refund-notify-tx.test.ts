/**
 * A refund notification is kept (dedupe row, event) and applied in one transaction: when the
 * refund's state change fails, nothing of it stays, and WeChat's redelivery is the first one seen.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { postNotification, refundSuccessResource, signedNotification } from '../support/wechat-notify.js';
import { paidOrder, refundNotified } from '../refunds/paid-order.js';

const h = useHarness();

describe('refund notification atomicity', { timeout: 60_000 }, () => {
  it('given the refund update fails once, when WeChat redelivers, then the trail shows one first delivery and one settlement', async () => {
    const admin = await h.admin();
    const order = await paidOrder(h);
    h.sandbox.faults.set({ dropNotifications: 1 });
    const created = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: 'atomic',
    });
    expect(created.status).toBeLessThan(300);
    await refundNotified(h, created.body.outRefundNo, 'dropped');
    const refund = await h.bff.ctx.prisma.refund.findUniqueOrThrow({
      where: { outRefundNo: created.body.outRefundNo },
    });

    // the database refuses the first move of this refund to SUCCESS (a sequence is not rolled back)
    const client = new pg.Client({ connectionString: h.databaseUrl });
    await client.connect();
    await client.query(`CREATE SEQUENCE refund_fail_once`);
    await client.query(`CREATE FUNCTION refund_fail_once() RETURNS trigger AS $$
      BEGIN IF nextval('refund_fail_once') = 1 THEN RAISE EXCEPTION 'refund update refused once'; END IF; RETURN NEW; END
      $$ LANGUAGE plpgsql`);
    await client.query(`CREATE TRIGGER refund_fail_once BEFORE UPDATE ON "Refund" FOR EACH ROW
      WHEN (NEW.status = 'SUCCESS') EXECUTE FUNCTION refund_fail_once()`);
    await client.end();

    const n = signedNotification(h, refundSuccessResource(h, order, refund), {
      id: randomUUID(),
      eventType: 'REFUND.SUCCESS',
    });
    const post = () => postNotification(h.bff.url, n, 'refund');
    expect((await post()).status).toBeGreaterThanOrEqual(500);
    expect((await post()).status).toBe(204);

    const events = await h.bff.ctx.prisma.orderEvent.findMany({
      where: { orderId: refund.orderId },
      orderBy: { id: 'asc' },
    });
    const received = events.filter((e) => e.type === 'REFUND_NOTIFY_RECEIVED');
    expect(received.map((e) => (e.payload as { duplicate: boolean }).duplicate)).toEqual([false]);
    expect(events.filter((e) => e.type === 'REFUND_SETTLED')).toHaveLength(1);
    const row = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { id: refund.orderId } });
    expect(row.refundedFen).toBe(order.totalFen);
  });
});
