/**
 * The mini-program server APIs of api.weixin.qq.com that a shop needs after payment:
 * 获取稳定版接口调用凭据 (POST /cgi-bin/stable_token) and 小程序发货信息管理服务
 * (upload_shipping_info, get_order, get_delivery_list), plus the shopper's 确认收货.
 *
 * They answer as api.weixin.qq.com does: HTTP 200 with JSON, `{ errcode, errmsg }` on failure
 * (errmsg ending in `rid: …`), `errcode: 0, errmsg: "ok"` on success.
 */
import { randomBytes } from 'node:crypto';
import type { SandboxIdentity } from './credentials.js';
import { CONTACT_REQUIRED_COMPANIES, DELIVERY_COMPANIES } from './delivery.js';
import type { Store, TransactionRecord } from './store.js';
import { parseRfc3339, randomHex } from './util.js';

/** access_token lifetime (getStableAccessToken: "token 有效期为 7200 秒"). */
export const ACCESS_TOKEN_TTL_MS = 7200_000;
/** "普通模式下平台会提前 5 分钟更新 access_token"; the old one stays valid until it expires. */
export const ACCESS_TOKEN_EARLY_RENEW_MS = 300_000;
/** "强制刷新模式每天限用 20 次且需间隔 30 秒" (closer calls do not refresh). */
export const FORCE_REFRESH_DAILY_LIMIT = 20;
export const FORCE_REFRESH_MIN_INTERVAL_MS = 30_000;
/** Days after shipping until WeChat confirms receipt by itself (the sandbox's default). */
export const DEFAULT_AUTO_CONFIRM_DAYS = 10;
/** How long a confirmed order waits in 资金待结算 before 交易完成 (sandbox's choice, scaled). */
export const DEFAULT_SETTLE_DELAY_MS = 60_000;
/** "一笔支付单最多分拆成 15 个包裹". */
export const MAX_PACKAGES = 15;
export const ITEM_DESC_MAX = 120;
export const TRACKING_NO_MAX = 128;
export const EXPRESS_COMPANY_MAX = 128;
export const CONTACT_MAX = 1024;

export type WxaReply = Record<string, unknown> & { errcode: number; errmsg: string };

export interface StableTokenCall {
  at: number;
  forceRefresh: boolean;
  /** issued: a new token; reused: the current one; refused: an errcode */
  outcome: 'issued' | 'reused' | 'refused';
  errcode: number;
}

interface TokenRecord {
  token: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

export interface ShippingItem {
  tracking_no?: string;
  express_company?: string;
  item_desc: string;
  contact?: { consignor_contact?: string; receiver_contact?: string };
}

export interface ShippingUpload {
  at: number;
  uploadTimeMs: number;
  upload_time: string;
  logistics_type: number;
  delivery_mode: number;
  is_all_delivered?: boolean;
  shipping_list: ShippingItem[];
  order_number_type: number;
}

export interface ShippingRecord {
  outTradeNo: string;
  uploads: ShippingUpload[];
  /** set by 确认收货 in WeChat (POST /sandbox/confirm-receipt) */
  confirmedAt: number | null;
}

/** order_state of 查询订单发货状态. */
export const ORDER_STATE = {
  UNSHIPPED: 1,
  SHIPPED: 2,
  CONFIRMED: 3,
  COMPLETED: 4,
  REFUNDED: 5,
} as const;
export const ORDER_STATE_NAME: Record<number, string> = {
  1: '待发货',
  2: '已发货',
  3: '确认收货',
  4: '交易完成',
  5: '已退款',
};

export interface ShippingView {
  out_trade_no: string;
  order_state: number;
  order_state_name: string;
  /** frozen until shipped and confirmed (资金冻结); refunded once fully refunded */
  funds: 'frozen' | 'released' | 'refunded';
  shipped_at: string | null;
  confirmed_at: string | null;
  confirmed_by: 'shopper' | 'auto' | null;
  auto_confirm_at: string | null;
  uploads: number;
  modifications_left: number;
  last_upload: ShippingUpload | null;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface WxaOptions {
  identity: SandboxIdentity;
  store: Store;
  timeScale: number;
  autoConfirmDays: number;
  settleDelayMs: number;
  /** access_token lifetime before scaling; default 7200 s */
  accessTokenTtlMs?: number;
}

export class Wxa {
  private readonly tokens = new Map<string, TokenRecord>();
  private current: TokenRecord | null = null;
  private forceRefreshes: number[] = [];
  readonly stableTokenCalls: StableTokenCall[] = [];
  readonly shipping = new Map<string, ShippingRecord>();
  private tokenSeq = 80 + Math.floor(Math.random() * 10);

  constructor(private readonly o: WxaOptions) {}

  private get creds() {
    return this.o.identity.credentials;
  }
  private scaled(ms: number) {
    return ms * this.o.timeScale;
  }
  get autoConfirmMs() {
    return this.scaled(this.o.autoConfirmDays * 86_400_000);
  }

  // ---- 获取稳定版接口调用凭据 -----------------------------------------------------------------

  stableToken(body: unknown): WxaReply {
    const now = Date.now();
    const force = isObject(body) && body.force_refresh === true;
    const record = (outcome: StableTokenCall['outcome'], errcode: number) =>
      this.stableTokenCalls.push({ at: now, forceRefresh: force, outcome, errcode });
    const refuse = (errcode: number, errmsg: string) => {
      record('refused', errcode);
      return fail(errcode, errmsg);
    };
    if (!isObject(body)) return refuse(47001, 'data format error');
    const { grant_type: grantType, appid, secret, force_refresh: forceRefresh } = body;
    if (forceRefresh !== undefined && typeof forceRefresh !== 'boolean')
      return refuse(47001, 'data format error, hint: force_refresh must be a boolean');
    if (appid === undefined || appid === '') return refuse(41002, 'appid missing');
    if (secret === undefined || secret === '') return refuse(41004, 'appsecret missing');
    if (grantType !== 'client_credential') return refuse(40002, 'invalid grant_type');
    if (appid !== this.creds.appid) return refuse(40013, 'invalid appid');
    if (secret !== this.creds.appsecret) return refuse(40125, 'invalid appsecret');

    const cur = this.current && !this.current.revoked && this.current.expiresAt > now ? this.current : null;
    if (force) {
      this.forceRefreshes = this.forceRefreshes.filter((t) => now - t < this.scaled(86_400_000));
      if (this.forceRefreshes.length >= FORCE_REFRESH_DAILY_LIMIT)
        return refuse(45009, 'reach max api daily quota limit');
      const last = this.forceRefreshes.at(-1);
      if (cur && last !== undefined && now - last < this.scaled(FORCE_REFRESH_MIN_INTERVAL_MS)) {
        record('reused', 0);
        return this.tokenReply(cur, now);
      }
      this.forceRefreshes.push(now);
      // 强制刷新: every token handed out before stops working at once.
      for (const t of this.tokens.values()) t.revoked = true;
      record('issued', 0);
      return this.tokenReply(this.issue(now), now);
    }
    if (cur && cur.expiresAt - now > this.scaled(ACCESS_TOKEN_EARLY_RENEW_MS)) {
      record('reused', 0);
      return this.tokenReply(cur, now);
    }
    record('issued', 0);
    return this.tokenReply(this.issue(now), now);
  }

  private issue(now: number): TokenRecord {
    const token = `${this.tokenSeq}_${randomBytes(102).toString('base64url')}`;
    const rec: TokenRecord = {
      token,
      issuedAt: now,
      expiresAt: now + this.scaled(this.o.accessTokenTtlMs ?? ACCESS_TOKEN_TTL_MS),
      revoked: false,
    };
    this.tokens.set(token, rec);
    this.current = rec;
    return rec;
  }

  private tokenReply(t: TokenRecord, now: number): WxaReply {
    // expires_in counts whole (scaled) seconds left; never 0 for a token that still works.
    const expiresIn = Math.max(1, Math.floor((t.expiresAt - now) / 1000));
    return { access_token: t.token, expires_in: expiresIn } as unknown as WxaReply;
  }

  /** Revokes every token (as if the AppSecret were reset); the next call gets 40001. */
  revokeTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  /** null when the access_token query parameter is good; otherwise WeChat's answer. */
  checkToken(token: unknown): WxaReply | null {
    if (typeof token !== 'string' || token === '') return fail(41001, 'access_token missing');
    const rec = this.tokens.get(token);
    if (!rec || rec.revoked)
      return fail(
        40001,
        'invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken',
      );
    if (rec.expiresAt <= Date.now()) return fail(42001, 'access_token expired');
    return null;
  }

  // ---- 获取运力 id 列表 ------------------------------------------------------------------------

  deliveryList(): WxaReply {
    return {
      errcode: 0,
      errmsg: 'ok',
      delivery_list: DELIVERY_COMPANIES.map((c) => ({ ...c })),
      count: DELIVERY_COMPANIES.length,
    };
  }

  // ---- 发货信息录入 ---------------------------------------------------------------------------

  uploadShippingInfo(body: unknown): WxaReply {
    if (!isObject(body)) return fail(47001, 'data format error');
    const orderKey = body.order_key;
    if (!isObject(orderKey)) return fail(47001, 'data format error, hint: order_key');
    const type = orderKey.order_number_type;
    if (type !== 1 && type !== 2) return fail(268485194, '订单单号类型非法');
    if (type === 1) {
      if (typeof orderKey.mchid !== 'string' || orderKey.mchid === '')
        return fail(268485196, '商户号形式下，mchid字段不能为空');
      if (typeof orderKey.out_trade_no !== 'string' || orderKey.out_trade_no === '')
        return fail(268485197, '商户号形式下，out_trade_no字段不能为空');
    } else if (typeof orderKey.transaction_id !== 'string' || orderKey.transaction_id === '') {
      return fail(268485195, '微信支付单号形式下，transaction_id字段不能为空');
    }
    const logisticsType = body.logistics_type;
    if (!Number.isInteger(logisticsType)) return fail(47001, 'data format error, hint: logistics_type');
    if ((logisticsType as number) < 1 || (logisticsType as number) > 4) return fail(10060005, '物流类型有误');
    const mode = body.delivery_mode;
    if (mode !== 1 && mode !== 2) return fail(268485224, '发货模式非法');
    const list = body.shipping_list;
    // shipping_list is an array even for one package; an object is a format error.
    if (!Array.isArray(list)) return fail(47001, 'data format error, hint: shipping_list must be an array');
    if (list.length === 0) return fail(10060014, '参数错误, hint: shipping_list 不能为空');
    if (list.length > MAX_PACKAGES) return fail(10060024, '物流信息列表过长');
    if (mode === 1 && list.length !== 1) return fail(268485228, '统一发货模式下，物流信息列表长度必须为1');
    if (mode === 2) {
      if (logisticsType !== 1) return fail(10060006, '非快递发货时不允许分拆发货');
      if (typeof body.is_all_delivered !== 'boolean')
        return fail(10060007, '分拆发货模式下必须填写is_all_delivered字段');
    }
    const items: ShippingItem[] = [];
    for (const [i, raw] of list.entries()) {
      if (!isObject(raw)) return fail(47001, `data format error, hint: shipping_list[${i}]`);
      const checked = checkItem(raw, i, logisticsType as number);
      if ('errcode' in checked) return checked;
      items.push(checked.item);
    }
    if (typeof body.upload_time !== 'string') return fail(268485216, '上传时间非法，请按照RFC 3339格式填写');
    const uploadTimeMs = parseRfc3339(body.upload_time);
    if (uploadTimeMs === null) return fail(268485216, '上传时间非法，请按照RFC 3339格式填写');
    const payer = body.payer;
    if (!isObject(payer) || typeof payer.openid !== 'string' || payer.openid === '')
      return fail(47001, 'data format error, hint: payer.openid');

    const tx = this.findTransaction(
      type === 1
        ? { mchid: orderKey.mchid as string, outTradeNo: orderKey.out_trade_no as string }
        : { transactionId: orderKey.transaction_id as string },
    );
    if (!tx) return fail(10060001, '支付单不存在');
    if (tx.request.payer.openid !== payer.openid)
      return fail(10060014, '参数错误, hint: payer.openid 与支付单的支付用户不一致');
    const outTradeNo = tx.request.out_trade_no;
    const rec = this.shipping.get(outTradeNo) ?? { outTradeNo, uploads: [], confirmedAt: null };
    const now = Date.now();
    const state = this.stateOf(tx, rec, now);
    if (state.order_state === ORDER_STATE.REFUNDED) return fail(10060004, '支付单处于不可发货的状态');
    if (state.order_state === ORDER_STATE.CONFIRMED || state.order_state === ORDER_STATE.COMPLETED)
      return fail(10060004, '支付单处于不可发货的状态');
    const last = rec.uploads.at(-1);
    if (last) {
      // "每笔支付单仅有一次重新发货机会": the first upload ships, one more may change it.
      if (rec.uploads.length >= 2) return fail(10060003, '支付单已使用重新发货机会');
      // "如果要更新物流信息，上传时间必须比之前的请求更新".
      if (uploadTimeMs <= last.uploadTimeMs)
        return fail(10060023, '发货信息未更新, hint: upload_time 必须晚于上次上传');
    }
    rec.uploads.push({
      at: now,
      uploadTimeMs,
      upload_time: body.upload_time,
      logistics_type: logisticsType as number,
      delivery_mode: mode,
      ...(mode === 2 ? { is_all_delivered: body.is_all_delivered as boolean } : {}),
      shipping_list: items,
      order_number_type: type,
    });
    this.shipping.set(outTradeNo, rec);
    return { errcode: 0, errmsg: 'ok' };
  }

  // ---- 查询订单发货状态 -----------------------------------------------------------------------

  getOrder(body: unknown): WxaReply {
    if (!isObject(body)) return fail(47001, 'data format error');
    const { transaction_id: transactionId, merchant_id: merchantId, merchant_trade_no: tradeNo } = body;
    let tx: TransactionRecord | undefined;
    if (typeof transactionId === 'string' && transactionId !== '') tx = this.findTransaction({ transactionId });
    else if (typeof merchantId === 'string' && typeof tradeNo === 'string' && merchantId !== '' && tradeNo !== '')
      tx = this.findTransaction({ mchid: merchantId, outTradeNo: tradeNo });
    else return fail(47001, 'data format error, hint: transaction_id or merchant_id + merchant_trade_no');
    if (!tx) return fail(10060001, '支付单不存在');
    return { errcode: 0, errmsg: 'ok', order: this.orderBody(tx, Date.now()) };
  }

  private orderBody(tx: TransactionRecord, now: number): Record<string, unknown> {
    const rec = this.shipping.get(tx.request.out_trade_no);
    const view = this.stateOf(tx, rec, now);
    const last = rec?.uploads.at(-1);
    return {
      transaction_id: tx.transactionId,
      merchant_id: tx.request.mchid,
      sub_merchant_id: '',
      merchant_trade_no: tx.request.out_trade_no,
      description: tx.request.description,
      paid_amount: tx.request.amount.total,
      openid: tx.request.payer.openid,
      trade_create_time: Math.floor(tx.createdAt / 1000),
      pay_time: Math.floor((tx.successAt ?? tx.createdAt) / 1000),
      order_state: view.order_state,
      in_complaint: false,
      ...(last
        ? {
            shipping: {
              delivery_mode: last.delivery_mode,
              logistics_type: last.logistics_type,
              finish_shipping: last.delivery_mode === 1 || last.is_all_delivered === true,
              goods_desc: last.shipping_list.map((i) => i.item_desc).join(';'),
              finish_shipping_count: rec!.uploads.length - 1,
              shipping_list: last.shipping_list.map((i) => ({
                tracking_no: i.tracking_no ?? '',
                express_company: i.express_company ?? '',
                goods_desc: i.item_desc,
                upload_time: Math.floor(last.uploadTimeMs / 1000),
                ...(i.contact ? { contact: { ...i.contact } } : {}),
              })),
            },
          }
        : {}),
    };
  }

  // ---- 确认收货 (the shopper, in WeChat) ------------------------------------------------------

  confirmReceipt(outTradeNo: unknown, openid?: unknown): Record<string, unknown> {
    if (typeof outTradeNo !== 'string' || outTradeNo === '')
      throw new ControlError(400, 'PARAM_ERROR', 'out_trade_no is required');
    if (openid !== undefined && (typeof openid !== 'string' || openid === ''))
      throw new ControlError(400, 'PARAM_ERROR', 'openid must be a non-empty string');
    const tx = this.findTransaction({ mchid: this.creds.mchid, outTradeNo });
    if (!tx) throw new ControlError(404, 'ORDER_NOT_EXIST', '支付单不存在');
    // Only the payer sees the order in WeChat and can confirm it.
    if (openid !== undefined && openid !== tx.request.payer.openid)
      throw new ControlError(403, 'OPENID_MISMATCH', '确认收货的用户不是支付用户');
    const rec = this.shipping.get(outTradeNo);
    const now = Date.now();
    const view = this.stateOf(tx, rec, now);
    if (view.order_state === ORDER_STATE.REFUNDED)
      throw new ControlError(400, 'ORDER_REFUNDED', '订单已退款，无需确认收货');
    if (view.order_state === ORDER_STATE.UNSHIPPED || !rec)
      throw new ControlError(400, 'NOT_SHIPPED', '商家尚未发货，不能确认收货');
    // Confirming twice is harmless: the first confirmation stands.
    if (rec.confirmedAt === null && view.order_state === ORDER_STATE.SHIPPED) rec.confirmedAt = now;
    return { ...this.orderBody(tx, now), shipping_state: this.stateOf(tx, rec, now) };
  }

  // ---- views ---------------------------------------------------------------------------------

  view(tx: TransactionRecord, now = Date.now()): ShippingView {
    return this.stateOf(tx, this.shipping.get(tx.request.out_trade_no), now);
  }

  private stateOf(tx: TransactionRecord, rec: ShippingRecord | undefined, now: number): ShippingView {
    const first = rec?.uploads[0];
    const shippedAt = first?.at ?? null;
    const autoAt = shippedAt !== null ? shippedAt + this.autoConfirmMs : null;
    let confirmedAt = rec?.confirmedAt ?? null;
    let confirmedBy: ShippingView['confirmed_by'] = confirmedAt !== null ? 'shopper' : null;
    if (confirmedAt === null && autoAt !== null && autoAt <= now) {
      confirmedAt = autoAt;
      confirmedBy = 'auto';
    }
    const fullyRefunded = tx.refundedFen >= tx.request.amount.total;
    let state: number;
    if (fullyRefunded) state = ORDER_STATE.REFUNDED;
    else if (shippedAt === null) state = ORDER_STATE.UNSHIPPED;
    else if (confirmedAt === null) state = ORDER_STATE.SHIPPED;
    else state = now >= confirmedAt + this.scaled(this.o.settleDelayMs) ? ORDER_STATE.COMPLETED : ORDER_STATE.CONFIRMED;
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      out_trade_no: tx.request.out_trade_no,
      order_state: state,
      order_state_name: ORDER_STATE_NAME[state]!,
      funds: fullyRefunded ? 'refunded' : confirmedAt !== null ? 'released' : 'frozen',
      shipped_at: iso(shippedAt),
      confirmed_at: iso(confirmedAt),
      confirmed_by: confirmedBy,
      auto_confirm_at: confirmedAt === null ? iso(autoAt) : null,
      uploads: rec?.uploads.length ?? 0,
      modifications_left: rec && rec.uploads.length > 0 ? Math.max(0, 2 - rec.uploads.length) : 1,
      last_upload: rec?.uploads.at(-1) ?? null,
    };
  }

  /** Only paid transactions of this merchant are in the shipping system. */
  private findTransaction(
    key: { mchid: string; outTradeNo: string } | { transactionId: string },
  ): TransactionRecord | undefined {
    let tx: TransactionRecord | undefined;
    if ('transactionId' in key) tx = this.o.store.transactionsById.get(key.transactionId);
    else if (key.mchid === this.creds.mchid) tx = this.o.store.transactions.get(key.outTradeNo);
    if (!tx || tx.billOnly || tx.transactionId === null) return undefined;
    if (tx.tradeState !== 'SUCCESS' && tx.tradeState !== 'REFUND') return undefined;
    return tx;
  }
}

function checkItem(raw: Record<string, unknown>, i: number, logisticsType: number): { item: ShippingItem } | WxaReply {
  const at = `shipping_list[${i}]`;
  const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
  for (const k of ['tracking_no', 'express_company', 'item_desc'])
    if (raw[k] !== undefined && raw[k] !== null && typeof raw[k] !== 'string')
      return fail(47001, `data format error, hint: ${at}.${k}`);
  const itemDesc = str('item_desc')?.trim() ?? '';
  if (itemDesc === '') return fail(10060008, '商品描述字段不能为空');
  if ([...itemDesc].length > ITEM_DESC_MAX) return fail(10060009, `商品描述字段超长, hint: 限${ITEM_DESC_MAX}个字以内`);
  const item: ShippingItem = { item_desc: itemDesc };
  if (logisticsType === 1) {
    const company = str('express_company') ?? '';
    const trackingNo = str('tracking_no') ?? '';
    if (company === '') return fail(10060014, `参数错误, hint: 物流快递发货时 ${at}.express_company 必填`);
    if (company.length > EXPRESS_COMPANY_MAX) return fail(10060025, '物流公司编码过长');
    if (!DELIVERY_COMPANIES.some((c) => c.delivery_id === company))
      return fail(10060014, `参数错误, hint: ${at}.express_company 不在 get_delivery_list 的运力列表中`);
    if (trackingNo === '') return fail(10060014, `参数错误, hint: 物流快递发货时 ${at}.tracking_no 必填`);
    if (trackingNo.length > TRACKING_NO_MAX) return fail(10060026, '物流单号过长');
    if (!/^[0-9A-Za-z-]+$/.test(trackingNo)) return fail(10060014, `参数错误, hint: ${at}.tracking_no 格式错误`);
    item.express_company = company;
    item.tracking_no = trackingNo;
  }
  const contact = raw.contact;
  if (contact !== undefined && contact !== null) {
    if (!isObject(contact)) return fail(47001, `data format error, hint: ${at}.contact`);
    const out: NonNullable<ShippingItem['contact']> = {};
    for (const k of ['consignor_contact', 'receiver_contact'] as const) {
      const v = contact[k];
      if (v === undefined || v === null || v === '') continue;
      if (typeof v !== 'string') return fail(47001, `data format error, hint: ${at}.contact.${k}`);
      if (v.length > CONTACT_MAX) return fail(10060014, `参数错误, hint: ${at}.contact.${k} 过长`);
      // "采用掩码传输，最后4位数字不能打掩码": e.g. 189****1234, 021-****1234.
      if (!isMaskedContact(v))
        return fail(10060014, `参数错误, hint: ${at}.contact.${k} 需掩码传输（如 189****1234，最后 4 位数字不打掩码）`);
      out[k] = v;
    }
    if (Object.keys(out).length > 0) item.contact = out;
  }
  if (logisticsType === 1 && CONTACT_REQUIRED_COMPANIES.has(item.express_company!) && !item.contact)
    return fail(10060014, `参数错误, hint: 顺丰发货时 ${at}.contact 必填（收件人或寄件人联系方式二选一）`);
  return { item };
}

export function isMaskedContact(v: string): boolean {
  return /\*/.test(v) && /\d{4}$/.test(v) && /^[0-9*+\- ]+$/.test(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** WeChat's error answer: errmsg carries a request id (`rid: …`) as api.weixin.qq.com's do. */
export function fail(errcode: number, errmsg: string): WxaReply {
  return { errcode, errmsg: `${errmsg} rid: ${randomHex(4)}-${randomHex(4)}-${randomHex(4)}` };
}
