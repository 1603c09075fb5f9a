import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import { CopyBinaryValues, copyCsvSql, formattedCsv, type CsvOrderRow, type RowQuery } from '../../src/admin/csv.js';
import type { AdminOrdersFilter } from '../../src/admin/orders.js';
import { dbDriver } from '../../src/db/index.js';
import { createTestDb, type TestDb } from '../support/db.js';

/**
 * On PostgreSQL the export is one COPY whose lines PostgreSQL formats; it must give the very bytes
 * the JavaScript formatting gives (PGlite's path), nasty values included.
 */
describe('orders CSV: COPY formatted by PostgreSQL = the JavaScript formatting', { timeout: 60_000 }, () => {
  let db: TestDb;
  let pool: import('pg').Pool;
  let userId: string;

  const NASTY = [
    '=SUM(A1)',
    '+86 138',
    '-1',
    '@cmd',
    'a,=b;+c\t-d\r\n@e|=f',
    '"quoted" "twice"',
    'line one\nline two\r\nline three',
    '中文备注，=全角逗号之后不算；分号也不算',
    "back\\slash \\= and 'apostrophe'",
    '==double',
    ',=,=',
    '',
    ' =space first',
    '😀 emoji',
  ];

  beforeAll(async () => {
    db = await createTestDb('postgres', { seed: true });
    const driver = dbDriver(db);
    if (driver.kind !== 'postgres') throw new Error('expected PostgreSQL');
    pool = driver.pool;
    const sku = await db.prisma.sku.findFirstOrThrow({ include: { product: true } });
    const users = await Promise.all(
      ['o-plain', '=openid', 'o,"x"'].map((openid) => db.prisma.user.create({ data: { openid } })),
    );
    userId = users[0]!.id;
    const addresses: unknown[] = [
      {
        name: '张三',
        phone: '13800000000',
        province: '北京市',
        city: '北京市',
        district: '朝阳区',
        detail: '=HYPERLINK("x")',
        postalCode: null,
      },
      {
        name: '=李四',
        phone: '+8613900000000',
        province: '广东省',
        city: '深圳市',
        district: '',
        detail: '南山区, 科技园 "A" 栋\n3 楼',
        postalCode: '518000',
        extra: 'kept out',
      },
      { name: 'no postal code', phone: '1', province: 'p', city: 'c', district: 'd', detail: 'x' },
      { name: 'phone a number', phone: 138, province: 'p', city: 'c', district: 'd', detail: 'x', postalCode: null },
      { name: '', phone: '', province: '', city: '', district: '', detail: '', postalCode: null },
      null,
      'a string',
      [1, 2],
    ];
    // times on both sides of midnight in Beijing, with milliseconds that must be cut, not rounded
    const base = Date.parse('2026-03-01T15:59:59.999Z');
    let i = 0;
    for (const remark of [...NASTY, null]) {
      for (const status of ['PENDING_PAYMENT', 'PAID', 'CLOSED', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const) {
        i++;
        const at = new Date(base + i * 61_001);
        const paid = status !== 'PENDING_PAYMENT' && status !== 'CLOSED';
        const totalFen = [1, 5, 10, 99, 100, 101, 123456, 2_000_000_000][i % 8]!;
        const order = await db.prisma.order.create({
          data: {
            orderNo: `UC${String(i).padStart(6, '0')}${i % 7 === 0 ? '=' : ''}`,
            userId: users[i % users.length]!.id,
            status,
            totalFen,
            refundedFen:
              status === 'REFUNDED' ? totalFen : status === 'PARTIALLY_REFUNDED' ? Math.floor(totalFen / 3) : 0,
            remark,
            expiresAt: at,
            createdAt: at,
            paidAt: paid ? new Date(at.getTime() + 1500) : null,
            closedAt: status === 'CLOSED' ? at : null,
            transactionId: paid ? `${i % 4 === 0 ? '@' : '42'}${i}` : null,
            address: addresses[i % addresses.length] as never,
            fulfilmentStatus: i % 3 === 0 ? 'SHIPPED' : 'UNSHIPPED',
          },
        });
        const titles = [
          [NASTY[i % NASTY.length]!, 'x'],
          [sku.product.title, NASTY[(i + 3) % NASTY.length]!],
        ];
        for (const [title, skuTitle] of titles.slice(0, (i % 3) + 0)) {
          await db.prisma.orderItem.create({
            data: {
              orderId: order.id,
              productId: sku.productId,
              skuId: sku.id,
              title,
              skuTitle,
              priceFen: 1,
              quantity: (i % 5) + 1,
              amountFen: 1,
            },
          });
        }
        if (i % 3 === 0) {
          await db.prisma.shipment.create({
            data: {
              orderId: order.id,
              logisticsType: i % 2 ? 'EXPRESS' : 'SELF_PICKUP',
              expressCompany: i % 2 ? NASTY[i % NASTY.length]! : null,
              trackingNo: i % 2 ? `-SF${i}` : null,
              itemDesc: 'x',
              shippedBy: 'admin',
              shippedAt: new Date(at.getTime() + 86_400_123),
              receivedAt: i % 4 === 0 ? new Date(at.getTime() + 2 * 86_400_000) : null,
            },
          });
        }
      }
    }
  });
  afterAll(() => db?.close());

  const query: RowQuery = async (sql, params) => {
    const { rows } = await pool.query<CsvOrderRow>(sql, params);
    return { rows };
  };
  async function viaJs(filter: AdminOrdersFilter) {
    let s = '';
    for await (const chunk of formattedCsv(query, filter)) s += chunk;
    return s;
  }
  async function viaCopy(filter: AdminOrdersFilter) {
    const client = await pool.connect();
    const chunks: Buffer[] = [];
    try {
      await pipeline(
        client.query(copyTo(copyCsvSql(client, filter))),
        new CopyBinaryValues(),
        new Writable({
          write(chunk: Buffer, _e, done) {
            chunks.push(chunk);
            done();
          },
        }),
      );
    } finally {
      client.release();
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  it.each<[string, () => AdminOrdersFilter]>([
    ['every order', () => ({})],
    ['by status', () => ({ status: 'PAID' })],
    ['by created time', () => ({ from: new Date('2026-03-01T16:10:00Z'), to: new Date('2026-03-01T16:40:00.5Z') })],
    ['by fulfilment', () => ({ fulfilmentStatus: 'UNSHIPPED' })],
    ["by product, with ' and \\ in it", () => ({ product: "back\\slash \\= and 'apos" })],
    ['by search', () => ({ search: { text: 'UC00001', userId } })],
  ])('%s', async (_name, filter) => {
    const js = await viaJs(filter());
    expect(js.length).toBeGreaterThan(0);
    expect(await viaCopy(filter())).toBe(js);
  });

  it('finds the nasty values in what both give', async () => {
    const csv = await viaJs({});
    expect(csv.split('\r\n').length).toBeGreaterThan(70);
    expect(csv).toContain(`"'=SUM(A1)"`);
    expect(csv).toContain(`"a,'=b;'+c\t'-d\r\n'@e|'=f"`);
    expect(csv).toContain(`"""quoted"" ""twice"""`);
    // a space is no separator: no apostrophe there
    expect(csv).toContain('"北京市 朝阳区 =HYPERLINK(""x"")"');
    expect(csv).toContain('"2026-03-02T00:01:01+08:00"');
  });

  it('reads the values of COPY binary however the stream is cut', async () => {
    const client = await pool.connect();
    const raw: Buffer[] = [];
    try {
      await pipeline(
        client.query(copyTo(copyCsvSql(client, {}))),
        new Writable({
          write(chunk: Buffer, _e, done) {
            raw.push(chunk);
            done();
          },
        }),
      );
    } finally {
      client.release();
    }
    const whole = Buffer.concat(raw);
    const expected = await viaJs({});
    for (const size of [1, 2, 5, 7, 19, 20, 1000]) {
      const pieces = [];
      for (let at = 0; at < whole.length; at += size) pieces.push(whole.subarray(at, at + size));
      const out: Buffer[] = [];
      await pipeline(
        Readable.from(pieces),
        new CopyBinaryValues(),
        new Writable({
          write(chunk: Buffer, _e, done) {
            out.push(chunk);
            done();
          },
        }),
      );
      expect([size, Buffer.concat(out).toString('utf8')]).toEqual([size, expected]);
    }
    // cut inside a row: an error, not a short file
    await expect(
      pipeline(
        Readable.from([whole.subarray(0, whole.length - 10)]),
        new CopyBinaryValues(),
        new Writable({ write: (_c, _e, d) => d() }),
      ),
    ).rejects.toThrow(/ended inside a row/);
  });
});
