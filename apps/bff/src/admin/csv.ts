import type { Response } from 'express';
import {
  ORDER_STATUS_LABELS,
  formatAddressLine,
  formatFen,
  shanghaiDate,
  toRfc3339Beijing,
  type OrderAddress,
  type OrderStatus,
} from '@uni-checkout/shared';
import QueryStream from 'pg-query-stream';
import { dbDriver, type Db } from '../db/index.js';
import { orderAddress } from '../orders/fulfilment-view.js';
import { adminOrdersFilter, adminOrdersSql, type AdminOrdersFilter, type AdminOrdersQuery } from './orders.js';

/** Excel opens UTF-8 (Chinese titles) correctly only with a byte order mark. */
export const UTF8_BOM = '\uFEFF';

/**
 * One CSV cell, always quoted (RFC 4180): a `;` or tab splits unquoted cells in locales whose
 * separator it is. A spreadsheet reads a formula at the start of any such piece (OWASP CSV
 * injection: = + - @), so one there gets a leading apostrophe, after every separator too.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '""';
  if (typeof value !== 'string') return `"${value}"`;
  // most cells hold none of these: one test instead of two replaces (the export's hot loop)
  if (!NEEDS_WORK.test(value)) return `"${value}"`;
  return `"${value.replace(FORMULA_START, "$1'$2").replace(/"/g, '""')}"`;
}
const NEEDS_WORK = /[=+\-@"]/;
const FORMULA_START = /(^|[,;\t\r\n|])([=+\-@])/g;

const yuan = (fen: number) => formatFen(fen).replace('¥', '');

/** One order as the export reads it: the columns below, straight from one SQL query. */
export interface CsvOrderRow {
  id: string;
  orderNo: string;
  status: string;
  openid: string;
  totalFen: number;
  refundedFen: number;
  items: string | null;
  transactionId: string | null;
  createdAt: Date;
  paidAt: Date | null;
  closedAt: Date | null;
  remark: string | null;
  fulfilmentStatus: string;
  /** the JSONB address snapshot, read back through orderAddress */
  address: unknown;
  logisticsType: string | null;
  expressCompany: string | null;
  trackingNo: string | null;
  shippedAt: Date | null;
  receivedAt: Date | null;
  uploadState: string | null;
}

/** the address cells read the snapshot parsed once per row (`a`) */
const COLUMNS: [header: string, cell: (o: CsvOrderRow, a: OrderAddress | null) => string | number | null][] = [
  ['orderNo 订单号', (o) => o.orderNo],
  ['status 状态', (o) => o.status],
  ['statusLabel 状态说明', (o) => ORDER_STATUS_LABELS[o.status as OrderStatus]],
  ['openid', (o) => o.openid],
  ['totalFen 订单金额(分)', (o) => o.totalFen],
  ['totalYuan 订单金额(元)', (o) => yuan(o.totalFen)],
  ['refundedFen 已退款(分)', (o) => o.refundedFen],
  ['refundedYuan 已退款(元)', (o) => yuan(o.refundedFen)],
  ['items 商品', (o) => o.items ?? ''],
  ['transactionId 微信支付订单号', (o) => o.transactionId],
  // Beijing time with its offset, as WeChat Pay's own bills and the shop's day read
  ['createdAt 下单时间(北京时间)', (o) => toRfc3339Beijing(o.createdAt)],
  ['paidAt 支付时间(北京时间)', (o) => (o.paidAt ? toRfc3339Beijing(o.paidAt) : null)],
  ['closedAt 关闭时间(北京时间)', (o) => (o.closedAt ? toRfc3339Beijing(o.closedAt) : null)],
  ['remark 备注', (o) => o.remark],
  ['fulfilmentStatus 履约状态', (o) => o.fulfilmentStatus],
  ['receiver 收货人', (_o, a) => a?.name ?? null],
  ['phone 电话', (_o, a) => a?.phone ?? null],
  ['address 收货地址', (_o, a) => (a ? formatAddressLine(a) : null)],
  ['logisticsType 配送方式', (o) => o.logisticsType],
  ['expressCompany 快递公司', (o) => o.expressCompany],
  ['trackingNo 运单号', (o) => o.trackingNo],
  ['shippedAt 发货时间(北京时间)', (o) => (o.shippedAt ? toRfc3339Beijing(o.shippedAt) : null)],
  ['receivedAt 收货时间(北京时间)', (o) => (o.receivedAt ? toRfc3339Beijing(o.receivedAt) : null)],
  ['shippingUpload 发货信息上传', (o) => o.uploadState],
];

/** Rows fetched (PostgreSQL: per cursor read; PGlite: per keyset page) and CSV bytes per write. */
const BATCH_ROWS = 1000;
const CHUNK_BYTES = 64 * 1024;

export const csvLine = (cells: (string | number | null)[]) => cells.map(csvCell).join(',') + '\r\n';

function exportSql(where: string, keyset = '') {
  return `SELECT o.id, o."orderNo", o.status::text AS status, u.openid, o."totalFen", o."refundedFen",
      (SELECT string_agg(i.title || ' ' || i."skuTitle" || ' x' || i.quantity, '; ' ORDER BY i.id)
         FROM "OrderItem" i WHERE i."orderId" = o.id) AS items,
      o."transactionId", o."createdAt", o."paidAt", o."closedAt", o.remark,
      o."fulfilmentStatus"::text AS "fulfilmentStatus", o.address,
      sh."logisticsType"::text AS "logisticsType", sh."expressCompany", sh."trackingNo", sh."shippedAt",
      sh."receivedAt", sh."uploadState"::text AS "uploadState"
    FROM "Order" o JOIN "User" u ON u.id = o."userId"
      LEFT JOIN "Shipment" sh ON sh."orderId" = o.id
    WHERE ${where}${keyset}
    ORDER BY o."createdAt" DESC, o.id DESC`;
}

/**
 * Every matching order, newest first, as one query: on PostgreSQL a server-side cursor read
 * BATCH_ROWS at a time (the connection is held for the export); on the embedded PGlite, keyset
 * pages of the same query. Either way only one batch is in memory.
 */
async function* exportRows(db: Db, filter: AdminOrdersFilter): AsyncGenerator<CsvOrderRow> {
  const { where, params } = adminOrdersSql(filter);
  const driver = dbDriver(db);
  if (driver.kind === 'postgres') {
    const client = await driver.pool.connect();
    const stream = client.query(new QueryStream(exportSql(where), params, { batchSize: BATCH_ROWS }));
    try {
      for await (const row of stream) yield row as CsvOrderRow;
    } finally {
      stream.destroy();
      client.release();
    }
    return;
  }
  let last: CsvOrderRow | undefined;
  for (;;) {
    const n = params.length;
    const keyset = last
      ? ` AND o."createdAt" <= $${n + 1} AND (o."createdAt" < $${n + 1} OR o.id < $${n + 2}::uuid)`
      : '';
    const { rows } = await driver.pglite.query<CsvOrderRow>(
      `${exportSql(where, keyset)} LIMIT ${BATCH_ROWS}`,
      last ? [...params, last.createdAt, last.id] : params,
    );
    yield* rows;
    if (rows.length < BATCH_ROWS) return;
    last = rows.at(-1);
  }
}

/** Streams every matching order as CSV in one query, honouring back-pressure. */
export async function streamOrdersCsv(db: Db, query: AdminOrdersQuery, res: Response): Promise<void> {
  // filters are checked and the first rows read before anything is sent, so bad input still gets a JSON error
  const rows = exportRows(db, await adminOrdersFilter(db.prisma, query));
  let first: IteratorResult<CsvOrderRow>;
  try {
    first = await rows.next();
  } catch (err) {
    await rows.return(undefined);
    throw err;
  }
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  const stamp = shanghaiDate(new Date()); // the shop's day, not UTC's
  res.setHeader('Content-Disposition', `attachment; filename="orders-${stamp}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  try {
    let chunk = UTF8_BOM + csvLine(COLUMNS.map(([h]) => h));
    for (let next = first; !next.done; next = await rows.next()) {
      const a = orderAddress(next.value);
      chunk += csvLine(COLUMNS.map(([, cell]) => cell(next.value, a)));
      if (chunk.length >= CHUNK_BYTES) {
        await write(res, chunk);
        chunk = '';
        if (res.destroyed) break;
      }
    }
    if (chunk && !res.destroyed) await write(res, chunk);
  } catch (err) {
    // the status line is gone already: cut the connection so the client sees a broken download, not a short file
    res.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    await rows.return(undefined);
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
