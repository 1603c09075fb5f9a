import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  ColumnTypeEnum,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlQuery,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

import { DbError } from './errors.js';
import { startPglite } from './pglite.js';

/** PostgreSQL server errors carry these fields (pg's DatabaseError and PGlite's alike). */
interface PgServerError {
  message: string;
  code: string;
  severity?: string;
  detail?: string;
  column?: string;
  hint?: string;
}

function isPgServerError(error: unknown): error is PgServerError {
  return (
    error instanceof Error &&
    typeof (error as Partial<PgServerError>).code === 'string' &&
    typeof (error as Partial<PgServerError>).severity === 'string'
  );
}

function toDriverAdapterError(error: unknown): unknown {
  if (!isPgServerError(error)) return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code,
    severity: error.severity ?? 'ERROR',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
    originalCode: error.code,
    originalMessage: error.message,
  });
}

/**
 * Migration scripts must run whole, as one simple-protocol query: PostgreSQL then applies a
 * multi-statement script in one implicit transaction (all or nothing, as the native engine
 * does), and statements are never split at a `;` inside a string or a function body.
 * The stock adapters split on `;` (adapter-pg) or do not await the script (pglite adapter).
 */
function runScriptsWhole<T extends SqlDriverAdapter>(adapter: T, run: (script: string) => Promise<unknown>): T {
  adapter.executeScript = async (script: string) => {
    try {
      await run(script);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  };
  return adapter;
}

/** Driver adapter factory over one PGlite instance, usable by the client and the schema engine. */
export function pgliteAdapterFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const inner = new PrismaPGlite(pglite);
  return {
    provider: 'postgres',
    adapterName: inner.adapterName,
    connect: async () => runScriptsWhole(await inner.connect(), (script) => pglite.exec(script)),
    connectToShadowDb: async () => {
      const shadow = await startPglite('memory://');
      const adapter = runScriptsWhole(await new PrismaPGlite(shadow).connect(), (script) => shadow.exec(script));
      adapter.dispose = () => shadow.close();
      return adapter;
    },
  };
}

export function parsePostgresUrl(databaseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new DbError(
      'DB_URL_INVALID',
      'DATABASE_URL is not a valid URL: expected postgresql://user[:password]@host[:port]/database.',
    );
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new DbError(
      'DB_URL_INVALID',
      `DATABASE_URL must start with postgresql:// (got ${url.protocol}//); unset it to use the embedded PGlite database.`,
    );
  }
  if (url.pathname.length <= 1) {
    throw new DbError(
      'DB_URL_INVALID',
      'DATABASE_URL names no database: add one, as in postgresql://localhost:5432/shop.',
    );
  }
  const schema = url.searchParams.get('schema');
  if (schema !== null && schema !== 'public') {
    throw new DbError(
      'DB_URL_INVALID',
      `DATABASE_URL asks for schema "${schema}": the order store lives in the public schema; drop ?schema=.`,
    );
  }
  return url;
}

export function createPgPool(databaseUrl: string, max: number): pg.Pool {
  parsePostgresUrl(databaseUrl);
  // Prisma's own URL parameters mean nothing to pg (it would pass them to the server).
  const url = new URL(databaseUrl);
  for (const param of ['connection_limit', 'pool_timeout', 'schema']) url.searchParams.delete(param);
  const pool = new pg.Pool({ connectionString: url.toString(), max, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server (restart, failover) emits 'error' on the pool; without a
  // listener that would end the process. The pool drops the client; the next query reconnects.
  pool.on('error', () => {});
  // A client checked out (a transaction in progress) has no pool listener: its server going away
  // would emit an unhandled 'error' and end the whole process. The query in flight still fails
  // with the error, and the pool discards the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Driver adapter factory over a pg pool. For the schema engine the pool must hold one
 * connection, so that its session-scoped statements (advisory lock, SET) share one session.
 */
export function pgAdapterFactory(pool: pg.Pool): SqlMigrationAwareDriverAdapterFactory {
  const inner = new PrismaPg(pool);
  return {
    provider: 'postgres',
    adapterName: inner.adapterName,
    connect: async () => readCharColumns(runScriptsWhole(await inner.connect(), (script) => pool.query(script))),
    connectToShadowDb: async () => inner.connectToShadowDb(),
  };
}

const PG_CHAR_OID = 18;

/**
 * The schema engine reads PostgreSQL's catalogs (e.g. pg_constraint.contype) when it describes a
 * live database, and wants their single-byte `"char"` columns as Character values; adapter-pg
 * has no mapping for that type and refuses the whole result. pg already returns those values as
 * one-character strings, so only the reported column type needs adding.
 */
function readCharColumns<T extends SqlDriverAdapter>(adapter: T): T {
  type PgResult = { fields?: { dataTypeID: number }[] };
  const io = adapter as unknown as { performIO?: (query: SqlQuery) => Promise<PgResult> };
  const performIO = io.performIO;
  if (typeof performIO !== 'function') return adapter;
  const charColumns = new WeakMap<SqlQuery, number[]>();
  io.performIO = async function (this: unknown, query: SqlQuery) {
    const result = await performIO.call(this, query);
    const indexes: number[] = [];
    (result.fields ?? []).forEach((field, i) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        indexes.push(i);
      }
    });
    if (indexes.length > 0) charColumns.set(query, indexes);
    return result;
  };
  const queryRaw = adapter.queryRaw;
  adapter.queryRaw = async function (this: unknown, query: SqlQuery) {
    const resultSet = await queryRaw.call(this, query);
    for (const i of charColumns.get(query) ?? []) resultSet.columnTypes[i] = ColumnTypeEnum.Character;
    charColumns.delete(query);
    return resultSet;
  };
  return adapter;
}
const PG_TEXT_OID = 25;

/** The client adapter over a pool (a pg pool is shared, never ended by the client). */
export function pgClientAdapter(pool: pg.Pool): PrismaPg {
  return new PrismaPg(pool);
}
