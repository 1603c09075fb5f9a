// The order store: one Prisma client over either the embedded PGlite (DATABASE_URL unset) or a
// PostgreSQL server, both through driver adapters and Prisma 7's query compiler, so no native
// Prisma engine is needed at run time.
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

import { createPgPool, parsePostgresUrl, pgClientAdapter, pgliteAdapterFactory } from './adapters.js';
import { DbError, errorMessage } from './errors.js';
import { PrismaClient } from './generated/client.js';
import { resolvePgliteDir } from './paths.js';
import { startPglite } from './pglite.js';

export type DbKind = 'pglite' | 'postgres';

export interface Db {
  prisma: PrismaClient;
  kind: DbKind;
  close(): Promise<void>;
}

export interface DbOptions {
  /** `postgresql://…` selects that PostgreSQL; unset or empty selects the embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory (default `<workspace>/.data/pglite`; `memory://` for in-memory). */
  pgliteDir?: string;
}

/** What the data layer needs to reach the database behind a Db (migrations, raw access). */
export type DbDriver = { kind: 'pglite'; pglite: PGlite } | { kind: 'postgres'; databaseUrl: string; pool: pg.Pool };

const drivers = new WeakMap<Db, DbDriver>();

/**
 * PGlite is one session: interactive transactions queue behind each other, so waiting for one
 * (maxWait) is given far more than Prisma's 2 s default. On PostgreSQL the wait is for a pool
 * connection. Per-call options still override these.
 */
const PGLITE_TRANSACTION_DEFAULTS = { maxWait: 15_000, timeout: 15_000 };
const POSTGRES_TRANSACTION_DEFAULTS = { maxWait: 5_000, timeout: 10_000 };
const DEFAULT_POOL_SIZE = 10;

/** Pool size from Prisma's own `connection_limit` URL parameter, else 10. */
function poolSize(databaseUrl: string): number {
  const limit = new URL(databaseUrl).searchParams.get('connection_limit');
  if (limit === null) return DEFAULT_POOL_SIZE;
  const size = Number(limit);
  if (!Number.isInteger(size) || size < 1 || size > 1000) {
    throw new DbError(
      'DB_URL_INVALID',
      `DATABASE_URL has connection_limit=${limit}: use a whole number from 1 to 1000.`,
    );
  }
  return size;
}

export function dbDriver(db: Db): DbDriver {
  const driver = drivers.get(db);
  if (!driver) throw new TypeError('Not a Db opened by openDb().');
  return driver;
}

export function normalizeDatabaseUrl(databaseUrl: string | undefined): string | undefined {
  const url = databaseUrl?.trim();
  return url ? url : undefined;
}

/** Masks the password of a connection URL for messages and logs. */
export function redactDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function register(db: Db, driver: DbDriver): Db {
  drivers.set(db, driver);
  return db;
}

/** Wraps an already started PGlite (the test support clones migrated templates this way). */
export function dbFromPglite(pglite: PGlite): Db {
  const prisma = new PrismaClient({
    adapter: pgliteAdapterFactory(pglite),
    transactionOptions: PGLITE_TRANSACTION_DEFAULTS,
  });
  let closing: Promise<void> | undefined;
  return register(
    {
      prisma,
      kind: 'pglite',
      close: () =>
        (closing ??= (async () => {
          await prisma.$disconnect();
          if (!pglite.closed) await pglite.close();
        })()),
    },
    { kind: 'pglite', pglite },
  );
}

export async function openDb(opts: DbOptions = {}): Promise<Db> {
  const databaseUrl = normalizeDatabaseUrl(opts.databaseUrl);
  if (databaseUrl === undefined) return dbFromPglite(await startPglite(resolvePgliteDir(opts.pgliteDir)));

  parsePostgresUrl(databaseUrl);
  const pool = createPgPool(databaseUrl, poolSize(databaseUrl));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw new DbError(
      'DB_UNREACHABLE',
      `Cannot connect to PostgreSQL at ${redactDatabaseUrl(databaseUrl)}: ${errorMessage(error)}. ` +
        'Check that the server is up and DATABASE_URL is right.',
      { cause: error },
    );
  }
  const prisma = new PrismaClient({
    adapter: pgClientAdapter(pool),
    transactionOptions: POSTGRES_TRANSACTION_DEFAULTS,
  });
  let closing: Promise<void> | undefined;
  return register(
    {
      prisma,
      kind: 'postgres',
      close: () =>
        (closing ??= (async () => {
          await prisma.$disconnect();
          await pool.end();
        })()),
    },
    { kind: 'postgres', databaseUrl, pool },
  );
}

/** Resolves when the database answers a query within `timeoutMs`; rejects with DB_UNREACHABLE. */
export async function pingDb(db: Db, opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DbError('DB_UNREACHABLE', `The database did not answer within ${timeoutMs} ms.`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([db.prisma.$queryRaw`SELECT 1`, timeout]);
  } catch (error) {
    if (error instanceof DbError) throw error;
    throw new DbError('DB_UNREACHABLE', `The database is unreachable: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
