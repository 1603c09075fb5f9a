import { parseYuanToFen } from '@uni-checkout/shared';

/**
 * WeChat Pay's trade bill (交易账单, type ALL): a header row, detail rows whose every field starts
 * with a backtick (so Excel keeps long numbers), then a summary header (总交易单数,…) and a summary row.
 * Amounts are in yuan. A payment row has 交易状态 SUCCESS (or REVOKED); a refund row REFUND.
 *
 * Per WeChat Pay's 交易账单详细说明
 * (https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html, repeated in
 * 下载账单 https://pay.weixin.qq.com/doc/v3/merchant/4012084430): a day's bill holds the refunds
 * *accepted* that day (当天发起退款成功的退款单，退款发起成功就会出账), whatever their outcome; its
 * 交易时间 is when the refund was accepted (发起退款成功时间，注：不是退款成功时间), and 退款状态 is the
 * status when the bill was made, never updated afterwards (出账后退款状态不会更新): a refund may show
 * PROCESSING there and have settled since.
 */
export interface BillPayment {
  kind: 'payment';
  tradeTime: string;
  transactionId: string;
  outTradeNo: string;
  openid: string;
  tradeState: string;
  /** 订单金额 (before coupons), fen */
  totalFen: number;
}

export interface BillRefund {
  kind: 'refund';
  tradeTime: string;
  transactionId: string;
  outTradeNo: string;
  refundId: string;
  outRefundNo: string;
  /** 申请退款金额, fen */
  refundFen: number;
  /** 退款状态 when the bill was made (SUCCESS, PROCESSING, …): a snapshot, not the refund's outcome */
  refundStatus: string;
}

export interface TradeBill {
  payments: BillPayment[];
  refunds: BillRefund[];
  summary: Record<string, string>;
}

export class BillFormatError extends Error {
  override name = 'BillFormatError';
}

/** Splits one line on the commas that start a backtick field: a comma inside a field stays in it. */
function fields(line: string): string[] {
  if (!line.startsWith('`')) return line.split(',').map((f) => f.trim());
  return line
    .slice(1)
    .split(/,`/)
    .map((f) => f.trim());
}

function fen(value: string | undefined, column: string, lineNo: number): number {
  if (value === undefined || value === '') return 0;
  try {
    return parseYuanToFen(value);
  } catch {
    throw new BillFormatError(`line ${lineNo}: ${column} is not an amount in yuan: ${JSON.stringify(value)}`);
  }
}

export function parseTradeBill(csv: string): TradeBill {
  const lines = csv
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  const header = lines[0] ? fields(lines[0]) : [];
  for (const required of ['交易时间', '商户订单号', '交易状态']) {
    if (!header.includes(required))
      throw new BillFormatError(`the bill has no ${required} column: not a WeChat Pay trade bill`);
  }
  const col = (row: string[], name: string) => {
    const i = header.indexOf(name);
    return i < 0 ? undefined : row[i];
  };
  const payments: BillPayment[] = [];
  const refunds: BillRefund[] = [];
  let summary: Record<string, string> = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('总交易单数')) {
      const names = fields(line);
      const values = lines[i + 1] ? fields(lines[i + 1]!) : [];
      summary = Object.fromEntries(names.map((n, j) => [n, values[j] ?? '']));
      break;
    }
    const row = fields(line);
    if (row.length < header.length)
      throw new BillFormatError(`line ${i + 1}: ${row.length} fields, the header has ${header.length}`);
    const state = col(row, '交易状态') ?? '';
    const base = {
      tradeTime: col(row, '交易时间') ?? '',
      transactionId: col(row, '微信订单号') ?? '',
      outTradeNo: col(row, '商户订单号') ?? '',
    };
    if (state === 'REFUND') {
      const applied = col(row, '申请退款金额');
      refunds.push({
        kind: 'refund',
        ...base,
        refundId: col(row, '微信退款单号') ?? '',
        outRefundNo: col(row, '商户退款单号') ?? '',
        refundFen: applied ? fen(applied, '申请退款金额', i + 1) : fen(col(row, '退款金额'), '退款金额', i + 1),
        refundStatus: col(row, '退款状态') ?? '',
      });
    } else {
      const total = col(row, '订单金额');
      payments.push({
        kind: 'payment',
        ...base,
        openid: col(row, '用户标识') ?? '',
        tradeState: state,
        totalFen: total ? fen(total, '订单金额', i + 1) : fen(col(row, '应结订单金额'), '应结订单金额', i + 1),
      });
    }
  }
  return { payments, refunds, summary };
}
