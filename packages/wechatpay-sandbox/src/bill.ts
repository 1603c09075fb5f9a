import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { Router } from 'express';
import { shanghaiDayStart } from '@uni-checkout/shared';
import type { AppContext, SendSigned } from './app.js';
import { ApiError, paramError } from './errors.js';
import type { RefundRecord, Store, TransactionRecord } from './store.js';
import { beijingDate, beijingDateTime } from './util.js';

/** A download_url is valid for 5 minutes (申请交易账单). */
const DOWNLOAD_TTL_MS = 5 * 60_000;
/** Only bills of the last three months can be requested. */
const MAX_AGE_DAYS = 92;
/** The fee rate the sandbox merchant pays (a common rate for mini-program payments). */
const FEE_RATE = 0.006;

export type BillType = 'ALL' | 'SUCCESS' | 'REFUND';

const COMMON_HEAD = [
  '交易时间',
  '公众账号ID',
  '商户号',
  '特约商户号',
  '设备号',
  '微信订单号',
  '商户订单号',
  '用户标识',
  '交易类型',
  '交易状态',
  '付款银行',
  '货币种类',
  '应结订单金额',
  '代金券金额',
];
/** The refund block both the ALL and the REFUND bill carry, then the columns every bill ends with. */
const REFUND_COLUMNS = ['微信退款单号', '商户退款单号', '退款金额', '充值券退款金额', '退款类型', '退款状态'];
const TAIL_COLUMNS = ['商品名称', '商户数据包', '手续费', '费率', '订单金额'];
const HEADERS: Record<BillType, string[]> = {
  ALL: [...COMMON_HEAD, ...REFUND_COLUMNS, ...TAIL_COLUMNS, '申请退款金额', '费率备注'],
  SUCCESS: [...COMMON_HEAD, ...TAIL_COLUMNS, '费率备注'],
  REFUND: [
    ...COMMON_HEAD,
    '退款申请时间',
    '退款成功时间',
    ...REFUND_COLUMNS,
    ...TAIL_COLUMNS,
    '申请退款金额',
    '费率备注',
  ],
};
const SUMMARY_HEAD = [
  '总交易单数',
  '应结订单总金额',
  '退款总金额',
  '充值券退款总金额',
  '手续费总金额',
  '订单总金额',
  '申请退款总金额',
];

const yuan = (fen: number) => (fen / 100).toFixed(2);
const feeFen = (fen: number) => Math.round(fen * FEE_RATE);
const feeText = (fen: number) => (fen / 100).toFixed(5);
const rateText = `${(FEE_RATE * 100).toFixed(2)}%`;

/** WeChat starts making a day's bill at 09:00 Beijing time the next day (下载账单: 次日9点启动生成前一天的对账单). */
const BILL_MADE_AT_MS = 9 * 3600_000;

/**
 * When the bill of `billDate` (yyyy-MM-dd, a Beijing day) is made: 09:00 Beijing the next day, or
 * `now` for a bill asked for earlier (the sandbox makes today's bill on demand).
 */
export function billMadeAt(billDate: string, now: number = Date.now()): number {
  // Beijing keeps one offset all year: the next day begins 24 hours after this one
  const nextDayBeijing = shanghaiDayStart(billDate).getTime() + 24 * 3600_000;
  return Math.min(now, nextDayBeijing + BILL_MADE_AT_MS);
}

/** 退款状态 as it stood when the bill was made: the bill keeps it, later changes never reach it. */
function refundStatusAt(r: RefundRecord, madeAt: number): string {
  if (r.successAt !== null) return r.successAt <= madeAt ? 'SUCCESS' : 'PROCESSING';
  return r.status;
}

/**
 * The trade bill of one Beijing day in WeChat Pay's CSV layout: header row, detail rows whose
 * every field starts with a backtick (so spreadsheets keep long numbers), then the summary
 * header and the summary row. Lines end with CRLF.
 *
 * Which rows, per WeChat Pay's 交易账单详细说明
 * (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html, also in
 * 下载账单 https://pay.weixin.qq.com/doc/v3/merchant/4012084430):
 * - the payments that succeeded that day;
 * - the refunds *accepted* that day (当天发起退款成功的退款单，退款发起成功就会出账), whatever their
 *   outcome, with 退款状态 as it stood when the bill was made (出账后退款状态不会更新): a refund
 *   still PROCESSING then stays PROCESSING in this bill, and is never listed again on the day
 *   it settles. 交易时间 of a refund row is when the refund was accepted (发起退款成功时间，
 *   注：不是退款成功时间); the REFUND bill also has 退款申请时间 and 退款成功时间 (empty until then).
 */
export function buildTradeBill(
  store: Store,
  billDate: string,
  billType: BillType,
  now: number = Date.now(),
): { text: string; rows: number } {
  const day = billDate.replaceAll('-', '');
  const madeAt = billMadeAt(billDate, now);
  const amountOf = (tx: TransactionRecord) =>
    store.billAmountOverrides.get(tx.request.out_trade_no) ?? tx.request.amount.total;
  const payments = [...store.transactions.values()]
    .filter((t) => t.successAt !== null && beijingDate(t.successAt) === day)
    .sort((a, b) => a.successAt! - b.successAt!);
  // every refund the store holds was accepted by the refund API (申请退款 answered 200)
  const refunds = [...store.refunds.values()]
    .filter((r) => beijingDate(r.createdAt) === day)
    .sort((a, b) => a.createdAt - b.createdAt);

  const common = (tx: TransactionRecord, at: number, state: string, settleFen: number) => [
    beijingDateTime(at),
    tx.request.appid,
    tx.request.mchid,
    '0',
    '',
    tx.transactionId!,
    tx.request.out_trade_no,
    tx.request.payer.openid,
    'JSAPI',
    state,
    tx.bankType ?? 'OTHERS',
    'CNY',
    yuan(settleFen),
    '0.00',
  ];
  const txOf = (r: RefundRecord) =>
    [...store.transactions.values()].find((t) => t.request.out_trade_no === r.outTradeNo)!;

  const lines: string[][] = [];
  let settleTotal = 0;
  let refundTotal = 0;
  let feeTotal = 0;
  let orderTotal = 0;
  let appliedRefundTotal = 0;

  if (billType !== 'REFUND') {
    for (const tx of payments) {
      const fen = amountOf(tx);
      const fee = feeFen(fen);
      settleTotal += fen;
      feeTotal += fee;
      orderTotal += fen;
      const tail = [tx.request.description, tx.request.attach ?? '', feeText(fee), rateText, yuan(fen)];
      lines.push(
        billType === 'ALL'
          ? [...common(tx, tx.successAt!, 'SUCCESS', fen), '0', '0', '0.00', '0.00', '', '', ...tail, '0.00', '']
          : [...common(tx, tx.successAt!, 'SUCCESS', fen), ...tail, ''],
      );
    }
  }
  if (billType !== 'SUCCESS') {
    for (const r of refunds) {
      const tx = txOf(r);
      const fee = -feeFen(r.refundFen);
      refundTotal += r.refundFen;
      appliedRefundTotal += r.refundFen;
      feeTotal += fee;
      orderTotal += tx.request.amount.total;
      const status = refundStatusAt(r, madeAt);
      const refundCols = [r.refundId, r.outRefundNo, yuan(r.refundFen), '0.00', 'ORIGINAL', status];
      const tail = [
        tx.request.description,
        tx.request.attach ?? '',
        feeText(fee),
        rateText,
        yuan(tx.request.amount.total),
        yuan(r.refundFen),
        '',
      ];
      const succeeded = status === 'SUCCESS' ? beijingDateTime(r.successAt!) : '';
      lines.push(
        billType === 'ALL'
          ? [...common(tx, r.createdAt, 'REFUND', 0), ...refundCols, ...tail]
          : [...common(tx, r.createdAt, 'REFUND', 0), beijingDateTime(r.createdAt), succeeded, ...refundCols, ...tail],
      );
    }
  }

  const tick = (row: string[]) => row.map((f) => `\`${f}`).join(',');
  const text =
    [
      HEADERS[billType].join(','),
      ...lines.map(tick),
      SUMMARY_HEAD.join(','),
      tick([
        String(lines.length),
        yuan(settleTotal),
        yuan(refundTotal),
        '0.00',
        feeText(feeTotal),
        yuan(orderTotal),
        yuan(appliedRefundTotal),
      ]),
    ].join('\r\n') + '\r\n';
  return { text, rows: lines.length };
}

interface Download {
  bytes: Buffer;
  gzip: boolean;
  expiresAt: number;
}

export function mountBill(r: Router, ctx: AppContext, send: SendSigned): void {
  const downloads = new Map<string, Download>();

  r.get('/bill/tradebill', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const billDate = q.bill_date;
    if (typeof billDate !== 'string' || billDate === '') {
      throw paramError('缺少参数 bill_date', { location: 'query', field: 'bill_date', issue: '缺少必填字段' });
    }
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(billDate);
    const probe = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    if (!m || !probe || probe.toISOString().slice(0, 10) !== billDate) {
      throw paramError('bill_date 格式错误，应为 yyyy-MM-DD', {
        location: 'query',
        field: 'bill_date',
        value: billDate,
        issue: '格式错误',
      });
    }
    const today = beijingDate();
    const day = billDate.replaceAll('-', '');
    if (day > today)
      throw paramError('bill_date 不能晚于当前日期', {
        location: 'query',
        field: 'bill_date',
        value: billDate,
        issue: '日期在未来',
      });
    if (
      Date.UTC(Number(today.slice(0, 4)), Number(today.slice(4, 6)) - 1, Number(today.slice(6))) - probe.getTime() >
      MAX_AGE_DAYS * 86_400_000
    ) {
      throw paramError('仅支持三个月内的账单下载申请', {
        location: 'query',
        field: 'bill_date',
        value: billDate,
        issue: '超过三个月',
      });
    }
    const billType = (q.bill_type ?? 'ALL') as string;
    if (billType !== 'ALL' && billType !== 'SUCCESS' && billType !== 'REFUND') {
      throw paramError('bill_type 只能是 ALL、SUCCESS 或 REFUND', {
        location: 'query',
        field: 'bill_type',
        value: billType,
        issue: '取值错误',
      });
    }
    const tarType = q.tar_type;
    if (tarType !== undefined && tarType !== 'GZIP') {
      throw paramError('tar_type 只能是 GZIP', {
        location: 'query',
        field: 'tar_type',
        value: String(tarType),
        issue: '取值错误',
      });
    }
    const bill = buildTradeBill(ctx.store, billDate, billType);
    // WeChat has no bill for a day without trades.
    if (bill.rows === 0) throw new ApiError(400, 'NO_STATEMENT_EXIST', '账单文件不存在，当日无交易');
    // The file starts with a UTF-8 BOM, as WeChat's bills do; the hash covers it.
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(bill.text, 'utf8')]);
    const token = randomBytes(24).toString('base64url');
    const now = Date.now();
    for (const [k, d] of downloads) if (d.expiresAt <= now) downloads.delete(k);
    downloads.set(token, { bytes, gzip: tarType === 'GZIP', expiresAt: now + DOWNLOAD_TTL_MS });
    send(res, 200, {
      hash_type: 'SHA1',
      hash_value: createHash('sha1').update(bytes).digest('hex'),
      download_url: `${ctx.baseUrl()}/v3/billdownload/file?token=${token}`,
    });
  });

  // The file itself: a signed request like any API call; the answer is the raw stream, not signed.
  r.get('/billdownload/file', (req, res) => {
    const token = req.query.token;
    const d = typeof token === 'string' ? downloads.get(token) : undefined;
    if (!d || d.expiresAt <= Date.now())
      throw new ApiError(400, 'INVALID_REQUEST', '下载地址无效或已过期，请重新申请账单');
    const body = d.gzip ? gzipSync(d.bytes) : d.bytes;
    res
      .status(200)
      .set('Content-Type', d.gzip ? 'application/x-gzip' : 'text/plain; charset=utf-8')
      .send(body);
  });
}
