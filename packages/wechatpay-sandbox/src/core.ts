import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { buildRequestPaymentSignString, verifySha256Rsa } from './crypto.js';
import type { SandboxIdentity } from './credentials.js';
import { ApiError, fromZod, invalidRequest, paramError } from './errors.js';
import type { Faults } from './faults.js';
import type { Notifier } from './notifier.js';
import { closeOrderSchema, jsapiOrderSchema, payRequestSchema, refundSchema } from './schemas.js';
import type { JsapiOrderRequest, RefundRecord, Store, TransactionRecord } from './store.js';
import { newPrepayId, newRefundId, newTransactionId, parseRfc3339, randomHex, rfc3339Beijing } from './util.js';

/** A prepay_id is valid for two hours (JSAPI下单). */
export const PREPAY_TTL_MS = 2 * 3600_000;
/** A wx.login code is valid for five minutes. */
export const LOGIN_CODE_TTL_MS = 5 * 60_000;
/** Without time_expire an order can be paid for 7 days; the earliest time_expire is one minute after the order (JSAPI下单). */
export const DEFAULT_PAY_WINDOW_MS = 7 * 86_400_000;
export const MIN_PAY_WINDOW_MS = 60_000;
/** A later time_expire is moved to 90 days after the order (JSAPI下单 · time_expire). */
export const MAX_PAY_WINDOW_MS = 90 * 86_400_000;
/** 申请退款: at most 50 partial refunds per order, one per minute, within a year of the payment. */
export const MAX_REFUNDS_PER_ORDER = 50;
export const REFUND_INTERVAL_MS = 60_000;
export const REFUND_PERIOD_MS = 365 * 86_400_000;
/** Default time a refund stays PROCESSING before it settles (scaled by timeScale). */
export const DEFAULT_REFUND_DELAY_MS = 3_000;

const TRADE_STATE_DESC: Record<string, string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  CLOSED: '订单已关闭',
  REFUND: '转入退款',
  PAYERROR: '支付失败，请重新下单支付',
};

export interface CoreOptions {
  identity: SandboxIdentity;
  store: Store;
  faults: Faults;
  notifier: Notifier;
  timeScale: number;
  refundDelayMs: number;
  /** Timers for delayed refunds, cleared on close. */
  timers: Set<NodeJS.Timeout>;
  /** What the merchant configured in the merchant platform. */
  merchant: { refundNotifyUrl: string | null };
}

export class Core {
  constructor(private readonly o: CoreOptions) {}

  /** The merchant platform's settings (商户平台配置), changeable at run time. */
  get merchantSettings(): { refundNotifyUrl: string | null } {
    return this.o.merchant;
  }

  /** Moves a paid transaction's success time back by ms (refund-period tests). */
  backdate(outTradeNo: string, ms: number): void {
    const tx = this.o.store.transactions.get(outTradeNo);
    if (!tx || tx.successAt === null) throw new ApiError(404, 'ORDER_NOT_EXIST', '订单不存在或未支付');
    tx.successAt -= ms;
    tx.createdAt -= ms;
    tx.successTime = rfc3339Beijing(tx.successAt);
  }

  private get creds() {
    return this.o.identity.credentials;
  }

  // ---- JSAPI 下单 -------------------------------------------------------------------------

  createJsapiOrder(body: unknown, authMchid: string): { prepay_id: string } {
    const parsed = parseBody(jsapiOrderSchema, body);
    if (parsed.mchid !== authMchid) throw invalidRequest('请求参数 mchid 与 Authorization 中的商户号不一致');
    if (parsed.mchid !== this.creds.mchid) throw new ApiError(400, 'MCH_NOT_EXISTS', '商户号不存在');
    if (parsed.appid !== this.creds.appid) throw new ApiError(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');
    checkNotifyUrl(parsed.notify_url, '/notify_url');
    let payDeadline: number | null = null;
    if (parsed.time_expire !== undefined) {
      payDeadline = parseRfc3339(parsed.time_expire);
      if (payDeadline === null) {
        throw paramError('time_expire 格式错误，应遵循 rfc3339 标准格式 yyyy-MM-DDTHH:mm:ss+TIMEZONE', {
          location: 'body',
          field: '/time_expire',
          value: parsed.time_expire,
          issue: 'rfc3339',
        });
      }
    }
    const request: JsapiOrderRequest = {
      ...(parsed as Omit<JsapiOrderRequest, 'amount'>),
      amount: { total: parsed.amount.total, currency: 'CNY' },
    };
    const fingerprint = canonical(request);
    const now = Date.now();
    // time_expire is moved, not refused: earlier than one minute after the order → one minute after
    // it; later than 90 days → 90 days; absent → the order can be paid for 7 days (JSAPI下单 · time_expire).
    payDeadline =
      payDeadline === null
        ? now + DEFAULT_PAY_WINDOW_MS
        : Math.min(Math.max(payDeadline, now + MIN_PAY_WINDOW_MS), now + MAX_PAY_WINDOW_MS);
    const existing = this.o.store.transactions.get(request.out_trade_no);
    if (existing) {
      if (existing.tradeState === 'SUCCESS' || existing.tradeState === 'REFUND')
        throw new ApiError(400, 'ORDERPAID', '该订单已支付');
      if (existing.tradeState === 'CLOSED') throw new ApiError(400, 'ORDER_CLOSED', '订单已关闭');
      if (existing.fingerprint !== fingerprint)
        throw new ApiError(403, 'OUT_TRADE_NO_USED', '商户订单号重复，且与原订单参数不一致');
      if (existing.payDeadline !== null && existing.payDeadline <= now)
        throw invalidRequest('订单已超过支付结束时间 time_expire，请使用新的商户订单号下单');
      if (existing.prepayExpiresAt > now) return { prepay_id: existing.prepayId };
      existing.prepayId = newPrepayId(now);
      existing.prepayExpiresAt = now + PREPAY_TTL_MS;
      return { prepay_id: existing.prepayId };
    }
    const tx: TransactionRecord = {
      request,
      fingerprint,
      prepayId: newPrepayId(now),
      prepayExpiresAt: now + PREPAY_TTL_MS,
      payDeadline,
      createdAt: now,
      tradeState: 'NOTPAY',
      tradeStateDesc: TRADE_STATE_DESC.NOTPAY!,
      transactionId: null,
      successTime: null,
      successAt: null,
      bankType: null,
      closedAt: null,
      refundedFen: 0,
    };
    this.o.store.transactions.set(request.out_trade_no, tx);
    return { prepay_id: tx.prepayId };
  }

  // ---- 查询订单 / 关闭订单 -------------------------------------------------------------------

  queryByOutTradeNo(outTradeNo: string, mchid: string | undefined, authMchid: string): Record<string, unknown> {
    this.checkQueryMchid(mchid, authMchid);
    const tx = this.o.store.transactions.get(outTradeNo);
    if (!tx || tx.billOnly) throw new ApiError(404, 'ORDER_NOT_EXIST', '订单不存在');
    return transactionBody(tx);
  }

  queryByTransactionId(transactionId: string, mchid: string | undefined, authMchid: string): Record<string, unknown> {
    this.checkQueryMchid(mchid, authMchid);
    const tx = this.o.store.transactionsById.get(transactionId);
    if (!tx || tx.billOnly) throw new ApiError(404, 'ORDER_NOT_EXIST', '订单不存在');
    return transactionBody(tx);
  }

  closeOrder(outTradeNo: string, body: unknown, authMchid: string): void {
    const parsed = parseBody(closeOrderSchema, body);
    if (parsed.mchid !== authMchid) throw invalidRequest('请求参数 mchid 与 Authorization 中的商户号不一致');
    const tx = this.o.store.transactions.get(outTradeNo);
    // 关闭订单's documents do not say what closing an order WeChat never saw answers. The sandbox
    // answers as 查询订单 does for it (404 ORDER_NOT_EXIST, 订单不存在), which the close API's own
    // error table lists under 404: a merchant must not take "closed" for an order WeChat never had.
    if (!tx || tx.billOnly) throw new ApiError(404, 'ORDER_NOT_EXIST', '订单不存在');
    if (tx.tradeState === 'SUCCESS' || tx.tradeState === 'REFUND') throw new ApiError(400, 'ORDERPAID', '订单已支付');
    if (tx.tradeState === 'CLOSED') return;
    tx.tradeState = 'CLOSED';
    tx.tradeStateDesc = TRADE_STATE_DESC.CLOSED!;
    tx.closedAt = Date.now();
  }

  private checkQueryMchid(mchid: string | undefined, authMchid: string) {
    if (mchid === undefined || mchid === '') {
      throw paramError('缺少参数 mchid', { location: 'query', field: 'mchid', issue: '缺少必填字段' });
    }
    if (mchid !== authMchid) throw invalidRequest('请求参数 mchid 与 Authorization 中的商户号不一致');
  }

  // ---- The shopper pays (WeChat client + WeChat Pay) -----------------------------------------

  /**
   * What happens when the shopper confirms in WeChat: the client checks paySign with the
   * merchant's public key, then WeChat Pay checks the prepay and the payer and settles.
   */
  pay(input: unknown): { result: 'SUCCESS' | 'PAYERROR'; transaction: Record<string, unknown> } {
    const p = payRequestSchema.safeParse(input);
    if (!p.success) {
      const issue = p.error.issues[0];
      throw new ApiError(400, 'PARAM_ERROR', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const req = p.data;
    if (req.appId !== this.creds.appid) throw new ApiError(400, 'APPID_MISMATCH', 'appId 与下单的 appid 不一致');
    const signed = buildRequestPaymentSignString(req.appId, req.timeStamp, req.nonceStr, req.package);
    if (!verifySha256Rsa(signed, req.paySign, this.o.identity.merchantPublicKey)) {
      throw new ApiError(400, 'PAY_SIGN_INVALID', '支付验证签名失败');
    }
    const prepayId = req.package.slice('prepay_id='.length);
    const tx = [...this.o.store.transactions.values()].find((t) => t.prepayId === prepayId && !t.billOnly);
    if (!tx) throw new ApiError(404, 'PREPAY_NOT_FOUND', 'prepay_id 不存在');
    const now = Date.now();
    if (tx.tradeState === 'SUCCESS' || tx.tradeState === 'REFUND') throw new ApiError(400, 'ORDERPAID', '该订单已支付');
    if (tx.tradeState === 'CLOSED') throw new ApiError(400, 'ORDER_CLOSED', '订单已关闭');
    if (tx.prepayExpiresAt <= now) throw new ApiError(400, 'PREPAY_EXPIRED', 'prepay_id 已过期，请重新下单');
    if (tx.payDeadline !== null && tx.payDeadline <= now)
      throw new ApiError(400, 'ORDER_EXPIRED', '订单已超过支付结束时间');
    if (tx.request.payer.openid !== req.openid) throw new ApiError(403, 'OPENID_MISMATCH', '支付用户与下单用户不一致');

    if (req.outcome === 'PAYERROR') {
      tx.tradeState = 'PAYERROR';
      tx.tradeStateDesc = TRADE_STATE_DESC.PAYERROR!;
      return { result: 'PAYERROR', transaction: transactionBody(tx) };
    }
    if (req.couponFen !== undefined) {
      if (req.couponFen >= tx.request.amount.total)
        throw new ApiError(400, 'PARAM_ERROR', 'couponFen 应小于订单金额（用户至少支付 1 分）');
      tx.couponFen = req.couponFen;
    }
    this.settle(tx, now, req.bankType ?? 'OTHERS');
    const resource = transactionBody(tx);
    this.o.notifier.enqueue({
      eventType: 'TRANSACTION.SUCCESS',
      summary: '支付成功',
      originalType: 'transaction',
      notifyUrl: tx.request.notify_url,
      outTradeNo: tx.request.out_trade_no,
      resource,
    });
    return { result: 'SUCCESS', transaction: resource };
  }

  private settle(tx: TransactionRecord, now: number, bankType: string) {
    tx.tradeState = 'SUCCESS';
    tx.tradeStateDesc = TRADE_STATE_DESC.SUCCESS!;
    tx.transactionId = newTransactionId(now);
    tx.successAt = now;
    tx.successTime = rfc3339Beijing(now);
    tx.bankType = bankType;
    this.o.store.transactionsById.set(tx.transactionId, tx);
  }

  /**
   * A paid transaction that the merchant never created (for reconciliation tests): it appears in
   * the trade bill only.
   */
  injectBillOnlyTransaction(input: {
    outTradeNo: string;
    totalFen: number;
    openid?: string;
    at?: number;
  }): Record<string, unknown> {
    const now = input.at ?? Date.now();
    const tx: TransactionRecord = {
      request: {
        appid: this.creds.appid,
        mchid: this.creds.mchid,
        description: '账单差异',
        out_trade_no: input.outTradeNo,
        notify_url: 'https://127.0.0.1/',
        amount: { total: input.totalFen, currency: 'CNY' },
        payer: { openid: input.openid ?? 'oSandboxBillOnly' },
      },
      fingerprint: '',
      prepayId: newPrepayId(now),
      prepayExpiresAt: now,
      payDeadline: null,
      createdAt: now,
      tradeState: 'NOTPAY',
      tradeStateDesc: '',
      transactionId: null,
      successTime: null,
      successAt: null,
      bankType: null,
      closedAt: null,
      refundedFen: 0,
      billOnly: true,
    };
    this.settle(tx, now, 'OTHERS');
    this.o.store.transactions.set(`bill-only:${input.outTradeNo}`, tx);
    return transactionBody(tx);
  }

  // ---- 退款 ---------------------------------------------------------------------------------

  createRefund(body: unknown, authMchid: string): Record<string, unknown> {
    void authMchid;
    const parsed = parseBody(refundSchema, body);
    if (parsed.notify_url !== undefined) checkNotifyUrl(parsed.notify_url, '/notify_url');
    const tx =
      parsed.transaction_id !== undefined
        ? this.o.store.transactionsById.get(parsed.transaction_id)
        : this.o.store.transactions.get(parsed.out_trade_no!);
    if (!tx || tx.billOnly) throw new ApiError(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    if (
      parsed.transaction_id !== undefined &&
      parsed.out_trade_no !== undefined &&
      tx.request.out_trade_no !== parsed.out_trade_no
    ) {
      throw invalidRequest('transaction_id 与 out_trade_no 不属于同一笔订单');
    }
    const fingerprint = canonical({
      tx: tx.request.out_trade_no,
      refund: parsed.amount.refund,
      total: parsed.amount.total,
    });
    const existing = this.o.store.refunds.get(parsed.out_refund_no);
    if (existing) {
      if (existing.fingerprint !== fingerprint)
        throw invalidRequest('商户退款单号已存在，且与原退款请求的订单或金额不一致');
      return refundBody(existing, tx);
    }
    if (tx.tradeState !== 'SUCCESS' && tx.tradeState !== 'REFUND') throw invalidRequest('订单未支付，不能退款');
    if (parsed.amount.total !== tx.request.amount.total) throw invalidRequest('订单金额 total 与原订单金额不一致');
    const inFlight = this.o.store
      .refundsOf(tx.request.out_trade_no)
      .filter((r) => r.status === 'PROCESSING' || r.status === 'SUCCESS')
      .reduce((s, r) => s + r.refundFen, 0);
    if (parsed.amount.refund > tx.request.amount.total - inFlight) throw invalidRequest('申请退款金额超过订单可退金额');
    const now = Date.now();
    // 申请退款: 交易时间超过一年的订单无法提交退款.
    if (tx.successAt !== null && now - tx.successAt > REFUND_PERIOD_MS)
      throw invalidRequest('交易时间超过一年的订单无法提交退款');
    const previous = this.o.store.refundsOf(tx.request.out_trade_no);
    const partial = parsed.amount.refund < tx.request.amount.total;
    // 申请退款: 每个支付订单的部分退款次数不能超过50次.
    if (partial && previous.length >= MAX_REFUNDS_PER_ORDER) throw invalidRequest('部分退款次数超过上限（50 次）');
    // 申请退款: 同一笔订单多次部分退款的请求需相隔1分钟 (scaled by timeScale like every delay here).
    const last = Math.max(0, ...previous.map((r) => r.createdAt));
    if (partial && previous.length > 0 && now - last < REFUND_INTERVAL_MS * this.o.timeScale)
      throw new ApiError(429, 'FREQUENCY_LIMITED', '同一笔订单多次退款的请求需相隔1分钟，请稍后再试');
    if (this.o.faults.peek().refundBalanceInsufficient)
      throw new ApiError(403, 'NOT_ENOUGH', '基本账户余额不足，请充值后重新发起');

    const refund: RefundRecord = {
      refundId: newRefundId(now),
      outRefundNo: parsed.out_refund_no,
      outTradeNo: tx.request.out_trade_no,
      transactionId: tx.transactionId!,
      reason: parsed.reason ?? null,
      // Without notify_url WeChat notifies the refund URL configured in the merchant platform.
      notifyUrl: parsed.notify_url ?? this.o.merchant.refundNotifyUrl,
      fundsAccount: parsed.funds_account ?? null,
      refundFen: parsed.amount.refund,
      totalFen: parsed.amount.total,
      fingerprint,
      status: 'PROCESSING',
      createdAt: now,
      createTime: rfc3339Beijing(now),
      successTime: null,
      successAt: null,
    };
    this.o.store.refunds.set(refund.outRefundNo, refund);
    tx.tradeState = 'REFUND';
    tx.tradeStateDesc = TRADE_STATE_DESC.REFUND!;
    const outcome = this.o.faults.takeRefundOutcome();
    const timer = setTimeout(() => {
      this.o.timers.delete(timer);
      this.finishRefund(refund, outcome);
    }, this.o.refundDelayMs * this.o.timeScale);
    this.o.timers.add(timer);
    return refundBody(refund, tx);
  }

  queryRefund(outRefundNo: string): Record<string, unknown> {
    const refund = this.o.store.refunds.get(outRefundNo);
    if (!refund) throw new ApiError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    return refundBody(refund, this.o.store.transactions.get(refund.outTradeNo)!);
  }

  private finishRefund(refund: RefundRecord, outcome: 'SUCCESS' | 'ABNORMAL' | 'CLOSED') {
    const tx = this.o.store.transactions.get(refund.outTradeNo)!;
    const now = Date.now();
    refund.status = outcome;
    if (outcome === 'SUCCESS') {
      refund.successAt = now;
      refund.successTime = rfc3339Beijing(now);
      tx.refundedFen += refund.refundFen;
    }
    if (!refund.notifyUrl) return;
    const resource: Record<string, unknown> = {
      mchid: tx.request.mchid,
      out_trade_no: tx.request.out_trade_no,
      transaction_id: tx.transactionId,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: outcome,
      ...(refund.successTime ? { success_time: refund.successTime } : {}),
      user_received_account: '支付用户零钱',
      amount: {
        total: refund.totalFen,
        refund: refund.refundFen,
        payer_total: refund.totalFen,
        payer_refund: refund.refundFen,
      },
    };
    this.o.notifier.enqueue({
      eventType: `REFUND.${outcome}`,
      summary: outcome === 'SUCCESS' ? '退款成功' : outcome === 'ABNORMAL' ? '退款异常' : '退款关闭',
      originalType: 'refund',
      notifyUrl: refund.notifyUrl,
      outTradeNo: tx.request.out_trade_no,
      outRefundNo: refund.outRefundNo,
      resource,
    });
  }

  // ---- wx.login / jscode2session --------------------------------------------------------------

  issueLoginCode(openid: string, unionid: string | null = null): string {
    checkOpenid(openid);
    if (unionid !== null) checkOpenid(unionid);
    const code = randomBytes(24).toString('base64url').slice(0, 32);
    this.o.store.loginCodes.set(code, { code, openid, unionid, issuedAt: Date.now(), usedAt: null });
    return code;
  }

  /** Answers exactly as api.weixin.qq.com does: always HTTP 200, errors as `{ errcode, errmsg }`. */
  jscode2session(q: Record<string, unknown>): Record<string, unknown> {
    const rid = randomHex(12);
    const fail = (errcode: number, errmsg: string) => ({ errcode, errmsg: `${errmsg}, rid: ${rid}` });
    const { appid, secret, js_code: code, grant_type: grantType } = q;
    if (typeof appid !== 'string' || appid !== this.creds.appid) return fail(40013, 'invalid appid');
    if (typeof secret !== 'string' || secret !== this.creds.appsecret) return fail(40125, 'invalid appsecret');
    if (grantType !== 'authorization_code') return fail(40002, 'invalid grant_type');
    if (typeof code !== 'string' || code === '') return fail(41008, 'missing code');
    let openid: string;
    let unionid: string | null = null;
    if (code.startsWith('sandbox:')) {
      openid = code.slice('sandbox:'.length);
      if (!OPENID_RE.test(openid)) return fail(40029, 'invalid code');
    } else {
      const entry = this.o.store.loginCodes.get(code);
      if (!entry) return fail(40029, 'invalid code');
      if (entry.usedAt !== null) return fail(40163, 'code been used');
      if (Date.now() - entry.issuedAt > LOGIN_CODE_TTL_MS) return fail(40029, 'invalid code');
      entry.usedAt = Date.now();
      openid = entry.openid;
      unionid = entry.unionid;
    }
    // unionid only comes back when the mini-program is bound to an Open Platform account.
    return { session_key: randomBytes(16).toString('base64'), openid, ...(unionid ? { unionid } : {}) };
  }
}

const OPENID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function checkOpenid(openid: string): void {
  if (!OPENID_RE.test(openid)) throw new ApiError(400, 'PARAM_ERROR', 'openid 只能是 1–64 个字母、数字、_ 或 -');
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw paramError('请求包体应为 JSON 对象', { location: 'body', issue: '应为 JSON 对象' });
  }
  const r = schema.safeParse(body);
  if (!r.success) throw fromZod(r.error, 'body', body);
  return r.data;
}

/**
 * notify_url: an absolute https URL without query parameters. Plain http is allowed only on
 * loopback (WeChat allows HTTP only over private lines).
 */
export function checkNotifyUrl(value: string, field: string): void {
  const bad = (issue: string) => paramError(`notify_url ${issue}`, { location: 'body', field, value, issue });
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('不是合法的 URL');
  }
  if (url.search !== '' || url.hash !== '') throw bad('不能携带参数');
  if (url.username || url.password) throw bad('不能包含用户信息');
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return;
  throw bad(url.protocol === 'http:' ? '公网域名必须为 HTTPS（沙箱只接受环回地址上的 HTTP）' : '协议必须为 HTTPS');
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1';
  return false;
}

function canonical(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, norm((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(norm(value));
}

/** The transaction as 查询订单 and the TRANSACTION.SUCCESS resource show it. */
export function transactionBody(tx: TransactionRecord): Record<string, unknown> {
  const r = tx.request;
  const paid = tx.transactionId !== null;
  const coupon = tx.couponFen ?? 0;
  const base: Record<string, unknown> = {
    appid: r.appid,
    mchid: r.mchid,
    out_trade_no: r.out_trade_no,
    trade_state: tx.tradeState,
    trade_state_desc: tx.tradeStateDesc,
  };
  if (!paid) {
    return { ...base, amount: { total: r.amount.total, currency: r.amount.currency, payer_currency: 'CNY' } };
  }
  return {
    ...base,
    transaction_id: tx.transactionId,
    trade_type: 'JSAPI',
    bank_type: tx.bankType,
    attach: r.attach ?? '',
    success_time: tx.successTime,
    payer: { openid: r.payer.openid },
    amount: {
      total: r.amount.total,
      payer_total: r.amount.total - coupon,
      currency: r.amount.currency,
      payer_currency: 'CNY',
    },
    // 查询订单: scene_info carries the device_id the order was placed with; promotion_detail lists
    // the coupons used (only when there were some), and payer_total is what the payer paid after them.
    ...(r.scene_info && typeof r.scene_info === 'object' && 'device_id' in r.scene_info
      ? { scene_info: { device_id: (r.scene_info as { device_id: string }).device_id } }
      : {}),
    ...(coupon > 0
      ? {
          promotion_detail: [
            {
              coupon_id: `${tx.transactionId!.slice(-10)}`,
              name: '沙箱代金券',
              scope: 'GLOBAL',
              type: 'CASH',
              amount: coupon,
              stock_id: '9856000',
              wechatpay_contribute: 0,
              merchant_contribute: coupon,
              other_contribute: 0,
              currency: 'CNY',
            },
          ],
        }
      : {}),
  };
}

export function refundBody(refund: RefundRecord, tx: TransactionRecord): Record<string, unknown> {
  return {
    refund_id: refund.refundId,
    out_refund_no: refund.outRefundNo,
    transaction_id: refund.transactionId,
    out_trade_no: refund.outTradeNo,
    channel: 'ORIGINAL',
    user_received_account: '支付用户零钱',
    ...(refund.successTime ? { success_time: refund.successTime } : {}),
    create_time: refund.createTime,
    status: refund.status,
    funds_account: refund.fundsAccount ?? 'AVAILABLE',
    amount: {
      total: tx.request.amount.total,
      refund: refund.refundFen,
      from: [],
      payer_total: tx.request.amount.total,
      payer_refund: refund.refundFen,
      settlement_refund: refund.refundFen,
      settlement_total: tx.request.amount.total,
      discount_refund: 0,
      currency: 'CNY',
      refund_fee: 0,
    },
    promotion_detail: [],
  };
}
