import { Prisma } from '../db/index.js';

/** A unique index refused the write (PostgreSQL 23505, Prisma P2002), on either driver adapter. */
export function isUniqueViolation(err: unknown, field?: string): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (err.code !== 'P2002') return false;
  if (field === undefined) return true;
  const meta = JSON.stringify(err.meta ?? {}) + err.message;
  return meta.includes(field);
}
