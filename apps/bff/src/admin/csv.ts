import type { Response } from 'express';
import {
  ORDER_STATUS_LABELS,
  formatAddressLine,
  formatFen,
  shanghaiDate,
  toRfc3339Beijing,
  type OrderStatus,
} from '@uni-checkout/shared';
import { Transform, type TransformCallback } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
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
  let s = String(value);
  if (typeof value === 'string') s = s.replace(/(^|[,;\t\r\n|])([=+\-@])/g, "$1'$2");
  return `"${s.replace(/"/g, '""')}"`;
}

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

const COLUMNS: [header: string, cell: (o: CsvOrderRow) => string | number | null][] = [
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
  ['receiver 收货人', (o) => orderAddress(o)?.name ?? null],
  ['phone 电话', (o) => orderAddress(o)?.phone ?? null],
  [
    'address 收货地址',
    (o) => {
      const a = orderAddress(o);
      return a ? formatAddressLine(a) : null;
    },
  ],
  ['logisticsType 配送方式', (o) => o.logisticsType],
  ['expressCompany 快递公司', (o) => o.expressCompany],
  ['trackingNo 运单号', (o) => o.trackingNo],
  ['shippedAt 发货时间(北京时间)', (o) => (o.shippedAt ? toRfc3339Beijing(o.shippedAt) : null)],
  ['receivedAt 收货时间(北京时间)', (o) => (o.receivedAt ? toRfc3339Beijing(o.receivedAt) : null)],
  ['shippingUpload 发货信息上传', (o) => o.uploadState],
];

/** Rows fetched per keyset page (the JavaScript path) and CSV bytes per write. */
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

export type RowQuery = (sql: string, params: unknown[]) => Promise<{ rows: CsvOrderRow[] }>;

/** Every matching order, newest first, in keyset pages of the export query: one page in memory. */
async function* exportRows(query: RowQuery, filter: AdminOrdersFilter): AsyncGenerator<CsvOrderRow> {
  const { where, params } = adminOrdersSql(filter);
  let last: CsvOrderRow | undefined;
  for (;;) {
    const n = params.length;
    const keyset = last
      ? ` AND o."createdAt" <= $${n + 1} AND (o."createdAt" < $${n + 1} OR o.id < $${n + 2}::uuid)`
      : '';
    const { rows } = await query(
      `${exportSql(where, keyset)} LIMIT ${BATCH_ROWS}`,
      last ? [...params, last.createdAt, last.id] : params,
    );
    yield* rows;
    if (rows.length < BATCH_ROWS) return;
    last = rows.at(-1);
  }
}

/** The CSV lines (no header) of every matching order, formatted in JavaScript, about CHUNK_BYTES at a time. */
export async function* formattedCsv(query: RowQuery, filter: AdminOrdersFilter): AsyncGenerator<string> {
  let chunk = '';
  for await (const row of exportRows(query, filter)) {
    chunk += csvLine(COLUMNS.map(([, cell]) => cell(row)));
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

// The cells of COLUMNS again, each an SQL expression that yields the finished cell, quotes and all.
const sqlText = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** a cell that cannot hold a formula (numbers, enum names, times): quoted, quotes doubled */
const plainCell = (expr: string) => `'"' || replace(coalesce((${expr})::text, ''), '"', '""') || '"'`;
/** csvCell's rule for text: an apostrophe before = + - @ at the start and after every separator */
const textCell = (expr: string) =>
  plainCell(`regexp_replace(${expr}, ${sqlText('(^|[,;\t\r\n|])([=+@-])')}, ${sqlText("\\1'\\2")}, 'g')`);
/** formatFen without the ¥ (a negative amount starts with - and so gets the apostrophe too) */
const yuanCell = (fen: string) =>
  `'"' || CASE WHEN ${fen} < 0 THEN '''-' ELSE '' END || (abs(${fen}) / 100)::text || '.' || ` +
  `lpad((abs(${fen}) % 100)::text, 2, '0') || '"'`;
/** toRfc3339Beijing: the wall clock at UTC+8, whole seconds */
const beijingCell = (at: string) =>
  plainCell(`to_char((${at} AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM-DD"T"HH24:MI:SS') || '+08:00'`);
const statusLabelCell = `CASE o.status::text ${Object.entries(ORDER_STATUS_LABELS)
  .map(([status, label]) => `WHEN ${sqlText(status)} THEN ${sqlText(csvCell(label))}`)
  .join(' ')} ELSE '""' END`;
/** orderAddress: the snapshot only when orderAddressSchema accepts it (every field a string, postalCode present) */
const addressWhen = [
  `jsonb_typeof(o.address) = 'object'`,
  ...['name', 'phone', 'province', 'city', 'district', 'detail'].map(
    (f) => `jsonb_typeof(o.address -> '${f}') = 'string'`,
  ),
  `jsonb_typeof(o.address -> 'postalCode') IN ('string', 'null')`,
].join(' AND ');

const COPY_CELLS = [
  textCell('o."orderNo"'),
  plainCell('o.status'),
  statusLabelCell,
  textCell('u.openid'),
  plainCell('o."totalFen"'),
  yuanCell('o."totalFen"'),
  plainCell('o."refundedFen"'),
  yuanCell('o."refundedFen"'),
  textCell(`(SELECT string_agg(i.title || ' ' || i."skuTitle" || ' x' || i.quantity, '; ' ORDER BY i.id)
      FROM "OrderItem" i WHERE i."orderId" = o.id)`),
  textCell('o."transactionId"'),
  beijingCell('o."createdAt"'),
  beijingCell('o."paidAt"'),
  beijingCell('o."closedAt"'),
  textCell('o.remark'),
  plainCell('o."fulfilmentStatus"'),
  textCell(`a.v ->> 'name'`),
  textCell(`a.v ->> 'phone'`),
  // formatAddressLine: a municipality's city said once, empty parts left out
  textCell(`concat_ws(' ', nullif(a.v ->> 'province', ''),
      nullif(CASE WHEN a.v ->> 'city' = a.v ->> 'province' THEN '' ELSE a.v ->> 'city' END, ''),
      nullif(a.v ->> 'district', ''), nullif(a.v ->> 'detail', ''))`),
  plainCell('sh."logisticsType"'),
  textCell('sh."expressCompany"'),
  textCell('sh."trackingNo"'),
  beijingCell('sh."shippedAt"'),
  beijingCell('sh."receivedAt"'),
  plainCell('sh."uploadState"'),
];

/**
 * The export as one COPY: every line is built by PostgreSQL as a single text value and sent in
 * COPY's binary format, whose framing (a length before each value) leaves the bytes untouched,
 * so no row is parsed or formatted in JavaScript. COPY takes no bind parameters: the filter's
 * values go in as literals quoted by the driver.
 */
export function copyCsvSql(client: Pick<pg.ClientBase, 'escapeLiteral'>, filter: AdminOrdersFilter): string {
  const { where, params } = adminOrdersSql(filter);
  const literal = (value: unknown) => {
    if (value instanceof Date) return `${client.escapeLiteral(value.toISOString())}::timestamptz`;
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    if (typeof value === 'string') return client.escapeLiteral(value);
    throw new TypeError(`csv: unexpected filter value ${typeof value}`);
  };
  const inlined = where.replace(/\$(\d+)/g, (_, i: string) => literal(params[Number(i) - 1]));
  return `COPY (SELECT ${COPY_CELLS.join(` || ',' || `)} || E'\\r\\n'
    FROM "Order" o JOIN "User" u ON u.id = o."userId"
      LEFT JOIN "Shipment" sh ON sh."orderId" = o.id
      CROSS JOIN LATERAL (SELECT CASE WHEN ${addressWhen} THEN o.address END AS v) a
    WHERE ${inlined}
    ORDER BY o."createdAt" DESC, o.id DESC) TO STDOUT WITH (FORMAT binary)`;
}

/**
 * COPY's binary format down to the values of its one column: a 19-byte header (plus an extension
 * area), then per row a field count (int16), the value's length (int32) and the value, then -1.
 * Values are gathered into writes of about CHUNK_BYTES.
 */
export class CopyBinaryValues extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private started = false;
  private out: Buffer[] = [];
  private outBytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    if (!this.started) {
      if (buf.length < 19 || buf.length < 19 + buf.readUInt32BE(15)) {
        this.pending = buf;
        return done();
      }
      at = 19 + buf.readUInt32BE(15);
      this.started = true;
    }
    while (buf.length - at >= 2) {
      const fields = buf.readInt16BE(at);
      if (fields === -1) {
        at = buf.length;
        break;
      }
      if (fields !== 1) return done(new Error(`COPY binary: ${fields} fields in a row, expected 1`));
      if (buf.length - at < 6) break;
      const length = buf.readInt32BE(at + 2);
      if (length < 0) return done(new Error('COPY binary: a NULL line'));
      if (buf.length - at - 6 < length) break;
      this.out.push(buf.subarray(at + 6, at + 6 + length));
      this.outBytes += length;
      at += 6 + length;
    }
    this.pending = buf.subarray(at);
    if (this.outBytes >= CHUNK_BYTES) this.flushOut();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending.length) return done(new Error('COPY binary: the stream ended inside a row'));
    this.flushOut();
    done();
  }

  private flushOut() {
    if (!this.outBytes) return;
    this.push(Buffer.concat(this.out, this.outBytes));
    this.out = [];
    this.outBytes = 0;
  }
}

/**
 * The CSV lines (no header) of every matching order, about CHUNK_BYTES at a time: on PostgreSQL
 * one COPY on a connection held for the export, honouring back-pressure; on the embedded PGlite,
 * which has no COPY stream, keyset pages formatted in JavaScript.
 */
async function* csvBody(db: Db, filter: AdminOrdersFilter): AsyncGenerator<string | Buffer> {
  const driver = dbDriver(db);
  if (driver.kind === 'pglite') {
    const pglite = driver.pglite;
    yield* formattedCsv((sql, params) => pglite.query<CsvOrderRow>(sql, params), filter);
    return;
  }
  const client = await driver.pool.connect();
  let broken: Error | undefined;
  try {
    const copy = client.query(copyTo(copyCsvSql(client, filter)));
    const values = new CopyBinaryValues();
    copy.on('error', (err) => values.destroy(err));
    copy.pipe(values);
    try {
      for await (const chunk of values) yield chunk as Buffer;
    } finally {
      if (!copy.readableEnded) {
        // a COPY left half-read leaves the connection mid-protocol: it goes, not back to the pool
        broken = new Error('csv export stopped before the end of its COPY');
        copy.destroy();
      }
    }
  } finally {
    client.release(broken);
  }
}

/** Streams every matching order as CSV, honouring back-pressure. */
export async function streamOrdersCsv(db: Db, query: AdminOrdersQuery, res: Response): Promise<void> {
  // filters are checked and the first lines read before anything is sent, so bad input still gets a JSON error
  const body = csvBody(db, await adminOrdersFilter(db.prisma, query));
  let first: IteratorResult<string | Buffer>;
  try {
    first = await body.next();
  } catch (err) {
    await body.return(undefined);
    throw err;
  }
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  const stamp = shanghaiDate(new Date()); // the shop's day, not UTC's
  res.setHeader('Content-Disposition', `attachment; filename="orders-${stamp}.csv"`);
  res.setHeader('Cache-Control', 'no-store');
  try {
    await write(res, UTF8_BOM + csvLine(COLUMNS.map(([h]) => h)));
    for (let next = first; !next.done && !res.destroyed; next = await body.next()) await write(res, next.value);
  } catch (err) {
    // the status line is gone already: cut the connection so the client sees a broken download, not a short file
    res.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    await body.return(undefined);
  }
  res.end();
}

function write(res: Response, chunk: string | Buffer): Promise<void> {
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
