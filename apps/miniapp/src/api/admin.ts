import {
  shanghaiDayStart,
  shiftShanghaiDate,
  adminLoginResponseSchema,
  adminOrderSchema,
  deliveryCompanySchema,
  listSchema,
  orderStatusSchema,
  refundRequestViewSchema,
  refundSchema,
  statsSchema,
  type AdminLoginRequest,
  type AdminOrder,
  type AdminRefundRequest,
  type AdminSession,
  type DeliveryCompany,
  type FulfilmentStatus,
  type OrderStatus,
  type ShipRequest,
  type Page,
  type Stats,
} from '@uni-checkout/shared';
import { z } from 'zod';
import { getApiBase } from './config';
import { ApiError, http, toApiError } from './http';

export function adminLogin(credentials: AdminLoginRequest): Promise<AdminSession> {
  return http.post(
    '/api/admin/login',
    { ...credentials },
    {
      auth: 'none',
      parse: (body) => adminLoginResponseSchema.parse(body),
    },
  );
}

/** Trades the single-use refresh token for a new session pair (no toast: a failure means "log in"). */
export function adminRefresh(refreshToken: string): Promise<AdminSession> {
  return http.post(
    '/api/admin/refresh',
    { refreshToken },
    { auth: 'none', toast: false, parse: (body) => adminLoginResponseSchema.parse(body) },
  );
}

/** Ends the session the refresh token names at the BFF (works after the access token expired). */
export function adminLogout(refreshToken: string): Promise<unknown> {
  return http.post('/api/admin/logout', { refreshToken }, { auth: 'none', toast: false });
}

export interface AdminOrderFilters {
  status?: OrderStatus;
  /** UNSHIPPED: 待发货 (paid, not shipped yet) */
  fulfilmentStatus?: FulfilmentStatus;
  /** an orderNo (or its prefix), a WeChat transaction_id or a shopper's openid */
  q?: string;
  /** part of a product title */
  product?: string;
  /** Asia/Shanghai dates (YYYY-MM-DD), both included: orders placed from the start of `from` to the end of `to` */
  fromDate?: string;
  toDate?: string;
}

/** The list's query as the BFF reads it: the Beijing days become the instants they start and end. */
export function adminOrdersQuery(filters: AdminOrderFilters): Record<string, string | undefined> {
  return {
    status: filters.status,
    fulfilmentStatus: filters.fulfilmentStatus,
    q: filters.q,
    product: filters.product,
    from: filters.fromDate ? shanghaiDayStart(filters.fromDate).toISOString() : undefined,
    to: filters.toDate ? shanghaiDayStart(shiftShanghaiDate(filters.toDate, 1)).toISOString() : undefined,
  };
}

/** The admin's order view (with the shoppers' refund requests), as packages/shared defines it. */
const adminOrderDetailSchema = adminOrderSchema;
export type AdminOrderDetail = AdminOrder;

const adminOrderPageSchema = listSchema(adminOrderSchema);
const path = (orderNo: string) => `/api/admin/orders/${encodeURIComponent(orderNo)}`;

export function listAdminOrders(
  filters: AdminOrderFilters,
  cursor: string | null,
  limit = 20,
): Promise<Page<AdminOrder>> {
  return http.get('/api/admin/orders', {
    auth: 'admin',
    query: {
      ...adminOrdersQuery(filters),
      cursor: cursor ?? undefined,
      limit,
    },
    parse: (body) => adminOrderPageSchema.parse(body) as Page<AdminOrder>,
  });
}

/** The order with its whole trail (`events`, oldest first). */
export function getAdminOrder(orderNo: string, options: { toast?: boolean } = {}): Promise<AdminOrderDetail> {
  return http.get(path(orderNo), {
    auth: 'admin',
    toast: options.toast,
    parse: (body) => adminOrderDetailSchema.parse(body),
  });
}

const adminRefundResponseSchema = refundSchema.extend({
  order: z.object({ orderNo: z.string(), status: z.string(), refundedFen: z.number(), totalFen: z.number() }),
});
export type AdminRefundResponse = z.infer<typeof adminRefundResponseSchema>;

/** 201: WeChat accepted it (PROCESSING or SUCCESS); 202: WeChat has not answered yet, the BFF keeps asking. */
export function createAdminRefund(orderNo: string, refund: AdminRefundRequest): Promise<AdminRefundResponse> {
  return http.post(
    `${path(orderNo)}/refunds`,
    { ...refund },
    {
      auth: 'admin',
      // The refund form shows the BFF's message (e.g. REFUND_EXCEEDS_PAID) beside the button.
      toast: false,
      parse: (body) => adminRefundResponseSchema.parse(body),
    },
  );
}

/** An admin turns a shopper's refund request down; the reason is shown to the shopper. */
export function rejectRefundRequest(requestId: string, reason: string): Promise<unknown> {
  return http.post(`/api/admin/refund-requests/${encodeURIComponent(requestId)}/reject`, { reason }, { auth: 'admin' });
}

/** `from`/`to`: Asia/Shanghai dates, both included (the BFF's default: the last 14 days). */
export function getStats(range: { from?: string; to?: string } = {}): Promise<Stats> {
  return http.get('/api/admin/stats', {
    auth: 'admin',
    toast: false,
    query: { from: range.from, to: range.to },
    parse: (body) => statsSchema.parse(body),
  });
}

const refundRequestsSummarySchema = z.object({ requested: z.number().int().nonnegative() });

/** How many shoppers' refund requests wait for an admin (the badge). */
export function getRefundRequestsSummary(): Promise<{ requested: number }> {
  return http.get('/api/admin/refund-requests/summary', {
    auth: 'admin',
    toast: false,
    parse: (body) => refundRequestsSummarySchema.parse(body),
  });
}

export const refundRequestQueueItemSchema = refundRequestViewSchema.extend({
  orderNo: z.string(),
  orderStatus: orderStatusSchema,
  totalFen: z.number().int(),
  refundedFen: z.number().int(),
  openid: z.string(),
});
export type RefundRequestQueueItem = z.infer<typeof refundRequestQueueItemSchema>;

/** Shoppers' refund requests, newest first (REQUESTED: the ones still waiting). */
export function listRefundRequests(
  status: 'REQUESTED' | 'APPROVED' | 'REJECTED' | undefined,
  cursor: string | null,
  limit = 20,
): Promise<Page<RefundRequestQueueItem>> {
  return http.get('/api/admin/refund-requests', {
    auth: 'admin',
    toast: false,
    query: { status, cursor: cursor ?? undefined, limit },
    parse: (body) => listSchema(refundRequestQueueItemSchema).parse(body) as Page<RefundRequestQueueItem>,
  });
}

export const reconciliationRunSchema = z.object({
  id: z.string(),
  billDate: z.string(),
  /** RUNNING | DONE | FAILED */
  status: z.string(),
  remoteCount: z.number().int(),
  localCount: z.number().int(),
  diffCount: z.number().int(),
  error: z.string().nullable(),
  startedBy: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type ReconciliationRun = z.infer<typeof reconciliationRunSchema>;

export const reconciliationDiffSchema = z.object({
  id: z.string(),
  orderNo: z.string(),
  /** MISSING_LOCAL | MISSING_REMOTE | STATE_MISMATCH | AMOUNT_MISMATCH */
  kind: z.string(),
  local: z.unknown(),
  remote: z.unknown(),
});
export type ReconciliationDiff = z.infer<typeof reconciliationDiffSchema>;
const reconciliationDetailSchema = reconciliationRunSchema.extend({ diffs: z.array(reconciliationDiffSchema) });
export type ReconciliationDetail = z.infer<typeof reconciliationDetailSchema>;

/** Reconciliation runs against WeChat Pay's trade bill, newest first. */
export function listReconciliations(cursor: string | null, limit = 20): Promise<Page<ReconciliationRun>> {
  return http.get('/api/admin/reconciliations', {
    auth: 'admin',
    toast: false,
    query: { cursor: cursor ?? undefined, limit },
    parse: (body) => listSchema(reconciliationRunSchema).parse(body) as Page<ReconciliationRun>,
  });
}

export function getReconciliation(id: string): Promise<ReconciliationDetail> {
  return http.get(`/api/admin/reconciliations/${encodeURIComponent(id)}`, {
    auth: 'admin',
    toast: false,
    parse: (body) => reconciliationDetailSchema.parse(body),
  });
}

/** Downloads the bill of one Beijing day from WeChat Pay and compares it with the orders (again). */
export function runReconciliation(billDate: string): Promise<ReconciliationRun> {
  return http.post(
    '/api/admin/reconciliations',
    { billDate },
    { auth: 'admin', toast: false, parse: (body) => reconciliationRunSchema.parse(body) },
  );
}

/** Where `GET /api/admin/orders.csv` lives for these filters (it needs the admin's bearer token). */
export function ordersCsvUrl(filters: AdminOrderFilters): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(adminOrdersQuery(filters))) if (value) query.set(name, value);
  const qs = query.toString();
  return `${getApiBase()}/api/admin/orders.csv${qs ? `?${qs}` : ''}`;
}

/**
 * h5 only: the export is a bearer-token route, so a plain link cannot carry the token. The file is
 * fetched with it and handed to the browser as a download. Resolves with the file name.
 */
export async function downloadOrdersCsv(filters: AdminOrderFilters, adminToken: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(ordersCsvUrl(filters), { headers: { Authorization: `Bearer ${adminToken}` } });
  } catch (cause) {
    throw new ApiError('NETWORK_ERROR', '网络连接失败，请检查网络后重试', 0, String(cause));
  }
  if (!res.ok) {
    const body: unknown = await res.json().catch(() => null);
    throw toApiError(res.status, body);
  }
  const blob = await res.blob();
  const name = `orders-${new Date().toISOString().slice(0, 10)}.csv`;
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}

/** 待发货, 待收货 and failed shipping-info uploads, counted. */
export const fulfilmentSummarySchema = z.object({
  toShip: z.number().int(),
  shipped: z.number().int(),
  uploadFailed: z.number().int(),
});
export type FulfilmentSummary = z.infer<typeof fulfilmentSummarySchema>;

export function getFulfilmentSummary(): Promise<FulfilmentSummary> {
  return http.get('/api/admin/fulfilment/summary', {
    auth: 'admin',
    toast: false,
    parse: (body) => fulfilmentSummarySchema.parse(body),
  });
}

export function listDeliveryCompanies(): Promise<DeliveryCompany[]> {
  return http.get('/api/admin/delivery-companies', {
    auth: 'admin',
    parse: (body) => listSchema(deliveryCompanySchema).parse(body).items,
  });
}

export function shipOrder(orderNo: string, request: ShipRequest): Promise<AdminOrderDetail> {
  return http.post(
    `${path(orderNo)}/ship`,
    { ...request },
    {
      auth: 'admin',
      toast: false,
      parse: (body) => adminOrderDetailSchema.parse(body),
    },
  );
}

/** Sends the shipping info to WeChat again now (a failed or pending upload). */
export function retryShippingUpload(orderNo: string): Promise<AdminOrderDetail> {
  return http.post(
    `${path(orderNo)}/shipping-upload`,
    {},
    {
      auth: 'admin',
      parse: (body) => adminOrderDetailSchema.parse(body),
    },
  );
}
