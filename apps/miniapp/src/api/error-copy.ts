/**
 * What a shopper or an admin reads when a call fails: Chinese copy for every stable error code, each
 * saying what happened and what to do next. The BFF's own `message` is for developers and logs (and
 * in English); it never reaches the screen.
 */
import type { ErrorCode } from '@uni-checkout/shared';

/** Codes the client raises itself, when no BFF answer (or no usable one) exists. */
export const CLIENT_ERROR_CODES = [
  'NETWORK_ERROR',
  'TIMEOUT',
  'BAD_RESPONSE',
  'HTTP_ERROR',
  'PAYMENT_UNAVAILABLE',
  'LOGIN_FAILED',
  'LOGIN_UNAVAILABLE',
  'CLIENT_ERROR',
  'ADDRESS_REQUIRED',
] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** The next step a page can offer as a button beside the message. */
export type ErrorNextStep = 'edit-cart' | 'view-order' | 'new-order' | 'retry' | 'login';

interface Copy {
  message: string;
  next?: ErrorNextStep;
}

/** Every code must be here: the type refuses a missing one, and a test checks the list at run time too. */
export const ERROR_COPY: Record<ErrorCode | ClientErrorCode, Copy> = {
  VALIDATION_FAILED: { message: '填写的内容有误，请检查后重新提交' },
  MALFORMED_JSON: { message: '请求格式有误，请刷新后重试', next: 'retry' },
  PAYLOAD_TOO_LARGE: { message: '提交的内容过长，请删减后重新提交' },
  UNSUPPORTED_MEDIA_TYPE: { message: '请求格式不受支持，请更新小程序后重试' },
  BODY_ENCODING_INVALID: { message: '请求内容无法解码，请更新小程序后重试' },
  UNAUTHORIZED: { message: '登录已过期，请重新登录', next: 'login' },
  SESSION_REVOKED: { message: '登录已失效（已退出或账号已停用），请重新登录', next: 'login' },
  REFRESH_TOKEN_INVALID: { message: '登录已过期，请重新登录', next: 'login' },
  FORBIDDEN: { message: '没有权限进行此操作，请使用管理员账号登录', next: 'login' },
  NOT_FOUND: { message: '内容不存在或已删除，请返回首页看看' },
  ROUTE_NOT_FOUND: { message: '暂不支持此操作，请更新小程序后重试' },
  CONFLICT: { message: '操作正在处理中，请稍后刷新查看', next: 'retry' },
  RATE_LIMITED: { message: '操作太频繁了，请稍等一分钟再试' },
  TOO_MANY_UNPAID_ORDERS: { message: '待支付的订单太多了，请先到“我的订单”支付或取消后再下单' },
  QUANTITY_LIMIT: { message: '该商品每人限购，待支付订单中的数量已达上限，请减少数量或先完成支付', next: 'edit-cart' },
  WECHAT_CODE_INVALID: { message: '微信登录已失效，请重新打开小程序', next: 'retry' },
  WECHAT_CODE_USED: { message: '微信登录已失效，请重新打开小程序', next: 'retry' },
  WECHAT_CREDENTIALS_INVALID: { message: '微信登录暂不可用，请稍后再试' },
  WECHAT_UNAVAILABLE: { message: '微信服务繁忙，请稍后重试', next: 'retry' },
  WECHAT_RATE_LIMITED: { message: '微信接口调用太频繁，请稍等一分钟再试', next: 'retry' },
  WECHAT_ACCESS_TOKEN_INVALID: { message: '微信接口凭据已失效，请稍后重试', next: 'retry' },
  WECHAT_DELIVERY_COMPANY_UNKNOWN: { message: '快递公司不在微信支持的列表中，请重新选择' },
  WECHAT_SHIPPING_ORDER_NOT_FOUND: { message: '微信暂未查到这笔支付，请稍后再录入发货信息', next: 'retry' },
  WECHAT_SHIPPING_NOT_ALLOWED: { message: '这笔订单当前不能录入发货信息，请刷新查看订单状态', next: 'retry' },
  WECHAT_SHIPPING_MODIFY_EXHAUSTED: { message: '发货信息修改次数已用完，无法再修改' },
  WECHAT_SHIPPING_REJECTED: { message: '微信未接受这条发货信息，请检查快递公司和单号后重试' },
  WECHATPAY_UNAVAILABLE: { message: '微信支付暂时不可用，请稍后重试', next: 'retry' },
  WECHATPAY_REJECTED: { message: '微信支付未受理此次请求，请稍后重试或联系客服' },
  PRODUCT_UNAVAILABLE: { message: '有商品已下架，去购物车删除后再结算', next: 'edit-cart' },
  OUT_OF_STOCK: { message: '商品库存不足，去购物车修改数量', next: 'edit-cart' },
  IDEMPOTENCY_KEY_REUSED: { message: '订单内容有变化，请重新提交订单', next: 'retry' },
  IDEMPOTENCY_KEY_REQUIRED: { message: '请求缺少订单标识，请更新小程序后重试' },
  ORDER_NOT_PAYABLE: { message: '该订单当前无法支付，请查看订单状态', next: 'view-order' },
  ORDER_EXPIRED: { message: '订单已超过支付时限并关闭，请重新下单', next: 'new-order' },
  ORDER_NOT_CANCELLABLE: { message: '订单已支付，不能取消；如需退款请申请退款', next: 'view-order' },
  REFUND_EXCEEDS_PAID: { message: '退款金额超过可退金额，请修改金额' },
  REFUND_NOT_ALLOWED: { message: '该订单当前不能退款，请刷新查看订单状态', next: 'retry' },
  REFUND_BALANCE_INSUFFICIENT: { message: '商户账户余额不足，请充值后再退款' },
  ORDER_NOT_SHIPPABLE: { message: '该订单当前不能发货（未支付或已全额退款），请刷新查看订单状态', next: 'retry' },
  SHIPMENT_CONFLICT: { message: '该订单已经发货，发货信息已变化，请刷新后查看', next: 'retry' },
  ORDER_NOT_SHIPPED: { message: '订单还未发货，暂不能确认收货', next: 'view-order' },
  RECEIPT_NOT_CONFIRMED: { message: '微信尚未记录收货，请在微信中确认收货后再试', next: 'retry' },
  ADDRESS_BOOK_FULL: { message: '地址簿已满，请删除不用的地址后再添加' },
  INVALID_CREDENTIALS: { message: '用户名或密码错误，请重新输入' },
  NOTIFICATION_SIGNATURE_INVALID: { message: '支付通知签名无效，已拒收' },
  NOTIFICATION_REJECTED: { message: '支付通知内容不符，已拒收' },
  SERVICE_UNAVAILABLE: { message: '服务正在恢复中，请稍等片刻再试', next: 'retry' },
  INTERNAL: { message: '服务出了点问题，请稍后重试', next: 'retry' },
  NETWORK_ERROR: { message: '网络连接失败，请检查网络后重试', next: 'retry' },
  TIMEOUT: { message: '请求超时，请稍后重试', next: 'retry' },
  BAD_RESPONSE: { message: '服务返回的数据有误，请稍后重试', next: 'retry' },
  HTTP_ERROR: { message: '服务暂时不可用，请稍后重试', next: 'retry' },
  PAYMENT_UNAVAILABLE: { message: '网页版无法调起微信支付，请在微信小程序中支付' },
  LOGIN_FAILED: { message: '微信登录失败，请稍后重试', next: 'retry' },
  LOGIN_UNAVAILABLE: { message: '网页版仅用于沙箱演示，请在微信小程序中打开' },
  CLIENT_ERROR: { message: '出了点问题，请重试', next: 'retry' },
  ADDRESS_REQUIRED: { message: '请选择收货地址' },
};

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

/** The Chinese sentence for a code; `details` from the BFF make it exact where they can (stock left, order state). */
export function errorMessage(code: string, details?: unknown, status = 0): string {
  const d = record(details);
  if (code === 'OUT_OF_STOCK' && Number.isSafeInteger(d.availableStock)) {
    const left = d.availableStock as number;
    return left > 0 ? `库存仅剩 ${left} 件，去购物车修改` : '商品售罄，去购物车删除后再结算';
  }
  if (code === 'ORDER_NOT_PAYABLE' && typeof d.status === 'string') {
    return d.status === 'CLOSED' ? '订单已关闭，无法支付，请重新下单' : '订单已支付，无需重复付款，去查看订单';
  }
  if (code === 'RATE_LIMITED' && Number.isSafeInteger(d.retryAfterSeconds)) {
    return `操作太频繁了，请 ${d.retryAfterSeconds as number} 秒后再试`;
  }
  if (code === 'HTTP_ERROR' && status) return `服务暂时不可用（HTTP ${status}），请稍后重试`;
  const copy = (ERROR_COPY as Record<string, Copy | undefined>)[code];
  if (copy) return copy.message;
  // a code newer than this build: still Chinese, from the kind of failure
  if (status === 401) return ERROR_COPY.UNAUTHORIZED.message;
  if (status === 404) return ERROR_COPY.NOT_FOUND.message;
  if (status >= 400 && status < 500) return '操作未成功，请检查后重试';
  return ERROR_COPY.INTERNAL.message;
}

export function errorNextStep(code: string): ErrorNextStep | undefined {
  return (ERROR_COPY as Record<string, Copy | undefined>)[code]?.next;
}
