import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { Prisma, type DbKind } from '../../src/db/index.js';
import { isTransactionConflict } from '../../src/db/sql.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { rejectionOf } from '../support/rejection.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

async function expectUniqueViolation(write: Promise<unknown>): Promise<void> {
  expect((await rejectionOf(write, Prisma.PrismaClientKnownRequestError)).code).toBe('P2002');
}

describe.each<DbKind>(['pglite', 'postgres'])('unique keys on %s', (kind) => {
  let db: TestDb;
  let userId: string;
  let orderId: string;
  beforeAll(async () => {
    db = await createTestDb(kind);
    const user = await db.prisma.user.create({ data: { openid: `o-${randomUUID()}` } });
    userId = user.id;
    const order = await db.prisma.order.create({
      data: {
        orderNo: 'UC20260101000001',
        userId,
        totalFen: 6800,
        expiresAt: new Date(Date.now() + 900_000),
        transactionId: '4200000001202601010000000001',
      },
    });
    orderId = order.id;
  });
  afterAll(() => db?.close());

  it('a serialization failure or deadlock reads as a transaction conflict through Prisma, other errors do not', async () => {
    const raise = (sqlState: string) =>
      rejectionOf(
        db.prisma.$executeRawUnsafe(`DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '${sqlState}'; END $$`),
        Error,
      );
    expect(isTransactionConflict(await raise('40001'))).toBe(true);
    expect(isTransactionConflict(await raise('40P01'))).toBe(true);
    expect(isTransactionConflict(await raise('23505'))).toBe(false);
  });

  it('orderNo (out_trade_no) is unique', async () => {
    await expectUniqueViolation(
      db.prisma.order.create({ data: { orderNo: 'UC20260101000001', userId, totalFen: 100, expiresAt: new Date() } }),
    );
  });

  it('transactionId is unique, so one WeChat payment settles one order', async () => {
    const other = await db.prisma.order.create({
      data: { orderNo: 'UC20260101000002', userId, totalFen: 100, expiresAt: new Date() },
    });
    await expectUniqueViolation(
      db.prisma.order.update({ where: { id: other.id }, data: { transactionId: '4200000001202601010000000001' } }),
    );
  });

  it('a notification id is processed once', async () => {
    await db.prisma.processedNotification.create({ data: { id: 'EV-2026-0001', eventType: 'TRANSACTION.SUCCESS' } });
    await expectUniqueViolation(
      db.prisma.processedNotification.create({ data: { id: 'EV-2026-0001', eventType: 'TRANSACTION.SUCCESS' } }),
    );
  });

  it('outRefundNo is unique', async () => {
    await db.prisma.refund.create({
      data: { orderId, outRefundNo: 'RF20260101000001', amountFen: 100, reason: '不想要了', requestedBy: 'admin' },
    });
    await expectUniqueViolation(
      db.prisma.refund.create({
        data: { orderId, outRefundNo: 'RF20260101000001', amountFen: 100, reason: '重复提交', requestedBy: 'admin' },
      }),
    );
  });

  it('an idempotency key is unique per user', async () => {
    await db.prisma.idempotencyKey.create({ data: { userId, key: 'k-1', requestHash: 'h' } });
    await expectUniqueViolation(db.prisma.idempotencyKey.create({ data: { userId, key: 'k-1', requestHash: 'h2' } }));
  });
});
