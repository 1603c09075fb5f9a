/**
 * What fulfilment needs from WeChat's shipping-information management service
 * (小程序发货信息管理服务). The HTTP client (access token, errcodes) lives in ../wechat.
 */

/** upload_shipping_info's body, as WeChat documents it. */
export interface UploadShippingInfoBody {
  order_key: { order_number_type: 1; mchid: string; out_trade_no: string };
  /** 1 实体物流配送 2 同城配送 3 虚拟商品 4 用户自提 */
  logistics_type: 1 | 2 | 3 | 4;
  /** 1 统一发货 (one parcel for the whole order) */
  delivery_mode: 1;
  shipping_list: {
    tracking_no?: string;
    express_company?: string;
    item_desc: string;
    contact?: { receiver_contact?: string };
  }[];
  /** RFC 3339 with +08:00 */
  upload_time: string;
  payer: { openid: string };
}

/** get_order's order_state: 1 待发货 2 已发货 3 确认收货 4 交易完成 5 已退款 */
export type WechatShippingOrderState = 1 | 2 | 3 | 4 | 5;

/** A failed call: WeChat's errcode when it answered one, null when it did not answer at all. */
export interface ShippingApiFailure {
  errcode: number | null;
  message: string;
}

export interface ShippingApi {
  uploadShippingInfo(body: UploadShippingInfoBody): Promise<void>;
  getOrderState(key: { mchid: string; outTradeNo: string }): Promise<WechatShippingOrderState>;
  deliveryCompanies(): Promise<{ id: string; name: string }[]>;
}

export class ShippingApiError extends Error implements ShippingApiFailure {
  override name = 'ShippingApiError';
  constructor(
    readonly errcode: number | null,
    message: string,
  ) {
    super(message);
  }
}
