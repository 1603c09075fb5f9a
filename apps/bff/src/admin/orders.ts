import type { z } from 'zod';
import type { adminOrdersQuerySchema } from '@uni-checkout/shared';
import type { Prisma, PrismaClient } from '../db/index.js';
import { isQueryableInstant, NEWEST_FIRST, newestFirstAfter, newestFirstPage } from '../http/cursor.js';
import { AppError } from '../errors.js';
import { orderRelations, type OrderWithRelations } from './serialize.js';
import { fulfilmentWhere } from '../orders/fulfilment-view.js';

export type AdminOrdersQuery = z.infer<typeof adminOrdersQuerySchema>;

/** The filters of the admin order list, shared by the JSON pages and the CSV export. */
export function adminOrdersWhere(q: AdminOrdersQuery): Prisma.OrderWhereInput {
  const where: Prisma.OrderWhereInput = { ...fulfilmentWhere(q.fulfilmentStatus) };
  if (q.status) where.status = q.status;
  if (q.from || q.to) {
    const from = q.from ? new Date(q.from) : undefined;
    const to = q.to ? new Date(q.to) : undefined;
    for (const [name, at] of [
      ['from', from],
      ['to', to],
    ] as const) {
      if (at && !isQueryableInstant(at))
        throw new AppError('VALIDATION_FAILED', 400, `${name}: must be between 1970-01-01 and 9999-12-31`);
    }
    if (from && to && from > to) throw new AppError('VALIDATION_FAILED', 400, 'from: must not be after to');
    where.createdAt = { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) };
  }
  const search = q.q?.trim();
  if (search) where.OR = [{ orderNo: { startsWith: search } }, { transactionId: search }, { user: { openid: search } }];
  return where;
}

/** One keyset page, newest first: (createdAt, id) descending. */
export async function adminOrdersPage(
  prisma: PrismaClient,
  q: AdminOrdersQuery,
  limit = q.limit ?? 20,
): Promise<{ rows: OrderWithRelations[]; nextCursor: string | null }> {
  const where = adminOrdersWhere(q);
  const after = newestFirstAfter(q.cursor);
  if (after) where.AND = [after];
  const rows = await prisma.order.findMany({ where, include: orderRelations, orderBy: NEWEST_FIRST, take: limit + 1 });
  const { page, nextCursor } = newestFirstPage(rows, limit);
  return { rows: page, nextCursor };
}
