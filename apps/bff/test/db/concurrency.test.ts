import { randomUUID } from 'node:crypto';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { OrderStatus, Prisma, type DbKind, type PrismaClient } from '../../src/db/index.js';
import { createTestDb, type TestDb } from '../support/db.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

// PGlite is a single session, so its interactive transactions queue behind each other: allow
// the queue time on a busy machine.
const txOptions = { maxWait: 20_000, timeout: 30_000 };

async function newOrders(prisma: PrismaClient, count: number): Promise<string[]> {
  const user = await prisma.user.create({ data: { openid: `o-${randomUUID()}` } });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const order = await prisma.order.create({
      data: {
        orderNo: `UC${Date.now()}${String(i).padStart(4, '0')}`,
        userId: user.id,
        totalFen: 6800,
        expiresAt: new Date(Date.now() + 15 * 60_000),
      },
    });
    ids.push(order.id);
  }
  return ids;
}

interface ClaimedRow {
  id: string;
}

/** Claims the oldest pending order the way a close-expired-orders job would. */
function claimOne(prisma: PrismaClient, hold?: () => Promise<void>): Promise<string | undefined> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<ClaimedRow[]>`
      SELECT "id" FROM "Order"
      WHERE "status" = 'PENDING_PAYMENT'::"OrderStatus"
      ORDER BY "createdAt", "orderNo"
      LIMIT 1
      FOR UPDATE SKIP LOCKED`;
    const id = rows[0]?.id;
    if (id === undefined) return undefined;
    await hold?.();
    await tx.order.update({ where: { id }, data: { status: OrderStatus.CLOSED, closedAt: new Date() } });
    return id;
  }, txOptions);
}

describe.each<DbKind>(['pglite', 'postgres'])('concurrent writes on %s', (kind) => {
  let db: TestDb | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('a conditional updateMany moves PENDING_PAYMENT → PAID once among 20 concurrent attempts', async () => {
    db = await createTestDb(kind);
    const [orderId] = await newOrders(db.prisma, 1);
    const prisma = db.prisma;

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        prisma.order.updateMany({
          where: { id: orderId, status: OrderStatus.PENDING_PAYMENT },
          data: {
            status: OrderStatus.PAID,
            paidAt: new Date(),
            transactionId: `42000000${i}`,
            version: { increment: 1 },
          },
        }),
      ),
    );

    expect(results.map((r) => r.count).sort()).toEqual([...Array(19).fill(0), 1]);
    const order = await prisma.order.findUniqueOrThrow({ where: { id: orderId } });
    expect(order.status).toBe(OrderStatus.PAID);
    expect(order.version).toBe(1);
  });

  it('stock reserved with a conditional decrement never oversells, and the CHECK constraint backs it', async () => {
    db = await createTestDb(kind, { seed: true });
    const prisma = db.prisma;
    await prisma.sku.update({ where: { id: 'tea-longjing-50g' }, data: { stock: 5 } });

    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        prisma.sku.updateMany({
          where: { id: 'tea-longjing-50g', stock: { gte: 1 } },
          data: { stock: { decrement: 1 } },
        }),
      ),
    );

    expect(results.filter((r) => r.count === 1)).toHaveLength(5);
    expect((await prisma.sku.findUniqueOrThrow({ where: { id: 'tea-longjing-50g' } })).stock).toBe(0);
    // an unguarded decrement is refused by the database itself
    await expect(
      prisma.sku.update({ where: { id: 'tea-longjing-50g' }, data: { stock: { decrement: 1 } } }),
    ).rejects.toThrow(/Sku_stock_nonnegative/);
    expect((await prisma.sku.findUniqueOrThrow({ where: { id: 'tea-longjing-50g' } })).stock).toBe(0);
  });

  it('interactive transactions with SELECT … FOR UPDATE SKIP LOCKED hand each row to one worker', async () => {
    db = await createTestDb(kind);
    const ids = await newOrders(db.prisma, 6);
    const prisma = db.prisma;

    const claimed = await Promise.all(Array.from({ length: 4 }, () => claimOne(prisma)));

    expect(claimed.every((id) => id !== undefined)).toBe(true);
    expect(new Set(claimed).size).toBe(4);
    expect(await prisma.order.count({ where: { status: OrderStatus.CLOSED } })).toBe(4);
    expect(ids).toEqual(expect.arrayContaining(claimed as string[]));
  });

  it('an interactive transaction that throws leaves nothing behind', async () => {
    db = await createTestDb(kind);
    const [orderId] = await newOrders(db.prisma, 1);
    const prisma = db.prisma;

    await expect(
      prisma.$transaction(async (tx) => {
        await tx.order.update({ where: { id: orderId }, data: { status: OrderStatus.CLOSED } });
        await tx.orderEvent.create({ data: { orderId: orderId!, type: 'close', payload: { by: 'test' } } });
        throw new Error('WeChat said ORDERPAID');
      }, txOptions),
    ).rejects.toThrow('WeChat said ORDERPAID');

    expect((await prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe(OrderStatus.PENDING_PAYMENT);
    expect(await prisma.orderEvent.count()).toBe(0);
  });
});

describe('SKIP LOCKED between sessions on postgres', () => {
  it('a worker skips the row another open transaction holds instead of waiting for it', async () => {
    const db = await createTestDb('postgres');
    try {
      const ids = await newOrders(db.prisma, 2);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const firstHoldsLock = new Promise<void>((resolve) => (locked = resolve));

      const first = claimOne(db.prisma, async () => {
        locked();
        await released;
      });
      await firstHoldsLock;
      const second = await claimOne(db.prisma);
      release();

      expect(second).toBe(ids[1]);
      expect(await first).toBe(ids[0]);
    } finally {
      await db.close();
    }
  });

  it('the same conditional update, with Prisma.sql, reports one winner', async () => {
    const db = await createTestDb('postgres');
    try {
      const [orderId] = await newOrders(db.prisma, 1);
      const counts = await Promise.all(
        Array.from({ length: 20 }, () =>
          db.prisma.$executeRaw(
            Prisma.sql`UPDATE "Order" SET "status" = 'PAID'::"OrderStatus", "version" = "version" + 1
                       WHERE "id" = ${orderId}::uuid AND "status" = 'PENDING_PAYMENT'::"OrderStatus"`,
          ),
        ),
      );
      expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    } finally {
      await db.close();
    }
  });
});
