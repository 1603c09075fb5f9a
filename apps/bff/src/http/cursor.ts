import { AppError } from '../errors.js';

/** Opaque keyset cursors: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): unknown[] | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === arity) return key;
  } catch {
    // fall through
  }
  throw new AppError('VALIDATION_FAILED', 400, 'cursor: not a cursor this API returned');
}

/**
 * Instants a query may compare with: PostgreSQL has no year 0 (Prisma writes years before 1 that
 * way) and ends timestamptz in 294276; no order predates 1970. Outside this window: 400, not a 500.
 */
const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function isQueryableInstant(at: Date): boolean {
  const t = at.getTime();
  return Number.isFinite(t) && t >= EARLIEST_MS && t <= LATEST_MS;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Order of every newest-first list: (createdAt, id) descending, id breaking ties. */
export const NEWEST_FIRST = [{ createdAt: 'desc' }, { id: 'desc' }] satisfies { createdAt?: 'desc'; id?: 'desc' }[];

/** The `where` part that continues a newest-first list after the cursor's row (undefined: first page). */
export function newestFirstAfter(cursor: string | undefined) {
  const key = decodeCursor(cursor, 2);
  if (!key) return undefined;
  const [at, id] = key;
  const createdAt = typeof at === 'string' ? new Date(at) : undefined;
  if (!createdAt || !isQueryableInstant(createdAt) || typeof id !== 'string' || !UUID.test(id)) {
    throw new AppError('VALIDATION_FAILED', 400, 'cursor: not a cursor this API returned');
  }
  // `createdAt <= x AND (createdAt < x OR id < y)`: the first half is an index range condition
  // (a scan starts at the cursor); the usual `createdAt < x OR (createdAt = x AND id < y)` is
  // not, and a backward scan would read and discard every newer row first
  return { createdAt: { lte: createdAt }, OR: [{ createdAt: { lt: createdAt } }, { id: { lt: id } }] };
}

/** Cuts the `limit + 1` rows a newest-first query fetched into a page and the next cursor. */
export function newestFirstPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    page,
    nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt.toISOString(), last.id]) : null,
  };
}
