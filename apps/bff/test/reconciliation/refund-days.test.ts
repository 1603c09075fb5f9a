/**
 * Refunds in the trade bill, as WeChat Pay's 交易账单详细说明 describes them
 * (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html): a refund is
 * billed on the day WeChat accepted it (当天发起退款成功的退款单，退款发起成功就会出账), its 交易时间 being
 * that moment, and its 退款状态 is the one it had when the bill was made (出账后退款状态不会更新).
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { shanghaiDate } from '@uni-checkout/shared';
import { parseTradeBill } from '../../src/reconciliation/bill.js';
import { startHarness, type ApiClient, type Harness } from '../support/harness.js';
import { paidOrder, refundNotified } from '../refunds/paid-order.js';

/** WeChat Pay's ALL bill layout (detail header, backtick rows, summary header and row, CRLF). */
const ALL_HEADER =
  '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
const SUMMARY_HEADER = '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额';
const yuan = (fen: number) => (fen / 100).toFixed(2);

type BillRow =
  | { kind: 'payment'; at: string; orderNo: string; transactionId: string; totalFen: number }
  | {
      kind: 'refund';
      at: string;
      orderNo: string;
      transactionId: string;
      totalFen: number;
      refundId: string;
      outRefundNo: string;
      refundFen: number;
      status: string;
    };

function allBill(rows: BillRow[]): { csv: string; sha1: string } {
  const common = (r: BillRow, state: string, settle: number) => [
    r.at,
    'wx0000000000000001',
    '1900000001',
    '0',
    '',
    r.transactionId,
    r.orderNo,
    'oBillShopper',
    'JSAPI',
    state,
    'OTHERS',
    'CNY',
    yuan(settle),
    '0.00',
  ];
  const lines = rows.map((r) =>
    r.kind === 'payment'
      ? [
          ...common(r, 'SUCCESS', r.totalFen),
          '0',
          '0',
          '0.00',
          '0.00',
          '',
          '',
          '商品',
          '',
          '0.00000',
          '0.60%',
          yuan(r.totalFen),
          '0.00',
          '',
        ]
      : [
          ...common(r, 'REFUND', 0),
          r.refundId,
          r.outRefundNo,
          yuan(r.refundFen),
          '0.00',
          'ORIGINAL',
          r.status,
          '商品',
          '',
          '0.00000',
          '0.60%',
          yuan(r.totalFen),
          yuan(r.refundFen),
          '',
        ],
  );
  const sum = (f: (r: BillRow) => number) => yuan(rows.reduce((s, r) => s + f(r), 0));
  const tick = (fields: string[]) => fields.map((f) => `\`${f}`).join(',');
  const csv =
    [
      ALL_HEADER,
      ...lines.map(tick),
      SUMMARY_HEADER,
      tick([
        String(rows.length),
        sum((r) => (r.kind === 'payment' ? r.totalFen : 0)),
        sum((r) => (r.kind === 'refund' ? r.refundFen : 0)),
        '0.00',
        '0.00000',
        sum((r) => r.totalFen),
        sum((r) => (r.kind === 'refund' ? r.refundFen : 0)),
      ]),
    ].join('\r\n') + '\r\n';
  return { csv, sha1: createHash('sha1').update(csv).digest('hex') };
}

/** Shanghai wall-clock time → Date. */
const at = (wall: string) => new Date(`${wall.replace(' ', 'T')}+08:00`);

describe(
  'refunds in the trade bill: billed the day they are accepted, status as of the bill',
  { timeout: 60_000 },
  () => {
    let h: Harness;
    let admin: ApiClient;
    let userId: string;
    let seq = 0;

    beforeAll(async () => {
      // timeScale 1: the sandbox keeps a refund PROCESSING for 3 s before it settles
      h = await startHarness({ timeScale: 1 });
      admin = await h.admin();
      const shopper = await h.shopper();
      userId = (await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: shopper.openid } })).id;
    }, 60_000);
    afterEach(() => {
      vi.restoreAllMocks();
    });
    afterAll(() => h?.close());

    /** Serves these bills (by date) in place of WeChat's; other dates still go to the sandbox. */
    function serveBills(bills: Record<string, { csv: string; sha1: string } | null>) {
      const wechatpay = h.bff.ctx.wechatpay;
      const real = wechatpay.downloadTradeBill.bind(wechatpay);
      vi.spyOn(wechatpay, 'downloadTradeBill').mockImplementation(async (billDate: string) =>
        billDate in bills ? bills[billDate]! : real(billDate),
      );
    }

    /** A paid order and one refund of it, written here as the BFF keeps them. */
    async function localRefund(input: {
      paidAt: Date;
      acceptedAt: Date;
      status: 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';
      succeededAt?: Date;
    }) {
      seq += 1;
      const tag = `${Date.now().toString(36).toUpperCase()}${seq}`;
      const order = await h.bff.ctx.prisma.order.create({
        data: {
          orderNo: `RD${tag}`,
          userId,
          status: input.status === 'SUCCESS' ? 'PARTIALLY_REFUNDED' : 'PAID',
          totalFen: 1000,
          refundedFen: input.status === 'SUCCESS' ? 300 : 0,
          expiresAt: input.paidAt,
          paidAt: input.paidAt,
          transactionId: `4200${tag}`,
        },
      });
      const refund = await h.bff.ctx.prisma.refund.create({
        data: {
          orderId: order.id,
          outRefundNo: `RF${tag}`,
          refundId: `5030${tag}`,
          amountFen: 300,
          reason: '对账',
          status: input.status,
          requestedBy: 'admin:admin',
          createdAt: input.acceptedAt,
          succeededAt: input.succeededAt ?? null,
        },
      });
      const rows = {
        payment: {
          kind: 'payment',
          at: '',
          orderNo: order.orderNo,
          transactionId: order.transactionId!,
          totalFen: 1000,
        } as const,
        refund: (wall: string, status: string): BillRow => ({
          kind: 'refund',
          at: wall,
          orderNo: order.orderNo,
          transactionId: order.transactionId!,
          totalFen: 1000,
          refundId: refund.refundId!,
          outRefundNo: refund.outRefundNo,
          refundFen: 300,
          status,
        }),
      };
      return { order, refund, rows };
    }

    async function run(billDate: string) {
      const res = await admin.post('/api/admin/reconciliations', { billDate });
      expect(res.status).toBe(201);
      const detail = await admin.get(`/api/admin/reconciliations/${res.body.id}`);
      return { run: res.body, diffs: detail.body.diffs as { orderNo: string; kind: string; remote: unknown }[] };
    }

    it('a refund settled the next day is reconciled on the day it was accepted, and is no difference the next day', async () => {
      const { order, rows } = await localRefund({
        paidAt: at('2026-10-10 20:00:00'),
        acceptedAt: at('2026-10-10 23:59:50'),
        status: 'SUCCESS',
        succeededAt: at('2026-10-11 00:00:10'),
      });
      serveBills({
        '2026-10-10': allBill([
          { ...rows.payment, at: '2026-10-10 20:00:00' },
          rows.refund('2026-10-10 23:59:50', 'SUCCESS'),
        ]),
        // nothing paid and no refund accepted on the 11th: WeChat has no bill
        '2026-10-11': null,
      });

      const first = await run('2026-10-10');
      expect(first.run).toMatchObject({ status: 'DONE', diffCount: 0, localCount: 1, remoteCount: 2 });
      expect(first.diffs).toEqual([]);
      const next = await run('2026-10-11');
      expect(next.run).toMatchObject({ status: 'DONE', diffCount: 0, localCount: 0, remoteCount: 0 });

      // had the bill left it out of its accepted day, that is a difference
      serveBills({ '2026-10-10': allBill([{ ...rows.payment, at: '2026-10-10 20:00:00' }]) });
      const missing = await run('2026-10-10');
      expect(missing.diffs.map((d) => [d.orderNo, d.kind])).toEqual([[order.orderNo, 'MISSING_REMOTE']]);
    });

    it("a bill's PROCESSING is no difference with a refund that settled or failed after the bill was made", async () => {
      const settled = await localRefund({
        paidAt: at('2026-10-12 09:00:00'),
        acceptedAt: at('2026-10-12 12:00:00'),
        status: 'SUCCESS',
        succeededAt: at('2026-10-13 10:30:00'),
      });
      const stillOpen = await localRefund({
        paidAt: at('2026-10-12 09:10:00'),
        acceptedAt: at('2026-10-12 13:00:00'),
        status: 'PROCESSING',
      });
      const closedSince = await localRefund({
        paidAt: at('2026-10-12 09:20:00'),
        acceptedAt: at('2026-10-12 14:00:00'),
        status: 'CLOSED',
      });
      serveBills({
        '2026-10-12': allBill([
          { ...settled.rows.payment, at: '2026-10-12 09:00:00' },
          { ...stillOpen.rows.payment, at: '2026-10-12 09:10:00' },
          { ...closedSince.rows.payment, at: '2026-10-12 09:20:00' },
          settled.rows.refund('2026-10-12 12:00:00', 'PROCESSING'),
          stillOpen.rows.refund('2026-10-12 13:00:00', 'PROCESSING'),
          closedSince.rows.refund('2026-10-12 14:00:00', 'PROCESSING'),
        ]),
      });
      const res = await run('2026-10-12');
      expect(res.run).toMatchObject({ status: 'DONE', diffCount: 0, localCount: 3, remoteCount: 6 });
    });

    it('a bill that shows a refund settled while here it is still open or failed is a difference', async () => {
      const lost = await localRefund({
        paidAt: at('2026-10-14 09:00:00'),
        acceptedAt: at('2026-10-14 12:00:00'),
        status: 'PROCESSING',
      });
      const failedHere = await localRefund({
        paidAt: at('2026-10-14 09:10:00'),
        acceptedAt: at('2026-10-14 13:00:00'),
        status: 'ABNORMAL',
      });
      const fine = await localRefund({
        paidAt: at('2026-10-14 09:20:00'),
        acceptedAt: at('2026-10-14 14:00:00'),
        status: 'SUCCESS',
        succeededAt: at('2026-10-14 14:00:03'),
      });
      serveBills({
        '2026-10-14': allBill([
          { ...lost.rows.payment, at: '2026-10-14 09:00:00' },
          { ...failedHere.rows.payment, at: '2026-10-14 09:10:00' },
          { ...fine.rows.payment, at: '2026-10-14 09:20:00' },
          lost.rows.refund('2026-10-14 12:00:00', 'SUCCESS'),
          failedHere.rows.refund('2026-10-14 13:00:00', 'SUCCESS'),
          fine.rows.refund('2026-10-14 14:00:00', 'SUCCESS'),
        ]),
      });
      const res = await run('2026-10-14');
      expect(res.diffs.map((d) => [d.orderNo, d.kind]).sort()).toEqual(
        [
          [lost.order.orderNo, 'STATE_MISMATCH'],
          [failedHere.order.orderNo, 'STATE_MISMATCH'],
        ].sort(),
      );
      expect(res.diffs.find((d) => d.orderNo === lost.order.orderNo)!.remote).toMatchObject({
        outRefundNo: lost.refund.outRefundNo,
        refundStatus: 'SUCCESS',
      });
    });

    it('with the sandbox: a refund still PROCESSING when the bill is made, then settled, reconciles cleanly both times', async () => {
      const today = shanghaiDate(new Date());
      const order = await paidOrder(h);
      const refund = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, { amountFen: 7, reason: '对账' });
      expect(refund.status).toBeLessThan(300);
      const outRefundNo: string = refund.body.outRefundNo;

      // the sandbox holds the refund PROCESSING for 3 s: the bill made now lists it so
      const early = await h.bff.ctx.wechatpay.downloadTradeBill(today);
      const earlyRefund = parseTradeBill(early!.csv).refunds.find((r) => r.outRefundNo === outRefundNo);
      expect(earlyRefund).toMatchObject({ outTradeNo: order.orderNo, refundFen: 7, refundStatus: 'PROCESSING' });
      const before = await run(today);
      expect(before.run).toMatchObject({ status: 'DONE', diffCount: 0 });

      await refundNotified(h, outRefundNo);
      const local = await h.bff.ctx.prisma.refund.findUniqueOrThrow({ where: { outRefundNo } });
      expect(local.status).toBe('SUCCESS');
      const late = await h.bff.ctx.wechatpay.downloadTradeBill(today);
      expect(parseTradeBill(late!.csv).refunds.find((r) => r.outRefundNo === outRefundNo)?.refundStatus).toBe(
        'SUCCESS',
      );
      const after = await run(today);
      expect(after.run).toMatchObject({ status: 'DONE', diffCount: 0 });
      expect(after.diffs).toEqual([]);
    });
  },
);
