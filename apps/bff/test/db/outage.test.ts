/**
 * PostgreSQL going away under a transaction in progress (a failover, a restart, a network cut):
 * the transaction fails, the process lives on, and the pool serves the next query once the server
 * is back. A checked-out pg client whose connection ends emits 'error'; with no listener that
 * ended the whole BFF process (the reliability proof's database-outage scenario found it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, pingDb, type Db } from '../../src/db/index.js';
import { sqlTransaction } from '../../src/db/sql.js';
import { startTcpProxy, targetOf, type TcpProxy } from '../../proof/tcp-proxy.js';
import { createTestDb, type TestDb } from '../support/db.js';

describe('the database going away mid-transaction', () => {
  let testDb: TestDb;
  let proxy: TcpProxy;
  let db: Db;

  beforeAll(async () => {
    testDb = await createTestDb('postgres');
    proxy = await startTcpProxy([targetOf(testDb.databaseUrl!)]);
    db = await openDb({ databaseUrl: proxy.url(testDb.databaseUrl!) });
  });

  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await testDb?.close();
  });

  it('fails the transactions in flight, keeps the process, and works again once the server is back', async () => {
    // given a raw SQL transaction and a Prisma interactive transaction, both waiting on the server
    const raw = sqlTransaction(db, (sql) => sql.query('SELECT pg_sleep(10)'));
    const viaPrisma = db.prisma.$transaction(async (tx) => tx.$queryRaw`SELECT pg_sleep(10)`, { timeout: 20_000 });
    const outcomes = Promise.allSettled([raw, viaPrisma]);
    await new Promise((r) => setTimeout(r, 300));

    // when every connection to PostgreSQL is cut
    proxy.cut();

    // then both fail with the lost connection (an unhandled 'error' event would end this process)
    const [rawOutcome, prismaOutcome] = await outcomes;
    expect(rawOutcome.status).toBe('rejected');
    expect(prismaOutcome.status).toBe('rejected');
    await expect(pingDb(db)).rejects.toThrow();

    // and when the server is reachable again, the same pool serves transactions
    proxy.restore();
    await pingDb(db);
    const after = await sqlTransaction(db, (sql) => sql.query<{ one: number }>('SELECT 1 AS one'));
    expect(after.rows).toEqual([{ one: 1 }]);
    expect(await db.prisma.$transaction(async (tx) => tx.$queryRaw<{ two: number }[]>`SELECT 2 AS two`)).toEqual([
      { two: 2 },
    ]);
  });
});
