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
import { createTestDb, PATIENT_PING, type TestDb } from '../support/db.js';
import { startSandboxBff, type SandboxBff } from '../support/sandbox-bff.js';

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
    await pingDb(db, PATIENT_PING);
    const after = await sqlTransaction(db, (sql) => sql.query<{ one: number }>('SELECT 1 AS one'));
    expect(after.rows).toEqual([{ one: 1 }]);
    expect(await db.prisma.$transaction(async (tx) => tx.$queryRaw<{ two: number }[]>`SELECT 2 AS two`)).toEqual([
      { two: 2 },
    ]);
  });
});

describe('a request while the database is out of reach', () => {
  let testDb: TestDb;
  let proxy: TcpProxy;
  let server: SandboxBff;

  beforeAll(async () => {
    testDb = await createTestDb('postgres', { seed: true });
    proxy = await startTcpProxy([targetOf(testDb.databaseUrl!)]);
    server = await startSandboxBff({
      postgres: false,
      env: { DATABASE_URL: proxy.url(testDb.databaseUrl!), MIGRATE_ON_START: 'false' },
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await testDb?.close();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After, not a 500, and serves again once it is back', async () => {
    const products = () => fetch(`${server.bff.url}/api/products`);
    expect((await products()).status).toBe(200);

    proxy.cut();
    const during = await products();
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');

    proxy.restore();
    const deadline = Date.now() + 15_000;
    let after = await products();
    while (after.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after = await products();
    }
    expect(after.status).toBe(200);
  });
});
