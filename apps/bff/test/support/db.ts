/**
 * A fresh, migrated database per call, for tests:
 * - postgres: `CREATE DATABASE uc_test_<time>_<random>` through the admin URL TEST_DATABASE_URL
 *   (default postgresql://postgres@127.0.0.1:5432/test), migrated; dropped again on close().
 * - pglite: in memory. The first call per process migrates a template and dumps its data
 *   directory; every later call starts from that dump (no initdb, no migration run).
 */
import { randomBytes } from 'node:crypto';

import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

import { dbDriver, dbFromPglite, migrateDb, openDb, seedCatalog, type Db, type DbKind } from '../../src/db/index.js';
import { startPglite } from '../../src/db/pglite.js';

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';
const PREFIX = 'uc_test_';

export type TestDb = Db & { databaseUrl?: string };

export function testAdminUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testAdminUrl(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Cannot reach the test PostgreSQL at TEST_DATABASE_URL (${testAdminUrl()}): ${(error as Error).message}. ` +
        'Start PostgreSQL or point TEST_DATABASE_URL at one (the role needs CREATEDB).',
      { cause: error },
    );
  }
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function createPostgresTestDb(): Promise<TestDb> {
  const db = await createEmptyTestDb('postgres');
  try {
    await migrateDb(db);
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}

let pgliteTemplate: Promise<Blob> | undefined;

function migratedPgliteTemplate(): Promise<Blob> {
  pgliteTemplate ??= (async () => {
    const db = dbFromPglite(await startPglite('memory://'));
    try {
      await migrateDb(db);
      const driver = dbDriver(db) as { kind: 'pglite'; pglite: PGlite };
      return await driver.pglite.dumpDataDir('none');
    } finally {
      await db.close();
    }
  })();
  pgliteTemplate.catch(() => {
    pgliteTemplate = undefined;
  });
  return pgliteTemplate;
}

async function createPgliteTestDb(): Promise<TestDb> {
  const template = await migratedPgliteTemplate();
  return dbFromPglite(await startPglite('memory://', { loadDataDir: template }));
}

export async function createTestDb(kind: DbKind, opts: { seed?: boolean } = {}): Promise<TestDb> {
  const db = kind === 'postgres' ? await createPostgresTestDb() : await createPgliteTestDb();
  if (opts.seed) {
    try {
      await seedCatalog(db.prisma);
    } catch (error) {
      await db.close().catch(() => {});
      throw error;
    }
  }
  return db;
}

/** A database that exists but has no tables yet (for migration tests). */
export async function createEmptyTestDb(kind: DbKind): Promise<TestDb> {
  if (kind === 'pglite') return openDb({ pgliteDir: 'memory://' });
  const name = `${PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const databaseUrl = databaseUrlFor(testAdminUrl(), name);
  let db: Db;
  try {
    db = await openDb({ databaseUrl });
  } catch (error) {
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => {});
    throw error;
  }
  const closeDb = db.close.bind(db);
  let closing: Promise<void> | undefined;
  db.close = () =>
    (closing ??= (async () => {
      try {
        await closeDb();
      } finally {
        await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      }
    })());
  return Object.assign(db, { databaseUrl });
}
