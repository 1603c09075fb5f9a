/**
 * The typed surface of WeChat Pay APIv3 that uni-checkout uses (JSAPI 下单, 查询订单, 关闭订单,
 * 申请退款, 查询单笔退款, 申请交易账单, 支付/退款通知). Field names are WeChat's own.
 * The implementation (wechatpay.ts) wraps wechatpay-axios-plugin; nothing here does crypto.
 */
import type { RequestPaymentParams } from '@uni-checkout/shared';
import type { WechatpayKeyMode } from './wechatpay-keys.js';

export interface JsapiPrepayRequest {
  outTradeNo: string;
  description: string;
  /** RFC 3339 with +08:00 */
  timeExpire: string;
  notifyUrl: string;
  amountFen: number;
  payerOpenid: string;
  attach?: string;
}

export type TradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

/** The transaction body WeChat returns from a query and inside a TRANSACTION.SUCCESS notification. */
export interface Transaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_type?: string;
  trade_state: TradeState;
  trade_state_desc?: string;
  bank_type?: string;
  attach?: string;
  success_time?: string;
  payer?: { openid: string };
  amount?: { total: number; payer_total?: number; currency?: string; payer_currency?: string };
}

export interface RefundRequest {
  outTradeNo: string;
  outRefundNo: string;
  reason?: string;
  notifyUrl: string;
  refundFen: number;
  totalFen: number;
}

export type RefundStatusAtWechat = 'SUCCESS' | 'CLOSED' | 'PROCESSING' | 'ABNORMAL';

export interface RefundResult {
  refund_id: string;
  out_refund_no: string;
  transaction_id: string;
  out_trade_no: string;
  status: RefundStatusAtWechat;
  success_time?: string;
  create_time?: string;
  amount: { total: number; refund: number; payer_total?: number; payer_refund?: number; currency?: string };
}

/** The decrypted resource of a refund notification (REFUND.SUCCESS / ABNORMAL / CLOSED). */
export interface RefundNotificationResource {
  mchid: string;
  out_trade_no: string;
  transaction_id: string;
  out_refund_no: string;
  refund_id: string;
  refund_status: RefundStatusAtWechat;
  success_time?: string;
  amount: { total: number; refund: number; payer_total: number; payer_refund: number };
}

export interface VerifiedNotification<T> {
  id: string;
  createTime: string;
  eventType: string;
  summary: string;
  resource: T;
}

/** The params `uni.requestPayment` takes (小程序调起支付), signed with the merchant key. */

/** A WeChat Pay error answer (4xx/5xx with `{ code, message }`) or a transport failure. */
export class WechatPayError extends Error {
  override name = 'WechatPayError';
  constructor(
    /** WeChat's error code (ORDERPAID, ORDER_NOT_EXIST, NOT_ENOUGH, …), or NETWORK / TIMEOUT / BAD_SIGNATURE */
    readonly code: string,
    /** HTTP status, 0 for transport failures */
    readonly status: number,
    message: string,
    /** true when the same call may succeed later (5xx, 429, network, timeout) */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** A failure of a WeChat Pay call as a WechatPayError (anything unforeseen is UNKNOWN, retryable). */
export function asWechatPayError(err: unknown): WechatPayError {
  return err instanceof WechatPayError ? err : new WechatPayError('UNKNOWN', 0, String(err), true);
}

/** Header names WeChat Pay signs notifications with (all lower-case, as Node gives them). */
export interface NotificationHeaders {
  'wechatpay-timestamp'?: string;
  'wechatpay-nonce'?: string;
  'wechatpay-signature'?: string;
  'wechatpay-serial'?: string;
  'wechatpay-signature-type'?: string;
}

export interface WechatPayClient {
  jsapiPrepay(req: JsapiPrepayRequest): Promise<{ prepayId: string }>;
  /** signs `appId\ntimeStamp\nnonceStr\npackage\n` with the merchant private key */
  requestPaymentParams(prepayId: string): RequestPaymentParams;
  queryByOutTradeNo(outTradeNo: string): Promise<Transaction>;
  /** 204 → resolves; ORDERPAID etc. → WechatPayError */
  close(outTradeNo: string): Promise<void>;
  createRefund(req: RefundRequest): Promise<RefundResult>;
  queryRefund(outRefundNo: string): Promise<RefundResult>;
  /** downloads and verifies (SHA1) the trade bill of a day (YYYY-MM-DD); null when WeChat has none */
  downloadTradeBill(billDate: string): Promise<{ csv: string; sha1: string } | null>;
  /**
   * Verifies the signature with the key `Wechatpay-Serial` names (a configured public key or a
   * downloaded, valid platform certificate; timestamp within 5 min)
   * over the raw body, then decrypts the AES-256-GCM resource with the APIv3 key.
   * Throws WechatPayError code 'BAD_SIGNATURE' | 'UNKNOWN_SERIAL' | 'STALE_TIMESTAMP' | 'BAD_RESOURCE'.
   */
  verifyNotification<T>(headers: NotificationHeaders, rawBody: Buffer): Promise<VerifiedNotification<T>>;
  /** How WeChat Pay signs for this merchant (public key, platform certificates, or both). */
  readonly keyMode: WechatpayKeyMode;
  /** Loads (and in certificate modes downloads) the keys, then refreshes them on a schedule. */
  start(): Promise<void>;
  stop(): void;
  describeKeys(): { mode: WechatpayKeyMode; publicKeyIds: string[]; certificateSerials: string[] };
}
