/** In-memory records of what happened at "WeChat Pay". */

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND' | 'PAYERROR';

export interface JsapiOrderRequest {
  appid: string;
  mchid: string;
  description: string;
  out_trade_no: string;
  time_expire?: string;
  attach?: string;
  notify_url: string;
  goods_tag?: string;
  support_fapiao?: boolean;
  amount: { total: number; currency: 'CNY' };
  payer: { openid: string };
  detail?: unknown;
  scene_info?: unknown;
  settle_info?: { profit_sharing?: boolean };
}

export interface TransactionRecord {
  request: JsapiOrderRequest;
  /** Canonical JSON of the request: the same out_trade_no must come back with the same parameters. */
  fingerprint: string;
  prepayId: string;
  prepayExpiresAt: number;
  /** time_expire as epoch ms, when given. */
  payDeadline: number | null;
  createdAt: number;
  tradeState: TradeState;
  tradeStateDesc: string;
  transactionId: string | null;
  successTime: string | null;
  successAt: number | null;
  bankType: string | null;
  closedAt: number | null;
  refundedFen: number;
  /** A coupon the payer used (promotion_detail): payer_total = total − couponFen. */
  couponFen?: number;
  /** A row only the bill knows of (reconciliation tests): the merchant never created it. */
  billOnly?: boolean;
}

export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

export interface RefundRecord {
  refundId: string;
  outRefundNo: string;
  outTradeNo: string;
  transactionId: string;
  reason: string | null;
  notifyUrl: string | null;
  fundsAccount: string | null;
  refundFen: number;
  totalFen: number;
  fingerprint: string;
  status: RefundStatus;
  createdAt: number;
  createTime: string;
  successTime: string | null;
  successAt: number | null;
}

export type NotificationState = 'queued' | 'delivering' | 'retrying' | 'delivered' | 'failed' | 'dropped';

export interface NotificationAttempt {
  attempt: number;
  /** "original" or "duplicate #n" */
  copy: string;
  at: string;
  /** ms since the notification was created: shows the retry schedule. */
  offsetMs: number;
  status: number | null;
  answer: string | null;
  error: string | null;
  durationMs: number;
  signatureCorrupted: boolean;
  /** Wechatpay-Serial of this attempt: the public key id or a platform certificate serial. */
  serial: string;
}

/** One signature probe (签名探测): a callback whose signature cannot verify, sent to see it refused. */
export interface SignatureProbeRecord {
  id: string;
  notifyUrl: string;
  at: string;
  serial: string;
  status: number | null;
  answer: string | null;
  error: string | null;
  /** The merchant answered and refused it (any status but 2xx): what WeChat wants to see. No answer is not a refusal. */
  refused: boolean;
}

export interface NotificationRecord {
  id: string;
  eventType: string;
  summary: string;
  notifyUrl: string;
  outTradeNo: string;
  outRefundNo?: string;
  createdAt: number;
  /** The body sent on every attempt. */
  body: string;
  /** The decrypted resource, for tests and the page. */
  resource: Record<string, unknown>;
  state: NotificationState;
  attempts: NotificationAttempt[];
}

export interface LoginCode {
  code: string;
  openid: string;
  unionid: string | null;
  issuedAt: number;
  usedAt: number | null;
}

export class Store {
  readonly transactions = new Map<string, TransactionRecord>();
  readonly transactionsById = new Map<string, TransactionRecord>();
  readonly refunds = new Map<string, RefundRecord>();
  readonly notifications: NotificationRecord[] = [];
  readonly signatureProbes: SignatureProbeRecord[] = [];
  readonly loginCodes = new Map<string, LoginCode>();
  /** Amount overrides in the trade bill, by out_trade_no (reconciliation tests). */
  readonly billAmountOverrides = new Map<string, number>();

  refundsOf(outTradeNo: string): RefundRecord[] {
    return [...this.refunds.values()].filter((r) => r.outTradeNo === outTradeNo);
  }
}
