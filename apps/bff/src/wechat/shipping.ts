/**
 * WeChat's 小程序发货信息管理服务 as typed calls: 发货信息录入 (upload_shipping_info),
 * 查询订单发货状态 (get_order) and 获取运力 id 列表 (get_delivery_list), each over
 * `{WECHAT_API_BASE}/…?access_token=` with the shared token of ./access-token.ts.
 *
 * Answers are validated with zod; errcodes become AppErrors with stable codes and
 * `details: { errcode, errmsg, retryable }`, so a caller can record the errcode and decide
 * whether a retry can help. A token refused with 40001 / 42001 is refreshed and the call made
 * once more.
 */
import { toRfc3339Beijing } from '@uni-checkout/shared';
import { z } from 'zod';
import type { PrismaClient } from '../db/index.js';
import { AppError } from '../errors.js';
import { createAccessTokenSource, type AccessTokenSource } from './access-token.js';

export type LogisticsType = 'EXPRESS' | 'SAME_CITY' | 'VIRTUAL' | 'SELF_PICKUP';
/** logistics_type: 1 实体物流配送, 2 同城配送, 3 虚拟商品, 4 用户自提. */
export const LOGISTICS_TYPE_CODE: Record<LogisticsType, 1 | 2 | 3 | 4> = {
  EXPRESS: 1,
  SAME_CITY: 2,
  VIRTUAL: 3,
  SELF_PICKUP: 4,
};
const LOGISTICS_TYPE_BY_CODE = Object.fromEntries(
  Object.entries(LOGISTICS_TYPE_CODE).map(([k, v]) => [v, k as LogisticsType]),
) as Record<number, LogisticsType | undefined>;

/** "商品信息，例如：微信红包抱枕*1个，限120个字以内". */
export const ITEM_DESC_MAX = 120;
/** "当发货的物流公司为顺丰时，联系方式为必填" (丰网速运 belongs to SF). */
export const CONTACT_REQUIRED_COMPANIES: ReadonlySet<string> = new Set(['SF', 'FWX']);

export type ShippingOrderState = 'UNSHIPPED' | 'SHIPPED' | 'CONFIRMED' | 'COMPLETED' | 'REFUNDED' | 'SETTLING';
/** order_state: (1) 待发货 (2) 已发货 (3) 确认收货 (4) 交易完成 (5) 已退款 (6) 资金待结算. */
const ORDER_STATE: Record<number, ShippingOrderState> = {
  1: 'UNSHIPPED',
  2: 'SHIPPED',
  3: 'CONFIRMED',
  4: 'COMPLETED',
  5: 'REFUNDED',
  6: 'SETTLING',
};

export interface DeliveryCompany {
  /** WeChat's delivery_id, the `express_company` of an upload (SF, YTO, ZTO, …) */
  id: string;
  name: string;
}

export interface UploadShippingInput {
  /** the order's out_trade_no (orderNo); sent as order_key type 1 with the configured mchid */
  outTradeNo: string;
  /** the payer's openid (payer.openid must match the payment) */
  payerOpenid: string;
  logisticsType: LogisticsType;
  /** delivery_id from getDeliveryList(); required for EXPRESS */
  expressCompany?: string;
  /** required for EXPRESS */
  trackingNo?: string;
  /** what was shipped, ≤ 120 characters */
  itemDesc: string;
  /** the receiver's phone as the shopper gave it; sent masked (138****1234). Required for SF. */
  receiverPhone?: string;
  /** default now; a modification must carry a later time than the upload it replaces */
  uploadTime?: Date;
}

export interface UploadShippingResult {
  /** the body sent to WeChat (contact already masked; no token): keep it as the order event */
  request: UploadShippingRequest;
  /** upload_time as sent */
  uploadTime: string;
}

export interface UploadShippingRequest {
  order_key: { order_number_type: 1; mchid: string; out_trade_no: string };
  logistics_type: 1 | 2 | 3 | 4;
  delivery_mode: 1;
  shipping_list: Array<{
    tracking_no?: string;
    express_company?: string;
    item_desc: string;
    contact?: { receiver_contact: string };
  }>;
  upload_time: string;
  payer: { openid: string };
}

export interface ShippingOrder {
  outTradeNo: string;
  transactionId: string;
  openid: string;
  paidFen: number;
  payTime: Date | null;
  /** WeChat's order_state, and its name ('UNKNOWN' for a state this code does not know yet) */
  orderState: number;
  state: ShippingOrderState | 'UNKNOWN';
  /** the shopper (or WeChat's automatic confirmation) confirmed receipt: states 3, 4 and 6 */
  received: boolean;
  inComplaint: boolean;
  shipping: null | {
    logisticsType: LogisticsType | null;
    deliveryMode: number;
    finished: boolean;
    /** finish_shipping_count as WeChat reports it */
    finishShippingCount: number;
    packages: Array<{
      expressCompany: string;
      trackingNo: string;
      itemDesc: string;
      uploadTime: Date | null;
      receiverContact?: string;
    }>;
  };
}

export interface WechatShippingClient {
  uploadShippingInfo(input: UploadShippingInput): Promise<UploadShippingResult>;
  getShippingOrder(key: { outTradeNo: string } | { transactionId: string }): Promise<ShippingOrder>;
  /** cached for `deliveryListTtlMs`; concurrent callers share one request */
  getDeliveryList(): Promise<DeliveryCompany[]>;
  accessToken: AccessTokenSource;
}

export interface WechatShippingOptions {
  prisma: PrismaClient;
  /** appid, appsecret, apiBase (WECHAT_API_BASE) and mchid: MerchantCredentials, or the sandbox's */
  credentials: { appid: string; appsecret: string; apiBase: string; mchid: string };
  timeoutMs?: number;
  refreshMarginSeconds?: number;
  /** default 6 hours */
  deliveryListTtlMs?: number;
  /** observes every call: (api, outcome) with outcome 'ok', `errcode_<n>`, 'unavailable', 'bad_response' */
  onCall?: (api: string, outcome: string) => void;
}

const okSchema = z.object({ errcode: z.literal(0), errmsg: z.string().optional() });
const errSchema = z.object({ errcode: z.number().int(), errmsg: z.string().optional() });
const deliveryListSchema = z.object({
  errcode: z.literal(0).optional(),
  delivery_list: z.array(z.object({ delivery_id: z.string().min(1), delivery_name: z.string() })),
});
const getOrderSchema = z.object({
  errcode: z.literal(0).optional(),
  order: z.object({
    transaction_id: z.string().min(1),
    merchant_trade_no: z.string().min(1),
    openid: z.string(),
    paid_amount: z.number().int().nonnegative(),
    pay_time: z.number().int().nonnegative().optional(),
    order_state: z.number().int(),
    in_complaint: z.boolean().optional(),
    shipping: z
      .object({
        delivery_mode: z.number().int(),
        logistics_type: z.number().int(),
        finish_shipping: z.boolean(),
        finish_shipping_count: z.number().int().nonnegative().optional(),
        shipping_list: z.array(
          z.object({
            tracking_no: z.string().optional(),
            express_company: z.string().optional(),
            goods_desc: z.string().optional(),
            upload_time: z.number().int().optional(),
            contact: z.object({ receiver_contact: z.string().optional() }).partial().optional(),
          }),
        ),
      })
      .optional(),
  }),
});

/** 138****1234: WeChat wants contacts masked, the last 4 digits left visible. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/[^0-9]/g, '');
  if (digits.length < 4) throw new AppError('VALIDATION_FAILED', 400, 'receiverPhone: too short to mask');
  if (digits.length === 11 && digits.startsWith('1')) return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
  return `****${digits.slice(-4)}`;
}

export function createWechatShippingClient(opts: WechatShippingOptions): WechatShippingClient {
  const { credentials: c } = opts;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const ttlMs = opts.deliveryListTtlMs ?? 6 * 3600_000;
  const accessToken = createAccessTokenSource({
    prisma: opts.prisma,
    apiBase: c.apiBase,
    appid: c.appid,
    appsecret: c.appsecret,
    timeoutMs,
    ...(opts.refreshMarginSeconds !== undefined ? { refreshMarginSeconds: opts.refreshMarginSeconds } : {}),
    onFetch: (outcome) => opts.onCall?.('stable_token', outcome),
  });

  /** POSTs with the shared token; on 40001 / 42001 refreshes it and tries once more. */
  async function call(api: string, path: string, body: unknown): Promise<Record<string, unknown>> {
    let token = await accessToken.get();
    for (let attempt = 0; ; attempt++) {
      const answer = await post(path, token, body);
      const err = errSchema.safeParse(answer);
      if (err.success && (err.data.errcode === 40001 || err.data.errcode === 42001)) {
        opts.onCall?.(api, `errcode_${err.data.errcode}`);
        if (attempt === 0) {
          token = await accessToken.refreshAfterRejection(token);
          continue;
        }
        throw new AppError('WECHAT_ACCESS_TOKEN_INVALID', 502, 'WeChat refused a freshly fetched access token', {
          errcode: err.data.errcode,
          errmsg: err.data.errmsg ?? '',
          retryable: true,
        });
      }
      if (err.success && err.data.errcode !== 0) {
        opts.onCall?.(api, `errcode_${err.data.errcode}`);
        throw errcodeToAppError(api, err.data.errcode, err.data.errmsg ?? '');
      }
      return answer;
    }
  }

  async function post(path: string, token: string, body: unknown): Promise<Record<string, unknown>> {
    const url = new URL(path, c.apiBase);
    url.searchParams.set('access_token', token);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status >= 500) throw new Error(`HTTP ${res.status}`);
      const json = (await res.json()) as unknown;
      if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('not an object');
      return json as Record<string, unknown>;
    } catch {
      // the URL carries the token: never put it (or the cause, which may quote it) in the error
      throw new AppError('WECHAT_UNAVAILABLE', 502, `WeChat did not answer ${path}, please retry`, {
        retryable: true,
      });
    }
  }

  let deliveryCache: { at: number; list: DeliveryCompany[] } | null = null;
  let deliveryInflight: Promise<DeliveryCompany[]> | null = null;

  async function getDeliveryList(): Promise<DeliveryCompany[]> {
    if (deliveryCache && Date.now() - deliveryCache.at < ttlMs) return deliveryCache.list;
    deliveryInflight ??= (async () => {
      try {
        const answer = await call('get_delivery_list', '/cgi-bin/express/delivery/open_msg/get_delivery_list', {});
        const parsed = deliveryListSchema.safeParse(answer);
        if (!parsed.success) throw badResponse('get_delivery_list');
        opts.onCall?.('get_delivery_list', 'ok');
        const list = parsed.data.delivery_list.map((d) => ({ id: d.delivery_id, name: d.delivery_name }));
        deliveryCache = { at: Date.now(), list };
        return list;
      } finally {
        deliveryInflight = null;
      }
    })();
    return deliveryInflight;
  }

  function badResponse(api: string): AppError {
    opts.onCall?.(api, 'bad_response');
    return new AppError('WECHAT_UNAVAILABLE', 502, `WeChat answered ${api} with something unexpected`, {
      retryable: true,
    });
  }

  async function buildUpload(input: UploadShippingInput): Promise<UploadShippingRequest> {
    const invalid = (field: string, message: string) =>
      new AppError('VALIDATION_FAILED', 400, `${field}: ${message}`, [{ path: field, message }]);
    const itemDesc = input.itemDesc.trim();
    if (itemDesc === '') throw invalid('itemDesc', 'is required');
    if ([...itemDesc].length > ITEM_DESC_MAX) throw invalid('itemDesc', `at most ${ITEM_DESC_MAX} characters`);
    if (!(input.logisticsType in LOGISTICS_TYPE_CODE)) throw invalid('logisticsType', 'unknown logistics type');
    const item: UploadShippingRequest['shipping_list'][number] = { item_desc: itemDesc };
    if (input.logisticsType === 'EXPRESS') {
      const company = input.expressCompany?.trim() ?? '';
      const trackingNo = input.trackingNo?.trim() ?? '';
      if (company === '') throw invalid('expressCompany', 'is required for EXPRESS');
      if (trackingNo === '') throw invalid('trackingNo', 'is required for EXPRESS');
      if (!/^[0-9A-Za-z-]{1,128}$/.test(trackingNo))
        throw invalid('trackingNo', 'letters, digits and "-" only, at most 128');
      const known = await getDeliveryList();
      if (!known.some((d) => d.id === company))
        throw new AppError(
          'WECHAT_DELIVERY_COMPANY_UNKNOWN',
          400,
          `expressCompany: "${company}" is not in WeChat's delivery company list`,
        );
      item.express_company = company;
      item.tracking_no = trackingNo;
      if (input.receiverPhone) item.contact = { receiver_contact: maskPhone(input.receiverPhone) };
      else if (CONTACT_REQUIRED_COMPANIES.has(company))
        throw invalid('receiverPhone', `is required when shipping with ${company}`);
    }
    return {
      order_key: { order_number_type: 1, mchid: c.mchid, out_trade_no: input.outTradeNo },
      logistics_type: LOGISTICS_TYPE_CODE[input.logisticsType],
      delivery_mode: 1,
      shipping_list: [item],
      upload_time: toRfc3339Beijing(input.uploadTime ?? new Date()),
      payer: { openid: input.payerOpenid },
    };
  }

  return {
    accessToken,
    getDeliveryList,

    async uploadShippingInfo(input) {
      const request = await buildUpload(input);
      const answer = await call('upload_shipping_info', '/wxa/sec/order/upload_shipping_info', request);
      if (!okSchema.safeParse(answer).success) throw badResponse('upload_shipping_info');
      opts.onCall?.('upload_shipping_info', 'ok');
      return { request, uploadTime: request.upload_time };
    },

    async getShippingOrder(key) {
      const body =
        'transactionId' in key
          ? { transaction_id: key.transactionId }
          : { merchant_id: c.mchid, merchant_trade_no: key.outTradeNo };
      const answer = await call('get_order', '/wxa/sec/order/get_order', body);
      const parsed = getOrderSchema.safeParse(answer);
      if (!parsed.success) throw badResponse('get_order');
      opts.onCall?.('get_order', 'ok');
      const o = parsed.data.order;
      const state = ORDER_STATE[o.order_state] ?? 'UNKNOWN';
      return {
        outTradeNo: o.merchant_trade_no,
        transactionId: o.transaction_id,
        openid: o.openid,
        paidFen: o.paid_amount,
        payTime: o.pay_time ? new Date(o.pay_time * 1000) : null,
        orderState: o.order_state,
        state,
        received: state === 'CONFIRMED' || state === 'COMPLETED' || state === 'SETTLING',
        inComplaint: o.in_complaint ?? false,
        shipping: o.shipping
          ? {
              logisticsType: LOGISTICS_TYPE_BY_CODE[o.shipping.logistics_type] ?? null,
              deliveryMode: o.shipping.delivery_mode,
              finished: o.shipping.finish_shipping,
              finishShippingCount: o.shipping.finish_shipping_count ?? 0,
              packages: o.shipping.shipping_list.map((p) => ({
                expressCompany: p.express_company ?? '',
                trackingNo: p.tracking_no ?? '',
                itemDesc: p.goods_desc ?? '',
                uploadTime: p.upload_time ? new Date(p.upload_time * 1000) : null,
                ...(p.contact?.receiver_contact ? { receiverContact: p.contact.receiver_contact } : {}),
              })),
            }
          : null,
      };
    },
  };
}

/** 发货信息管理's errcodes as stable AppErrors; `retryable` says whether trying later can help. */
function errcodeToAppError(api: string, errcode: number, errmsg: string): AppError {
  const details = (retryable: boolean) => ({ errcode, errmsg, retryable });
  switch (errcode) {
    case -1:
    case 10060012:
    case 10060019:
      return new AppError('WECHAT_UNAVAILABLE', 502, `WeChat is busy (${api}, errcode ${errcode})`, details(true));
    case 45009:
    case 45011:
      return new AppError('WECHAT_RATE_LIMITED', 503, `WeChat rate-limited ${api}`, details(true));
    case 10060001:
      // WeChat indexes a payment shortly after it succeeds ("支付后订单需要入库"): worth retrying
      return new AppError(
        'WECHAT_SHIPPING_ORDER_NOT_FOUND',
        404,
        'WeChat does not (yet) know this payment for shipping',
        details(true),
      );
    case 10060003:
      return new AppError(
        'WECHAT_SHIPPING_MODIFY_EXHAUSTED',
        409,
        'this payment already used its one shipping modification',
        details(false),
      );
    case 10060002:
    case 10060004:
      return new AppError(
        'WECHAT_SHIPPING_NOT_ALLOWED',
        409,
        'WeChat does not allow shipping this payment in its current state',
        details(false),
      );
    default:
      return new AppError(
        'WECHAT_SHIPPING_REJECTED',
        502,
        `WeChat refused ${api} (errcode ${errcode})`,
        details(false),
      );
  }
}

export type { AccessTokenSource } from './access-token.js';
