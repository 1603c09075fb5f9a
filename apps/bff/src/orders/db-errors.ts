import { Prisma } from '../db/index.js';

/**
 * A unique index refused the write (PostgreSQL 23505, Prisma P2002), on either driver adapter,
 * through Prisma or plain SQL (whose error names the index, `<Table>_<columns>_key`).
 */
export function isUniqueViolation(err: unknown, field?: string): boolean {
  const raw = err as { code?: unknown; constraint?: unknown; detail?: unknown } | null;
  if (raw?.code === '23505') {
    return field === undefined || `${String(raw.constraint)} ${String(raw.detail)}`.includes(field);
  }
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (err.code !== 'P2002') return false;
  if (field === undefined) return true;
  const meta = JSON.stringify(err.meta ?? {}) + err.message;
  return meta.includes(field);
}
