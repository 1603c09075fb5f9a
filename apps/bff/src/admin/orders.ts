import type { z } from 'zod';
import type { adminOrdersQuerySchema } from '@uni-checkout/shared';
import type { Prisma, PrismaClient } from '../db/index.js';
import { isQueryableInstant, NEWEST_FIRST, newestFirstAfter, newestFirstPage } from '../http/cursor.js';
import { AppError } from '../errors.js';
import { orderRelations, type OrderWithRelations } from './serialize.js';
import { fulfilmentWhere } from '../orders/fulfilment-view.js';

export type AdminOrdersQuery = z.infer<typeof adminOrdersQuerySchema>;

/**
 * The filters of the admin order list, checked and resolved once; the JSON pages (Prisma) and the
 * CSV export (one SQL query) render them from here. The search box matches an orderNo prefix, a
 * transactionId, or a shopper's openid: each on an index of Order's own (the openid is resolved
 * to its user first), so no OR spans the join to User.
 */
export interface AdminOrdersFilter {
  status?: AdminOrdersQuery['status'];
  from?: Date;
  to?: Date;
  search?: { text: string; userId: string | null };
  /** part of an item's title */
  product?: string;
  fulfilmentStatus?: AdminOrdersQuery['fulfilmentStatus'];
}

export async function adminOrdersFilter(prisma: PrismaClient, q: AdminOrdersQuery): Promise<AdminOrdersFilter> {
  const filter: AdminOrdersFilter = {};
  if (q.fulfilmentStatus) filter.fulfilmentStatus = q.fulfilmentStatus;
  if (q.status) filter.status = q.status;
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
    filter.from = from;
    filter.to = to;
  }
  const product = q.product?.trim();
  if (product) filter.product = product;
  const text = q.q?.trim();
  if (text) {
    const user = await prisma.user.findUnique({ where: { openid: text }, select: { id: true } });
    filter.search = { text, userId: user?.id ?? null };
  }
  return filter;
}

/**
 * Every orderNo starting with `prefix`, as a range its unique index serves: an orderNo holds only
 * ASCII below DEL (ORDER_NO_PATTERN), so under byte order all of them lie in [prefix, prefix+DEL).
 */
export function orderNoPrefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: `${prefix}\u007f` };
}

/**
 * `text` for a LIKE pattern, its wildcards (`%`, `_`) and the escape character matched as
 * themselves: Prisma's `contains` hands its value to ILIKE as it is, so "%" would match every title.
 */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export function adminOrdersWhere(f: AdminOrdersFilter): Prisma.OrderWhereInput {
  const where: Prisma.OrderWhereInput = { ...fulfilmentWhere(f.fulfilmentStatus) };
  if (f.status) where.status = f.status;
  if (f.from || f.to) where.createdAt = { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) };
  if (f.product) where.items = { some: { title: { contains: likeLiteral(f.product), mode: 'insensitive' } } };
  if (f.search) {
    const { text, userId } = f.search;
    where.OR = [
      // the range finds the rows on the index, startsWith keeps the match exact under any collation
      { orderNo: { ...orderNoPrefixRange(text), startsWith: text } },
      { transactionId: text },
      ...(userId ? [{ userId }] : []),
    ];
  }
  return where;
}

/** The same filter as SQL over `"Order" o`, with its parameters numbered from `$1`. */
export function adminOrdersSql(f: AdminOrdersFilter): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions: string[] = [];
  if (f.fulfilmentStatus) {
    conditions.push(`o."fulfilmentStatus" = ${p(f.fulfilmentStatus)}::"FulfilmentStatus"`);
    // 待发货 is paid (or partly refunded) and not yet shipped, as fulfilmentWhere says
    if (f.fulfilmentStatus === 'UNSHIPPED' && !f.status) conditions.push(`o.status IN ('PAID', 'PARTIALLY_REFUNDED')`);
  }
  if (f.status) conditions.push(`o.status = ${p(f.status)}::"OrderStatus"`);
  if (f.from) conditions.push(`o."createdAt" >= ${p(f.from)}`);
  if (f.to) conditions.push(`o."createdAt" < ${p(f.to)}`);
  if (f.product) {
    const pattern = `%${likeLiteral(f.product)}%`;
    conditions.push(`EXISTS (SELECT 1 FROM "OrderItem" i WHERE i."orderId" = o.id AND i.title ILIKE ${p(pattern)})`);
  }
  if (f.search) {
    const { text, userId } = f.search;
    const range = orderNoPrefixRange(text);
    const any = [
      `(o."orderNo" >= ${p(range.gte)} AND o."orderNo" < ${p(range.lt)} AND left(o."orderNo", ${p(text.length)}) = ${p(text)})`,
      `o."transactionId" = ${p(text)}`,
      ...(userId ? [`o."userId" = ${p(userId)}::uuid`] : []),
    ];
    conditions.push(`(${any.join(' OR ')})`);
  }
  return { where: conditions.length ? conditions.join(' AND ') : 'TRUE', params };
}

/** One keyset page, newest first: (createdAt, id) descending. */
export async function adminOrdersPage(
  prisma: PrismaClient,
  q: AdminOrdersQuery,
  limit = q.limit ?? 20,
): Promise<{ rows: OrderWithRelations[]; nextCursor: string | null }> {
  const after = newestFirstAfter(q.cursor);
  const where = adminOrdersWhere(await adminOrdersFilter(prisma, q));
  if (after) where.AND = [after];
  const rows = await prisma.order.findMany({ where, include: orderRelations, orderBy: NEWEST_FIRST, take: limit + 1 });
  const { page, nextCursor } = newestFirstPage(rows, limit);
  return { rows: page, nextCursor };
}
