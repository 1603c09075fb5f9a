import { beforeAll, describe, expect, it } from 'vitest';
import { shanghaiDate } from '@uni-checkout/shared';
import { runDailyReconciliation, yesterdayInShanghai } from '../../src/reconciliation/daily.js';
import { parseTradeBill } from '../../src/reconciliation/bill.js';
import { useHarness, type ApiClient } from '../support/harness.js';
import { paidOrder, placeOrder, refundNotified } from '../refunds/paid-order.js';

describe('reconciliation against the trade bill', { timeout: 30_000 }, () => {
  const h = useHarness();
  let admin: ApiClient;
  const today = shanghaiDate(new Date());
  let cleanRunId: string;
  beforeAll(async () => {
    admin = await h.admin();
  });

  it('a clean day finds no difference', async () => {
    await paidOrder(h);
    const refunded = await paidOrder(h, undefined, { sku: 1, quantity: 2 });
    const refund = await admin.post(`/api/admin/orders/${refunded.orderNo}/refunds`, { amountFen: 5, reason: '对账' });
    await refundNotified(h, refund.body.outRefundNo);

    const res = await admin.post('/api/admin/reconciliations', { billDate: today });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      billDate: today,
      status: 'DONE',
      diffCount: 0,
      localCount: 2,
      remoteCount: 3,
      error: null,
      startedBy: 'admin:admin',
    });
    expect(res.body.billSha1).toMatch(/^[0-9a-f]{40}$/);
    cleanRunId = res.body.id;
    const detail = await admin.get(`/api/admin/reconciliations/${cleanRunId}`);
    expect(detail.body.diffs).toEqual([]);
  });

  it('finds the differences injected in the bill, missing here, missing there, and states that differ', async () => {
    const overcharged = await paidOrder(h);
    h.sandbox.overrideBillAmount(overcharged.orderNo, overcharged.totalFen + 100);
    h.sandbox.injectBillOnlyTransaction({ outTradeNo: 'GHOSTORDER0001', totalFen: 888 });

    // paid at WeChat, but the notification was lost and nobody queried: unpaid here
    const shopper = await h.shopper();
    const unsynced = await placeOrder(h, shopper, { sku: 2 });
    const pay = await shopper.post(`/api/orders/${unsynced.orderNo}/pay`);
    h.sandbox.faults.set({ dropNotifications: 1 });
    const dropped = h.sandbox.waitForNotification((n) => n.outTradeNo === unsynced.orderNo && n.state === 'dropped');
    expect(h.sandbox.pay({ ...pay.body, openid: shopper.openid }).result).toBe('SUCCESS');
    await dropped;

    // paid here (say, written by hand), unknown to WeChat
    const user = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: shopper.openid } });
    await h.bff.ctx.prisma.order.create({
      data: {
        orderNo: 'LOCALONLY0001',
        userId: user.id,
        status: 'PAID',
        totalFen: 321,
        expiresAt: new Date(),
        paidAt: new Date(),
        transactionId: '4200000000000000000000000001',
      },
    });

    const res = await admin.post('/api/admin/reconciliations', { billDate: today });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'DONE', diffCount: 4 });
    const detail = await admin.get(`/api/admin/reconciliations/${res.body.id}`);
    const diffs = detail.body.diffs.map((d: { orderNo: string; kind: string }) => [d.orderNo, d.kind]);
    expect(diffs).toEqual(
      [
        [overcharged.orderNo, 'AMOUNT_MISMATCH'],
        ['GHOSTORDER0001', 'MISSING_LOCAL'],
        ['LOCALONLY0001', 'MISSING_REMOTE'],
        [unsynced.orderNo, 'STATE_MISMATCH'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    const amount = detail.body.diffs.find((d: { kind: string }) => d.kind === 'AMOUNT_MISMATCH');
    expect(amount.local.totalFen).toBe(overcharged.totalFen);
    expect(amount.remote.totalFen).toBe(overcharged.totalFen + 100);

    // each local order concerned carries the difference in its trail
    const order = await admin.get(`/api/admin/orders/${overcharged.orderNo}`);
    const diffEvents = order.body.events.filter((e: { type: string }) => e.type === 'RECONCILIATION_DIFF');
    expect(diffEvents).toHaveLength(1);
    expect(diffEvents[0].payload).toMatchObject({ runId: res.body.id, kind: 'AMOUNT_MISMATCH', billDate: today });

    const runs = await admin.get('/api/admin/reconciliations');
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual([res.body.id, cleanRunId]);
  });

  it('rejects a bad or future bill date, and an unknown run', async () => {
    for (const billDate of ['2026-13-01', '20260101', '2026-02-30', '2999-01-01']) {
      const res = await admin.post('/api/admin/reconciliations', { billDate });
      expect(res.status, billDate).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await admin.get('/api/admin/reconciliations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await admin.get('/api/admin/reconciliations/nope')).status).toBe(404);
  });

  it('the daily run reconciles yesterday once, however many processes try at once', async () => {
    const other = await h.startAnotherBff();
    const results = await Promise.all([
      runDailyReconciliation(h.bff.ctx, { ignoreReadyHour: true }),
      runDailyReconciliation(other.ctx, { ignoreReadyHour: true }),
      runDailyReconciliation(h.bff.ctx, { ignoreReadyHour: true }),
      runDailyReconciliation(other.ctx, { ignoreReadyHour: true }),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await runDailyReconciliation(other.ctx, { ignoreReadyHour: true })).toBeNull();
    const runs = await h.bff.ctx.prisma.reconciliationRun.findMany({ where: { startedBy: 'daily' } });
    expect(runs).toHaveLength(1);
    // no trade yesterday: WeChat has no bill, and nothing was paid here either
    expect(runs[0]).toMatchObject({
      billDate: yesterdayInShanghai(new Date()),
      status: 'DONE',
      diffCount: 0,
      billSha1: null,
    });
  });
});

describe('parseTradeBill', { timeout: 30_000 }, () => {
  it("reads WeChat's layout: backtick fields, commas inside a field, refund rows, the summary", () => {
    const csv = [
      '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注',
      '`2026-01-02 10:00:00,`wx0000000000000001,`1900000001,`0,`,`4200000001,`ORDER0001,`oA,`JSAPI,`SUCCESS,`OTHERS,`CNY,`12.30,`0.00,`0,`0,`0.00,`0.00,`,`,`T恤, 白色,`,`0.07380,`0.60%,`12.30,`0.00,`',
      '`2026-01-02 11:00:00,`wx0000000000000001,`1900000001,`0,`,`4200000001,`ORDER0001,`oA,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300001,`RF0001,`1.05,`0.00,`ORIGINAL,`SUCCESS,`T恤, 白色,`,`-0.00630,`0.60%,`12.30,`1.05,`',
      '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
      '`2,`12.30,`1.05,`0.00,`0.06750,`24.60,`1.05',
      '',
    ].join('\r\n');
    const bill = parseTradeBill(csv);
    expect(bill.payments).toEqual([
      {
        kind: 'payment',
        tradeTime: '2026-01-02 10:00:00',
        transactionId: '4200000001',
        outTradeNo: 'ORDER0001',
        openid: 'oA',
        tradeState: 'SUCCESS',
        totalFen: 1230,
      },
    ]);
    expect(bill.refunds).toEqual([
      {
        kind: 'refund',
        tradeTime: '2026-01-02 11:00:00',
        transactionId: '4200000001',
        outTradeNo: 'ORDER0001',
        refundId: '50300001',
        outRefundNo: 'RF0001',
        refundFen: 105,
        refundStatus: 'SUCCESS',
      },
    ]);
    expect(bill.summary['总交易单数']).toBe('2');
    expect(() => parseTradeBill('a,b,c\r\n1,2,3')).toThrow(/not a WeChat Pay trade bill/);
  });
});
