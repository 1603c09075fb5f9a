import {
  formatFen,
  parseYuanToFen,
  shanghaiDate,
  shiftShanghaiDate,
  isRefundInFlight,
  type AdminOrder,
  type OrderStatus,
  type Stats,
} from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import {
  createAdminRefund,
  downloadOrdersCsv,
  getAdminOrder,
  getReconciliation,
  getRefundRequestsSummary,
  getStats,
  listAdminOrders,
  listReconciliations,
  listRefundRequests,
  rejectRefundRequest,
  runReconciliation,
  type AdminOrderDetail,
  type AdminOrderFilters,
  type ReconciliationDetail,
  type ReconciliationRun,
  type RefundRequestQueueItem,
} from '../../api/admin';
import { ApiError, asApiError } from '../../api/http';
import { createPagedList, type LoadStatus } from '../../store/paged-list';
import { useUserStore } from '../../store/user';
import { renewAdminSession } from '../../store/admin-session';

// The session (renewal, logout, the login redirect) is used by the request interceptors, so it lives
// in the main package; the admin pages import it from here with their stores.
export { ADMIN_LOGIN_PAGE, requireAdminSession, useAdminSessionStore } from '../../store/admin-session';

/** The admin order list: status filter, search (orderNo / transaction_id / openid), cursor pages. */
export const useAdminOrdersStore = defineStore('admin-orders', () => {
  const filters = ref<AdminOrderFilters>({});
  const list = createPagedList<AdminOrder>({
    fetchPage: (cursor) => listAdminOrders(filters.value, cursor),
    keyOf: (order) => order.orderNo,
  });
  function load(next: AdminOrderFilters = filters.value): Promise<void> {
    filters.value = {
      status: next.status,
      fulfilmentStatus: next.fulfilmentStatus,
      q: next.q?.trim() || undefined,
      product: next.product?.trim() || undefined,
      fromDate: next.fromDate || undefined,
      toDate: next.toDate || undefined,
    };
    return list.load();
  }

  /** h5: the CSV of every order matching the filters, downloaded with the admin's token. */
  async function exportCsv(): Promise<string> {
    const download = () => {
      const token = useUserStore().adminToken;
      if (!token) throw new ApiError('UNAUTHORIZED', '请先登录', 401);
      return downloadOrdersCsv(filters.value, token);
    };
    try {
      try {
        return await download();
      } catch (cause) {
        // the access token expired: renew it once, as every other admin call does
        if (asApiError(cause).status !== 401 || !(await renewAdminSession())) throw cause;
        return await download();
      }
    } catch (cause) {
      const error = asApiError(cause);
      if (error.status === 401) useUserStore().clearSession('admin');
      uni.showToast({ title: error.message, icon: 'none', duration: 2500 });
      throw error;
    }
  }

  function setStatus(value: OrderStatus | undefined): Promise<void> {
    return load({ ...filters.value, status: value, fulfilmentStatus: undefined });
  }

  /** 待发货: paid orders waiting to be shipped. */
  function showToShip(): Promise<void> {
    return load({ ...filters.value, status: undefined, fulfilmentStatus: 'UNSHIPPED' });
  }

  /** Orders placed between two Beijing days (both included); an end before the start is swapped. */
  function setDates(fromDate: string | undefined, toDate: string | undefined): Promise<void> {
    const [from, to] = fromDate && toDate && fromDate > toDate ? [toDate, fromDate] : [fromDate, toDate];
    return load({ ...filters.value, fromDate: from, toDate: to });
  }

  return { ...list, filters, load, exportCsv, setStatus, showToShip, setDates };
});

/** 待处理退款申请: the shoppers' requests still waiting for an admin, and how many there are. */
export const useAdminRefundQueueStore = defineStore('admin-refund-queue', () => {
  const list = createPagedList<RefundRequestQueueItem>({
    fetchPage: (cursor) => listRefundRequests('REQUESTED', cursor),
    keyOf: (request) => request.id,
  });
  /** The badge; null until known (a failure to count leaves the badge off, never wrong). */
  const waiting = ref<number | null>(null);

  async function refreshCount(): Promise<void> {
    try {
      waiting.value = (await getRefundRequestsSummary()).requested;
    } catch {
      waiting.value = null;
    }
  }

  async function load(): Promise<void> {
    await Promise.all([list.load(), refreshCount()]);
  }

  return { ...list, waiting, refreshCount, load };
});

/** Reconciliation runs (WeChat Pay's bill of a day against the orders) and their differences. */
export const useAdminReconciliationStore = defineStore('admin-reconciliation', () => {
  const list = createPagedList<ReconciliationRun>({
    fetchPage: (cursor) => listReconciliations(cursor),
    keyOf: (run) => run.id,
  });
  const details = ref<Record<string, ReconciliationDetail>>({});
  const running = ref(false);
  const runError = ref('');

  async function open(id: string): Promise<string> {
    try {
      details.value = { ...details.value, [id]: await getReconciliation(id) };
      return '';
    } catch (cause) {
      return asApiError(cause).message;
    }
  }

  /** Reconciles one Beijing day now; answers an error sentence or ''. */
  async function run(billDate: string): Promise<string> {
    if (running.value) return '';
    running.value = true;
    runError.value = '';
    try {
      const done = await runReconciliation(billDate);
      await list.load();
      if (done.diffCount > 0) await open(done.id);
      return '';
    } catch (cause) {
      runError.value = asApiError(cause).message;
      return runError.value;
    } finally {
      running.value = false;
    }
  }

  return { ...list, details, running, runError, open, run };
});

/** Yesterday in Beijing time: the latest day WeChat Pay has a bill for. */
export function yesterdayInBeijing(now = new Date()): string {
  return shiftShanghaiDate(shanghaiDate(now), -1);
}

/**
 * "12.30" yuan → 1230 fen, with the reason it cannot be refunded as a sentence. The limit is the
 * server's `refundableFen` (packages/shared's one rule, refunds in flight counted), never worked out here.
 */
export function validateRefundAmount(
  yuan: string,
  order: Pick<AdminOrder, 'refundableFen'>,
): { fen: number } | { error: string } {
  let fen: number;
  try {
    fen = parseYuanToFen(yuan);
  } catch {
    return { error: '请输入正确的金额（如 100.50，最多两位小数）' };
  }
  if (fen <= 0) return { error: '退款金额必须大于 0' };
  const left = order.refundableFen;
  if (fen > left) return { error: `最多可退 ${formatFen(left)}` };
  return { fen };
}

/** One order with its event timeline, and the refund form. */
export const useAdminOrderStore = defineStore('admin-order', () => {
  const order = ref<AdminOrderDetail | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<ApiError | null>(null);
  const refunding = ref(false);
  const refundError = ref<string>('');
  let watchRun = 0;

  /** Shoppers' requests still waiting for an admin's refund. */
  const openRequests = computed(() => order.value?.refundRequests.filter((r) => r.status === 'REQUESTED') ?? []);
  const refundInFlight = computed(() => order.value?.refunds.some((r) => isRefundInFlight(r.status)) ?? false);
  const refundableNow = computed(() => order.value?.refundableFen ?? 0);

  async function load(orderNo: string, options: { quiet?: boolean } = {}): Promise<void> {
    if (order.value?.orderNo !== orderNo) order.value = null;
    if (!options.quiet) status.value = 'loading';
    error.value = null;
    try {
      order.value = await getAdminOrder(orderNo, { toast: false });
      status.value = 'ready';
    } catch (cause) {
      error.value = asApiError(cause);
      if (error.value.status === 401) useUserStore().clearSession('admin');
      if (!options.quiet) status.value = 'error';
    }
  }

  /**
   * While a refund is with WeChat, look again now and then (opening the order makes the BFF ask
   * WeChat about it): the admin sees PROCESSING turn into SUCCESS without reloading by hand.
   */
  async function followRefunds(orderNo: string, timeoutMs = 30_000): Promise<void> {
    const mine = ++watchRun;
    const started = Date.now();
    let delay = 700;
    while (refundInFlight.value && Date.now() - started < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (mine !== watchRun) return;
      await load(orderNo, { quiet: true });
      delay = Math.min(4000, Math.round(delay * 1.5));
    }
  }

  function stopFollowing(): void {
    watchRun++;
  }

  async function refund(yuan: string, reason: string): Promise<boolean> {
    const current = order.value;
    if (!current || refunding.value) return false;
    refundError.value = '';
    const checked = validateRefundAmount(yuan, current);
    if ('error' in checked) {
      refundError.value = checked.error;
      return false;
    }
    if (!reason.trim()) {
      refundError.value = '请填写退款原因';
      return false;
    }
    refunding.value = true;
    try {
      await createAdminRefund(current.orderNo, { amountFen: checked.fen, reason: reason.trim() });
      await load(current.orderNo, { quiet: true });
      void followRefunds(current.orderNo);
      return true;
    } catch (cause) {
      const e = asApiError(cause);
      if (e.status === 401) useUserStore().clearSession('admin');
      refundError.value = e.message;
      return false;
    } finally {
      refunding.value = false;
    }
  }

  /** Turns a shopper's request down with a reason they will read; answers an error sentence or ''. */
  async function reject(requestId: string, why: string): Promise<string> {
    const current = order.value;
    if (!current || refunding.value) return '';
    if (!why.trim()) return '请填写拒绝原因，顾客会看到它';
    refunding.value = true;
    try {
      await rejectRefundRequest(requestId, why.trim());
      await load(current.orderNo, { quiet: true });
      return '';
    } catch (cause) {
      const e = asApiError(cause);
      if (e.status === 401) useUserStore().clearSession('admin');
      return e.message;
    } finally {
      refunding.value = false;
    }
  }

  return {
    order,
    status,
    error,
    refunding,
    refundError,
    reject,
    refundInFlight,
    refundableNowFen: refundableNow,
    openRequests,
    load,
    refund,
    followRefunds,
    stopFollowing,
  };
});

export type StatsRangeKind = '7' | '14' | '30' | 'custom';

/** The days a range switch stands for, ending today (Beijing time) for 近7天 / 近14天 / 近30天. */
export function statsRange(kind: StatsRangeKind, custom: { from: string; to: string }, now = new Date()) {
  if (kind === 'custom') return custom.from <= custom.to ? custom : { from: custom.to, to: custom.from };
  const to = shanghaiDate(now);
  return { from: shiftShanghaiDate(to, -(Number(kind) - 1)), to };
}

export const useAdminStatsStore = defineStore('admin-stats', () => {
  const stats = ref<Stats | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<ApiError | null>(null);
  const kind = ref<StatsRangeKind>('14');
  const custom = ref(statsRange('30', { from: '', to: '' }));
  let generation = 0;

  async function load(): Promise<void> {
    const mine = ++generation;
    status.value = 'loading';
    error.value = null;
    try {
      const answer = await getStats(statsRange(kind.value, custom.value));
      if (mine !== generation) return;
      stats.value = answer;
      status.value = 'ready';
    } catch (cause) {
      if (mine !== generation) return;
      error.value = asApiError(cause);
      status.value = 'error';
    }
  }

  function pick(next: StatsRangeKind, range?: { from: string; to: string }): Promise<void> {
    kind.value = next;
    if (range) custom.value = range;
    return load();
  }

  return { stats, status, error, kind, custom, load, pick };
});
