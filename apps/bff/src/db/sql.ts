/**
 * Plain SQL on the connection Prisma's adapter already holds (the pg pool, or the PGlite instance),
 * for the two hot transactions (settling a payment, placing an order): every Prisma operation
 * costs a query-compiler pass and its runtime's bookkeeping, several times the SQL itself.
 * Everything else stays on Prisma. Statements here name tables and columns as the migrations do.
 */
import type { Db } from './connection.js';
import { dbDriver } from './connection.js';

export interface SqlResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Sql {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<SqlResult<R>>;
}

/** One statement outside any transaction. */
export async function sqlQuery<R = Record<string, unknown>>(
  db: Db,
  text: string,
  params: unknown[] = [],
): Promise<SqlResult<R>> {
  const driver = dbDriver(db);
  if (driver.kind === 'postgres') {
    const r = await driver.pool.query(text, params);
    return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
  }
  const r = await driver.pglite.query<R>(text, params);
  return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
}

/** Statements one by one, outside any transaction. */
export function sqlOn(db: Db): Sql {
  return { query: (text, params) => sqlQuery(db, text, params) };
}

/**
 * `work` in one transaction (READ COMMITTED, as Prisma's): committed when it resolves, rolled
 * back when it throws. On PGlite this queues behind Prisma's own transactions (one session).
 */
export async function sqlTransaction<T>(db: Db, work: (sql: Sql) => Promise<T>): Promise<T> {
  const driver = dbDriver(db);
  if (driver.kind === 'pglite') {
    return driver.pglite.transaction((tx) =>
      work({
        async query<R>(text: string, params: unknown[] = []) {
          const r = await tx.query<R>(text, params);
          return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
        },
      }),
    );
  }
  const client = await driver.pool.connect();
  let broken: unknown;
  try {
    await client.query('BEGIN');
    const result = await work({
      async query<R>(text: string, params: unknown[] = []) {
        const r = await client.query(text, params);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
      },
    });
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
    throw err;
  } finally {
    // a connection that could not even roll back is not handed to anyone else
    client.release(broken instanceof Error ? broken : undefined);
  }
}

/** The SQLSTATE of a failed statement: as the driver throws it, or as Prisma's driver adapter carries it. */
function sqlState(err: unknown): string | undefined {
  const wrapped = (err as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } } | null)?.meta
    ?.driverAdapterError?.cause?.originalCode;
  if (typeof wrapped === 'string') return wrapped;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** 40P01 deadlock, 40001 serialization failure: the transaction rolled back whole, so it may run again. */
export function isTransactionConflict(err: unknown): boolean {
  const code = sqlState(err);
  return code === '40P01' || code === '40001';
}

/** 23505 on the named unique constraint (`<Table>_<columns>_key`, as the migrations name them). */
export function isUniqueViolationOn(err: unknown, constraint: string): boolean {
  return sqlState(err) === '23505' && (err as { constraint?: unknown }).constraint === constraint;
}

/** An order event (全流程日志) row for a multi-row INSERT: payloads never carry secrets. */
export interface EventRow {
  orderId: string;
  type: string;
  payload: Record<string, unknown>;
}

/**
 * The INSERT of several events, its parameters appended to `params` (so it can sit in a larger
 * statement): rows in the given order, so their ids ascend in it.
 */
export function eventsInsert(events: EventRow[], params: unknown[]): string {
  const tuples = events.map((e) => {
    params.push(e.orderId, e.type, JSON.stringify(e.payload));
    const n = params.length;
    return `($${n - 2}::uuid, $${n - 1}, $${n}::jsonb)`;
  });
  return `INSERT INTO "OrderEvent" ("orderId", type, payload) VALUES ${tuples.join(', ')}`;
}

/** Several events in one statement, in the given order (their ids ascend in it). */
export async function insertEvents(sql: Sql, events: EventRow[]): Promise<void> {
  if (!events.length) return;
  const params: unknown[] = [];
  await sql.query(eventsInsert(events, params), params);
}
