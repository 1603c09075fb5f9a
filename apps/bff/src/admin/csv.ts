import type { Response } from 'express';
import { ORDER_STATUS_LABELS, formatAddressLine, formatFen, type OrderStatus } from '@uni-checkout/shared';
import { orderAddress } from '../orders/fulfilment-view.js';
import type { PrismaClient } from '../db/index.js';
import { adminOrdersPage, type AdminOrdersQuery } from './orders.js';
import type { OrderWithRelations } from './serialize.js';

/** Excel opens UTF-8 (Chinese titles) correctly only with a byte order mark. */
export const UTF8_BOM = '\uFEFF';

/**
 * One CSV cell (RFC 4180 quoting). A cell a spreadsheet would read as a formula gets a leading
 * apostrophe (OWASP CSV injection): = + - @, and tab / carriage return.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const yuan = (fen: number) => formatFen(fen).replace('¥', '');

const COLUMNS: [header: string, cell: (o: OrderWithRelations) => string | number | null][] = [
  ['orderNo 订单号', (o) => o.orderNo],
  ['status 状态', (o) => o.status],
  ['statusLabel 状态说明', (o) => ORDER_STATUS_LABELS[o.status as OrderStatus]],
  ['openid', (o) => o.user.openid],
  ['totalFen 订单金额(分)', (o) => o.totalFen],
  ['totalYuan 订单金额(元)', (o) => yuan(o.totalFen)],
  ['refundedFen 已退款(分)', (o) => o.refundedFen],
  ['refundedYuan 已退款(元)', (o) => yuan(o.refundedFen)],
  ['items 商品', (o) => o.items.map((i) => `${i.title} ${i.skuTitle} x${i.quantity}`).join('; ')],
  ['transactionId 微信支付订单号', (o) => o.transactionId],
  ['createdAt 下单时间', (o) => o.createdAt.toISOString()],
  ['paidAt 支付时间', (o) => o.paidAt?.toISOString() ?? null],
  ['closedAt 关闭时间', (o) => o.closedAt?.toISOString() ?? null],
  ['remark 备注', (o) => o.remark],
  ['fulfilmentStatus 履约状态', (o) => o.fulfilmentStatus],
  ['receiver 收货人', (o) => orderAddress(o)?.name ?? null],
  ['phone 电话', (o) => orderAddress(o)?.phone ?? null],
  [
    'address 收货地址',
    (o) => {
      const a = orderAddress(o);
      return a ? formatAddressLine(a) : null;
    },
  ],
  ['logisticsType 配送方式', (o) => o.shipment?.logisticsType ?? null],
  ['expressCompany 快递公司', (o) => o.shipment?.expressCompany ?? null],
  ['trackingNo 运单号', (o) => o.shipment?.trackingNo ?? null],
  ['shippedAt 发货时间', (o) => o.shipment?.shippedAt.toISOString() ?? null],
  ['receivedAt 收货时间', (o) => o.shipment?.receivedAt?.toISOString() ?? null],
  ['shippingUpload 发货信息上传', (o) => o.shipment?.uploadState ?? null],
];

const PAGE_SIZE = 200;

export const csvLine = (cells: (string | number | null)[]) => cells.map(csvCell).join(',') + '\r\n';

/** Streams every matching order page by page (keyset cursor), honouring back-pressure. */
export async function streamOrdersCsv(prisma: PrismaClient, query: AdminOrdersQuery, res: Response): Promise<void> {
  // the first page is read before anything is sent, so bad filters still get a JSON error
  let page = await adminOrdersPage(prisma, query, PAGE_SIZE);
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  const stamp = new Date().toISOString().slice(0, 10);
  res.setHeader('Content-Disposition', `attachment; filename="orders-${stamp}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  try {
    await write(res, UTF8_BOM + csvLine(COLUMNS.map(([h]) => h)));
    for (;;) {
      if (page.rows.length)
        await write(res, page.rows.map((o) => csvLine(COLUMNS.map(([, cell]) => cell(o)))).join(''));
      if (!page.nextCursor || res.destroyed) break;
      page = await adminOrdersPage(prisma, { ...query, cursor: page.nextCursor }, PAGE_SIZE);
    }
  } catch (err) {
    // the status line is gone already: cut the connection so the client sees a broken download, not a short file
    res.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
  res.end();
}

function write(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      res.off('error', reject);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
    res.once('error', reject);
  });
}
