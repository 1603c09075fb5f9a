/**
 * Scale: the same admin reads, stats, reconciliation day queries and job claims on a shop with
 * 1,000 orders and on one with 100,000 (1,000 a day over 100 days), seeded with SQL. The admin
 * reads go through the BFF process over HTTP; reconciliation's and the jobs' queries are the
 * same Prisma calls those modules make, run from the driver on a client of its own. The CSV of
 * every order is compared with a `COPY` of the same columns (the floor) and watched for memory.
 */
import { spawn } from 'node:child_process';
import { BENCH_ADMIN, preparedPostgres, startBff, type Sandboxed } from './world.js';
import { fix, httpClient, round, rssMiB, summary, withClient, type HttpClient } from './support.js';
import { openDb, type Db } from '../src/db/index.js';
import { encodeCursor } from '../src/http/cursor.js';

export interface ScaleOptions {
  sizes: [number, number];
}

const ORDERS_PER_DAY = 1000;
const USERS = 1000;

/** n orders, newest first 86.4 s apart (1,000 a day); 90 % paid, 5 % closed, 5 % unpaid; 1 % refunded. */
function seedOrders(n: number) {
  return async (exec: (sql: string) => Promise<void>) => {
    await exec(
      `INSERT INTO "User" (id, openid) SELECT gen_random_uuid(), 'o-scale-' || lpad(i::text, 6, '0') FROM generate_series(1, ${USERS}) i`,
    );
    await exec(`
      CREATE TEMP TABLE seed AS
      SELECT i, gen_random_uuid() AS id, now() - (i - 1) * interval '${86_400 / ORDERS_PER_DAY} seconds' AS at,
             CASE WHEN i % 20 = 0 THEN 'CLOSED' WHEN i % 20 = 1 THEN 'PENDING_PAYMENT'
                  WHEN i % 100 = 2 THEN 'REFUNDED' ELSE 'PAID' END AS status,
             100 + i % 5000 AS fen
      FROM generate_series(1, ${n}) i;
      INSERT INTO "Order" (id, "orderNo", "userId", status, "totalFen", "refundedFen", "expiresAt", "paidAt", "closedAt",
                           "transactionId", "prepayId", "prepayExpiresAt", "createdAt", "updatedAt")
      SELECT s.id, 'UC' || to_char(s.at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDDHH24MISS') || lpad(s.i::text, 10, '0'),
             u.id, s.status::"OrderStatus", s.fen, CASE WHEN s.status = 'REFUNDED' THEN s.fen ELSE 0 END,
             s.at + interval '30 minutes',
             CASE WHEN s.status IN ('PAID', 'REFUNDED') THEN s.at + interval '1 minute' END,
             CASE WHEN s.status = 'CLOSED' THEN s.at + interval '30 minutes' END,
             CASE WHEN s.status IN ('PAID', 'REFUNDED') THEN '4200' || lpad(s.i::text, 24, '0') END,
             'wx' || s.i, s.at + interval '2 hours', s.at, s.at
      FROM seed s JOIN "User" u ON u.openid = 'o-scale-' || lpad((1 + s.i % ${USERS})::text, 6, '0');
      INSERT INTO "OrderItem" (id, "orderId", "productId", "skuId", title, "skuTitle", "priceFen", quantity, "amountFen")
      SELECT gen_random_uuid(), s.id, k."productId", k.id, p.title, k.title, s.fen, 1, s.fen
      FROM seed s, (SELECT * FROM "Sku" ORDER BY id LIMIT 1) k JOIN "Product" p ON p.id = k."productId";
      INSERT INTO "OrderEvent" ("orderId", type, payload, "createdAt")
      SELECT s.id, 'ORDER_CREATED', jsonb_build_object('totalFen', s.fen), s.at FROM seed s;
      INSERT INTO "OrderEvent" ("orderId", type, payload, "createdAt")
      SELECT s.id, 'PAYMENT_SETTLED', jsonb_build_object('source', 'notify'), s.at + interval '1 minute'
      FROM seed s WHERE s.status IN ('PAID', 'REFUNDED');
      INSERT INTO "Refund" (id, "orderId", "outRefundNo", "refundId", "amountFen", reason, status, "requestedBy",
                            "succeededAt", "createdAt", "updatedAt")
      SELECT gen_random_uuid(), s.id, 'RF' || lpad(s.i::text, 10, '0'), '5030' || lpad(s.i::text, 24, '0'), s.fen,
             'bench', 'SUCCESS', 'admin', s.at + interval '2 hours', s.at + interval '1 hour', s.at + interval '2 hours'
      FROM seed s WHERE s.status = 'REFUNDED';
      DROP TABLE seed;
      ANALYZE;`);
  };
}

/**
 * The fastest of `runs` timings after a warm-up: on a shared machine every other figure mostly
 * measures the neighbours; the minimum is the closest to what the query itself costs.
 */
async function timedMs(fn: () => Promise<unknown>, runs: number): Promise<number> {
  await fn(); // warm: plans, pools, JIT
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return summary(times).min;
}

const BEIJING_MS = 8 * 3600_000;

interface Probe {
  middle: { id: string; createdAt: Date; orderNo: string; transactionId: string; openid: string };
  billDate: string;
}

async function probe(url: string, n: number): Promise<Probe> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<Probe['middle']>(
      `SELECT o.id, o."createdAt", o."orderNo", o."transactionId", u.openid
       FROM "Order" o JOIN "User" u ON u.id = o."userId"
       WHERE o."transactionId" IS NOT NULL
       ORDER BY o."createdAt" DESC, o.id DESC OFFSET ${Math.floor(n / 2)} LIMIT 1`,
    );
    const middle = rows[0]!;
    const billDate = new Date(middle.createdAt.getTime() + BEIJING_MS).toISOString().slice(0, 10);
    return { middle, billDate };
  });
}

/** The queries reconciliation runs for one bill day (reconcile.ts), as it runs them. */
async function reconciliationDay(db: Db, billDate: string) {
  const gte = new Date(Date.parse(`${billDate}T00:00:00+08:00`));
  const range = { gte, lt: new Date(gte.getTime() + 86_400_000) };
  const select = { orderNo: true, status: true, totalFen: true, transactionId: true, paidAt: true } as const;
  await db.prisma.order.count({ where: { paidAt: range } });
  const paid = await db.prisma.order.findMany({ where: { paidAt: range }, select });
  await db.prisma.order.findMany({ where: { orderNo: { in: paid.slice(0, 500).map((o) => o.orderNo) } }, select });
  await db.prisma.refund.findMany({
    where: { createdAt: range, refundId: { not: null } },
    include: { order: { select: { orderNo: true } } },
  });
}

class Rollback extends Error {}

/** The two claims of the payment jobs (payment-jobs.ts), rolled back so every run sees the same rows. */
async function jobClaims(db: Db, now: Date) {
  const leaseBefore = new Date(now.getTime() - 60_000);
  await db.prisma
    .$transaction(async (tx) => {
      await tx.$queryRaw`
        SELECT id FROM "Order"
        WHERE status = 'PENDING_PAYMENT' AND "prepayId" IS NOT NULL
          AND "expiresAt" > ${now}
          AND "createdAt" <= ${new Date(now.getTime() - 60_000)}
          AND ("lastQueriedAt" IS NULL OR "lastQueriedAt" < ${leaseBefore})
        ORDER BY "createdAt" LIMIT 50
        FOR UPDATE SKIP LOCKED`;
      await tx.$queryRaw`
        SELECT id FROM "Order"
        WHERE status = 'PENDING_PAYMENT' AND "expiresAt" <= ${now}
          AND ("lastQueriedAt" IS NULL OR "lastQueriedAt" < ${leaseBefore})
        ORDER BY "expiresAt" LIMIT 50
        FOR UPDATE SKIP LOCKED`;
      throw new Rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Rollback)) throw err;
    });
}

/** `COPY` of the CSV's columns, through psql to /dev/null: what the database alone needs. */
function copyFloor(url: string): Promise<number> {
  const sql = `COPY (SELECT o."orderNo", o.status, u.openid, o."totalFen", o."refundedFen",
      (SELECT string_agg(i.title || ' ' || i."skuTitle" || ' x' || i.quantity, '; ') FROM "OrderItem" i WHERE i."orderId" = o.id),
      o."transactionId", o."createdAt", o."paidAt", o."closedAt", o.remark
    FROM "Order" o JOIN "User" u ON u.id = o."userId" ORDER BY o."createdAt" DESC, o.id DESC) TO STDOUT WITH CSV`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('psql', ['-X', '-q', '-d', url, '-c', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`psql exited ${code}`))));
  });
}

interface CsvFigure {
  ms: number;
  bytes: number;
  rssBefore: number;
  rssPeak: number;
}

async function csvExport(http: HttpClient, token: string, pid: number): Promise<CsvFigure> {
  const rssBefore = rssMiB(pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(pid))), 20);
  const t0 = performance.now();
  try {
    const res = await http.request('GET', '/api/admin/orders.csv', { authorization: `Bearer ${token}` });
    if (res.status !== 200) throw new Error(`csv: ${res.status} ${res.body.slice(0, 300)}`);
    return { ms: performance.now() - t0, bytes: Buffer.byteLength(res.body), rssBefore, rssPeak };
  } finally {
    clearInterval(sampler);
  }
}

interface SizeFigures {
  n: number;
  rows: Map<string, number>;
  csv: CsvFigure;
  copyMs: number;
}

async function measureSize(w: Sandboxed, n: number): Promise<SizeFigures> {
  const t0 = performance.now();
  const { url } = await preparedPostgres(`scale${n}`, seedOrders(n));
  process.stderr.write(`  seeded ${n} orders in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const p = await probe(url, n);
  const bff = await startBff(`scale${n}`, w, { DATABASE_URL: url });
  const http = httpClient(bff.ready, 4);
  const db = await openDb({ databaseUrl: url });
  const rows = new Map<string, number>();
  try {
    const login = await http.request(
      'POST',
      '/api/admin/login',
      { 'content-type': 'application/json' },
      JSON.stringify(BENCH_ADMIN),
    );
    if (login.status !== 200) throw new Error(`admin login: ${login.status} ${login.body}`);
    const token = (JSON.parse(login.body) as { token: string }).token;
    const get = (path: string) => async () => {
      const res = await http.request('GET', path, { authorization: `Bearer ${token}` });
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${res.body.slice(0, 300)}`);
      return res;
    };
    const cursor = encodeCursor([p.middle.createdAt.toISOString(), p.middle.id]);
    const probes: [string, () => Promise<unknown>][] = [
      ['admin list, first page', get('/api/admin/orders')],
      ['admin list, cursor in the middle', get(`/api/admin/orders?cursor=${cursor}`)],
      ['admin search, orderNo', get(`/api/admin/orders?q=${p.middle.orderNo}`)],
      ['admin search, orderNo prefix (one hour)', get(`/api/admin/orders?q=${p.middle.orderNo.slice(0, 12)}`)],
      ['admin search, transactionId', get(`/api/admin/orders?q=${p.middle.transactionId}`)],
      ['admin search, openid', get(`/api/admin/orders?q=${p.middle.openid}`)],
      ['admin order detail (with events)', get(`/api/admin/orders/${p.middle.orderNo}`)],
      ['admin stats (14 days)', get('/api/admin/stats')],
      [`reconciliation's day queries (${p.billDate})`, () => reconciliationDay(db, p.billDate)],
      ["payment jobs' claims (late, expired)", () => jobClaims(db, new Date())],
    ];
    for (const [name, fn] of probes) rows.set(name.replace(/ \(\d{4}-\d\d-\d\d\)$/, ''), await timedMs(fn, 7));
    const csv = await csvExport(http, token, bff.pid);
    const copyMs = summary([await copyFloor(url), await copyFloor(url), await copyFloor(url)]).min;
    return { n, rows, csv, copyMs };
  } finally {
    http.close();
    await db.close();
    await bff.stop();
  }
}

export async function scale(w: Sandboxed, o: ScaleOptions): Promise<string> {
  const [small, large] = [await measureSize(w, o.sizes[0]), await measureSize(w, o.sizes[1])];
  const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
  const lines = [
    `### Scale: ${k(small.n)} vs ${k(large.n)} orders (${ORDERS_PER_DAY} a day), fastest of 7 after a warm-up, ms`,
    '',
    `| read | ${k(small.n)} | ${k(large.n)} | ${k(large.n)} / ${k(small.n)} (goal ≤ 1.5) |`,
    '|---|---|---|---|',
  ];
  for (const [name, ms] of small.rows) {
    const big = large.rows.get(name)!;
    lines.push(`| ${name} | ${fix(ms, 1)} | ${fix(big, 1)} | **${fix(big / ms)}** |`);
  }
  lines.push(
    '',
    `### CSV of every order (one run) vs a \`COPY\` of the same columns (psql to /dev/null, fastest of 3)`,
    '',
    '| orders | CSV ms | COPY ms | CSV / COPY (goal ≤ 3) | CSV MiB | BFF RSS before → peak, MiB |',
    '|---|---|---|---|---|---|',
  );
  for (const s of [small, large]) {
    lines.push(
      `| ${k(s.n)} | ${round(s.csv.ms)} | ${round(s.copyMs)} | **${fix(s.csv.ms / s.copyMs)}** | ${fix(s.csv.bytes / 2 ** 20, 1)} | ${round(s.csv.rssBefore)} → ${round(s.csv.rssPeak)} (+${round(s.csv.rssPeak - s.csv.rssBefore)}) |`,
    );
  }
  lines.push(
    '',
    `CSV time ${k(large.n)} / ${k(small.n)}: ${fix(large.csv.ms / small.csv.ms, 1)} for ×${large.n / small.n} rows`,
  );
  return lines.join('\n');
}
