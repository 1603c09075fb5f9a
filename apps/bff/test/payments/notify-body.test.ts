import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { paidOrder } from '../refunds/paid-order.js';
import { postNotification, signedNotification } from '../support/wechat-notify.js';

/** What the notify routes answer to bodies WeChat Pay never sends. */
describe('notification bodies the raw parser refuses (PostgreSQL)', () => {
  const h = useHarness({ db: 'postgres' });

  it('answers an oversized body with 413 in the notify shape, logged as a warning rather than a failure to store', async () => {
    for (const path of ['/api/pay/notify/transaction', '/api/pay/notify/refund']) {
      const requestId = `big-${path.split('/').pop()}`;
      const res = await h.anonymous.post(path, JSON.stringify({ padding: 'x'.repeat(100_000) }), {
        'x-request-id': requestId,
      });
      expect([path, res.status, res.body]).toEqual([
        path,
        413,
        {
          code: 'FAIL',
          message: 'notification body is too large',
          error: { code: 'PAYLOAD_TOO_LARGE', message: 'notification body is too large' },
        },
      ]);
      const lines = h.logs.filter((l) => l.reqId === requestId);
      expect(lines.some((l) => l.msg === 'notification body refused before verification')).toBe(true);
      expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    }
  });

  it('refuses a genuinely signed notification whose resource is not a transaction or refund with 400, changing nothing', async () => {
    const before = await h.bff.ctx.prisma.orderEvent.count();
    const resources: unknown[] = [
      [],
      'paid',
      { out_trade_no: 'UC1' },
      { appid: 1, mchid: 2, out_trade_no: 3, trade_state: 4 },
    ];
    for (const resource of resources) {
      const n = signedNotification(h, resource as Record<string, unknown>);
      const res = await postNotification(h.bff.url, n);
      expect([resource, res.status, res.body]).toEqual([
        resource,
        400,
        expect.objectContaining({ code: 'FAIL', error: expect.objectContaining({ code: 'NOTIFICATION_REJECTED' }) }),
      ]);
      const refund = await fetch(`${h.bff.url}/api/pay/notify/refund`, {
        method: 'POST',
        headers: n.headers,
        body: n.body,
      });
      expect([resource, refund.status]).toEqual([resource, 400]);
      expect(await refund.json()).toMatchObject({ code: 'FAIL', error: { code: 'NOTIFICATION_REJECTED' } });
    }
    expect(await h.bff.ctx.prisma.orderEvent.count()).toBe(before);
  });

  it('still settles a genuine notification (the control)', async () => {
    const order = await paidOrder(h);
    const row = await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } });
    expect(row.status).toBe('PAID');
  });
});
