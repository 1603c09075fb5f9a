import { beijingWallClock, formatFen, type OrderEventType } from '@uni-checkout/shared';

/**
 * Labels of the BFF's order events (its 全流程日志), one for every type it records; a type from a
 * newer BFF shows as is.
 */
export const ORDER_EVENT_LABELS: Record<OrderEventType, string> = {
  ORDER_CREATED: '下单',
  PREPAY_REQUESTED: '请求预支付',
  PREPAY_CREATED: '预支付单已创建',
  PREPAY_REUSED: '复用预支付单',
  PREPAY_FAILED: '预支付失败',
  NOTIFY_RECEIVED: '收到支付通知',
  NOTIFY_REJECTED: '支付通知被拒绝',
  NOTIFY_DUPLICATE: '重复的支付通知',
  QUERY_SENT: '查询微信支付',
  QUERY_RESULT: '查询结果',
  QUERY_FAILED: '查询失败',
  PAYMENT_SETTLED: '支付成功',
  PAYMENT_MISMATCH: '支付信息不符',
  PAID_AFTER_CLOSE: '关闭后收到付款',
  CLOSE_REQUESTED: '请求关单',
  CLOSE_RESULT: '关单结果',
  ORDER_CLOSED: '订单关闭',
  STOCK_RELEASED: '释放库存',
  REFUND_REQUESTED_BY_SHOPPER: '用户申请退款',
  REFUND_REQUEST_REJECTED: '拒绝退款申请',
  REFUND_REQUESTED: '发起退款',
  REFUND_RESULT: '退款受理结果',
  REFUND_FAILED: '退款失败',
  REFUND_NOTIFY_RECEIVED: '收到退款通知',
  REFUND_SETTLED: '退款成功',
  RECONCILIATION_DIFF: '对账差异',
  SHIPPED: '已发货',
  SHIPPING_UPLOAD_SENT: '上传发货信息',
  SHIPPING_UPLOADED: '发货信息已录入微信',
  SHIPPING_UPLOAD_FAILED: '发货信息上传失败',
  SHIPPING_ORDER_QUERIED: '查询微信发货状态',
  SHIPPING_ORDER_QUERY_FAILED: '查询微信发货状态失败',
  RECEIVED: '已确认收货',
};

export function eventLabel(type: string): string {
  return (ORDER_EVENT_LABELS as Record<string, string>)[type] ?? type;
}

/** Chinese names of the payload fields admins meet most; amounts in fen are shown as ¥. */
const PAYLOAD_LABELS: Record<string, string> = {
  reason: '原因',
  by: '操作人',
  amountFen: '金额',
  totalFen: '订单金额',
  refundFen: '退款金额',
  outRefundNo: '退款单号',
  refundId: '微信退款单号',
  transactionId: '微信支付单号',
  tradeState: '交易状态',
  status: '状态',
  prepayId: '预支付单号',
  source: '来源',
  code: '错误码',
  message: '说明',
  requestId: '申请编号',
  skuId: 'SKU',
  quantity: '数量',
  paidAt: '支付时间',
  tradeTime: '交易时间',
  refundStatus: '退款状态',
  state: '状态',
};

/**
 * Chinese words for the states a payload carries: WeChat Pay's trade_state and refund status (as
 * its bill and queries give them) and the shop's own order statuses. Only for the fields that hold
 * a state, so a free-text reason that happens to read "SUCCESS" is left as written.
 */
const STATE_LABELS: Record<string, string> = {
  SUCCESS: '成功',
  REFUND: '转入退款',
  NOTPAY: '未支付',
  CLOSED: '已关闭',
  REVOKED: '已撤销',
  USERPAYING: '用户支付中',
  PAYERROR: '支付失败',
  PROCESSING: '处理中',
  ABNORMAL: '异常',
  PENDING_PAYMENT: '待支付',
  PAID: '已支付',
  PARTIALLY_REFUNDED: '部分退款',
  REFUNDED: '已退款',
};
const STATE_FIELDS = new Set(['tradeState', 'status', 'refundStatus', 'state']);

/** An instant as the BFF writes it (ISO 8601 in UTC), to be shown in Beijing time. */
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A one-line view of an event's payload (the BFF keeps no secret in it), with Chinese field names. */
export function eventSummary(payload: unknown, maxLength = 160): string {
  if (payload === null || payload === undefined) return '';
  if (typeof payload !== 'object') return String(payload).slice(0, maxLength);
  const parts = Object.entries(payload as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => {
      const value =
        /Fen$/.test(k) && Number.isSafeInteger(v)
          ? formatFen(v as number)
          : typeof v === 'string' && UTC_INSTANT.test(v)
            ? beijingTime(v)
            : typeof v === 'object'
              ? JSON.stringify(v)
              : typeof v === 'string' && STATE_FIELDS.has(k)
                ? (STATE_LABELS[v] ?? v)
                : String(v);
      return `${PAYLOAD_LABELS[k] ?? k}: ${value}`;
    });
  const text = parts.join(' · ');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** "2026-11-27T05:45:14.123Z" → "2026-11-27 13:45:14" in Beijing time, as the shop's day is. */
export function beijingTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return beijingWallClock(new Date(ms)).replace('T', ' ');
}
