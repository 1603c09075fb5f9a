import {
  formatFen,
  isPaidStatus,
  LOGISTICS_TYPE_LABELS,
  shopperActions,
  type Order,
  type OrderStatus,
  type OrderSummary,
  type ShopperActions,
} from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { asApiError, type ApiError } from '../api/http';
import { cancelOrder, getOrder, getOrderSummary, listOrders, requestRefund } from '../api/orders';
import { closeReason } from '../utils/countdown';
import { createPagedList, type LoadStatus } from './paged-list';

export type OrdersTab = 'all' | OrderStatus | 'UNSHIPPED' | 'SHIPPED' | 'AFTER_SALE';
export const ORDERS_TABS: readonly { key: OrdersTab; label: string }[] = [
  { key: 'all', label: '全部' },
  { key: 'PENDING_PAYMENT', label: '待支付' },
  // fulfilment: 待发货 is paid and not shipped yet, 待收货 shipped and not received
  { key: 'UNSHIPPED', label: '待发货' },
  { key: 'SHIPPED', label: '待收货' },
  { key: 'PAID', label: '已支付' },
  { key: 'PARTIALLY_REFUNDED', label: '部分退款' },
  { key: 'REFUNDED', label: '已退款' },
  { key: 'CLOSED', label: '已关闭' },
  // refunded in part or whole, or a refund request waiting for its answer
  { key: 'AFTER_SALE', label: '退款售后' },
];

export type { LoadStatus } from './paged-list';

/** What the shopper may do with the order now (the state machine in @uni-checkout/shared). */
export function actionsOf(order: Order, now = new Date()): ShopperActions {
  return shopperActions(order, now);
}

/** "顺丰速运 SF7788990011": the company's name (a code only when the name is unknown) and the waybill. */
export function shipmentLine(shipment: NonNullable<Order['shipment']>): string {
  if (!shipment.trackingNo) return LOGISTICS_TYPE_LABELS[shipment.logisticsType];
  return `${shipment.expressCompanyName ?? shipment.expressCompany ?? ''} ${shipment.trackingNo}`.trim();
}

export interface TimelineEntry {
  key: string;
  label: string;
  at: string;
  detail?: string;
}

/**
 * 下单, 支付成功, 已发货 / 已收货, 订单关闭 and each refund, in the order they happened. Times alone cannot say so:
 * WeChat's success_time has whole seconds, so a payment within the second of the order would sort
 * before it. Each step keeps its place in the lifecycle (created → paid → after), and only steps of
 * the same place are ordered by time.
 */
export function shopperTimeline(order: Order): TimelineEntry[] {
  const entries: (TimelineEntry & { step: number })[] = [
    { key: 'created', label: '下单', at: order.createdAt, step: 0 },
  ];
  if (order.paidAt) entries.push({ key: 'paid', label: '支付成功', at: order.paidAt, step: 1 });
  if (order.closedAt) {
    const reason = closeReason(order);
    entries.push({
      key: 'closed',
      label: '订单关闭',
      at: order.closedAt,
      step: 2,
      ...(reason ? { detail: reason } : {}),
    });
  }
  for (const request of order.refundRequests ?? []) {
    entries.push({
      key: `ask-${request.createdAt}`,
      label: '申请退款',
      at: request.createdAt,
      detail: request.reason,
      step: 2,
    });
    if (request.status === 'REJECTED' && request.decidedAt) {
      entries.push({
        key: `rejected-${request.createdAt}`,
        label: '退款申请未通过',
        at: request.decidedAt,
        detail: request.rejectReason ? `原因：${request.rejectReason}` : undefined,
        step: 2,
      });
    }
  }
  const shipment = order.shipment;
  if (shipment) {
    entries.push({ key: 'shipped', label: '已发货', at: shipment.shippedAt, detail: shipmentLine(shipment), step: 2 });
    if (shipment.receivedAt) entries.push({ key: 'received', label: '已收货', at: shipment.receivedAt, step: 2 });
  }
  for (const refund of order.refunds) {
    const label = refund.status === 'SUCCESS' ? '退款成功' : refund.status === 'CLOSED' ? '退款关闭' : '退款处理中';
    entries.push({
      key: `refund-${refund.outRefundNo}`,
      label,
      at: refund.succeededAt ?? refund.createdAt,
      detail: `${formatFen(refund.amountFen)} · ${refund.reason}`,
      step: 2,
    });
  }
  return entries
    .sort((a, b) => a.step - b.step || Date.parse(a.at) - Date.parse(b.at))
    .map(({ step: _step, ...entry }) => entry);
}

/** The list query of a tab: a payment status, a fulfilment status, or 退款售后. */
function tabFilter(tab: OrdersTab): Parameters<typeof listOrders>[0] {
  if (tab === 'all') return {};
  if (tab === 'AFTER_SALE') return { afterSale: true };
  if (tab === 'UNSHIPPED' || tab === 'SHIPPED') return { fulfilmentStatus: tab };
  return { status: tab };
}

/** The 我的 page's entries: each a tab of the order list, with the count the BFF gives for it. */
export const SUMMARY_ENTRIES = [
  { key: 'PENDING_PAYMENT', label: '待支付', count: 'pendingPayment', icon: 'rmb-circle' },
  { key: 'UNSHIPPED', label: '待发货', count: 'toShip', icon: 'bag' },
  { key: 'SHIPPED', label: '待收货', count: 'toReceive', icon: 'car' },
  { key: 'AFTER_SALE', label: '退款售后', count: 'afterSale', icon: 'server-man' },
] as const satisfies readonly { key: OrdersTab; label: string; count: keyof OrderSummary; icon: string }[];

/** The shopper's orders, one tab (status filter) at a time, in cursor pages. */
export const useOrdersStore = defineStore('orders', () => {
  const tab = ref<OrdersTab>('all');
  const list = createPagedList<Order>({
    fetchPage: (cursor) => listOrders({ ...tabFilter(tab.value), cursor }),
    keyOf: (order) => order.orderNo,
  });

  function load(newTab: OrdersTab = tab.value): Promise<void> {
    tab.value = newTab;
    return list.load();
  }

  /** Keeps a list entry in step with a detail the shopper just saw or changed. */
  function upsert(order: Order): void {
    const i = list.items.value.findIndex((o) => o.orderNo === order.orderNo);
    if (i >= 0) list.items.value[i] = order;
  }

  /** 待支付 / 待发货 / 待收货 / 退款售后 counts (null until known; a failure keeps the last ones). */
  const summary = ref<OrderSummary | null>(null);
  async function loadSummary(): Promise<void> {
    try {
      summary.value = await getOrderSummary();
    } catch {
      // the 我的 page then shows the entries without counts
    }
  }

  return { ...list, tab, load, upsert, summary, loadSummary };
});

/** One order as its shopper sees it, and what they may do with it. */
export const useOrderDetailStore = defineStore('order-detail', () => {
  const order = ref<Order | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<ApiError | null>(null);
  const busy = ref(false);

  const actions = computed(() => (order.value ? actionsOf(order.value) : null));
  const timeline = computed(() => (order.value ? shopperTimeline(order.value) : []));

  function set(value: Order): void {
    order.value = value;
    useOrdersStore().upsert(value);
  }

  async function load(orderNo: string): Promise<void> {
    if (order.value?.orderNo !== orderNo) order.value = null;
    status.value = 'loading';
    error.value = null;
    try {
      set(await getOrder(orderNo, { toast: false }));
      status.value = 'ready';
    } catch (cause) {
      error.value = asApiError(cause);
      status.value = 'error';
    }
  }

  async function cancel(): Promise<void> {
    if (!order.value || busy.value) return;
    busy.value = true;
    try {
      set(await cancelOrder(order.value.orderNo));
    } finally {
      busy.value = false;
    }
  }

  async function askRefund(reason: string): Promise<void> {
    if (!order.value || busy.value) return;
    busy.value = true;
    try {
      await requestRefund(order.value.orderNo, reason);
      set(await getOrder(order.value.orderNo));
    } finally {
      busy.value = false;
    }
  }

  return { order, status, error, busy, actions, timeline, load, cancel, askRefund };
});

export type PaymentCheck = 'checking' | 'paid' | 'unpaid' | 'error';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delays between polls of an unpaid order: quick at first (the notification is usually there in a second), then slower. */
export function pollDelays(timeoutMs: number, firstMs = 500, factor = 1.6, maxMs = 4000): number[] {
  const delays: number[] = [];
  let total = 0;
  let next = firstMs;
  while (total + next <= timeoutMs) {
    delays.push(next);
    total += next;
    next = Math.min(maxMs, Math.round(next * factor));
  }
  return delays;
}

/**
 * The result page's question: did the money arrive? Polls `GET /api/orders/:orderNo` (the BFF asks
 * WeChat while the order is unpaid) with backoff until it is paid or `timeoutMs` has passed.
 */
export const usePaymentResultStore = defineStore('payment-result', () => {
  const order = ref<Order | null>(null);
  const check = ref<PaymentCheck>('checking');
  const error = ref<ApiError | null>(null);
  let run = 0;

  async function poll(orderNo: string, timeoutMs = 20_000): Promise<void> {
    const mine = ++run;
    check.value = 'checking';
    error.value = null;
    const delays = [0, ...pollDelays(timeoutMs)];
    for (const delay of delays) {
      if (delay) await sleep(delay);
      if (mine !== run) return;
      try {
        const current = await getOrder(orderNo, { toast: false });
        if (mine !== run) return;
        order.value = current;
        error.value = null;
        if (isPaidStatus(current.status)) {
          check.value = 'paid';
          return;
        }
        // A closed order will not be paid by waiting.
        if (current.status === 'CLOSED') break;
      } catch (cause) {
        if (mine !== run) return;
        error.value = asApiError(cause);
        if (error.value.status === 404) break;
      }
    }
    if (mine !== run) return;
    check.value = order.value ? 'unpaid' : 'error';
  }

  function stop(): void {
    run++;
  }

  return { order, check, error, poll, stop };
});
