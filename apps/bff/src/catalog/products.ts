import type { Product } from '@uni-checkout/shared';
import type { PrismaClient } from '../db/index.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { AppError, notFound } from '../errors.js';

type ProductRow = Awaited<ReturnType<typeof loadProducts>>[number];

function loadProducts(prisma: PrismaClient, where: object, take: number) {
  return prisma.product.findMany({
    where: { active: true, ...where },
    include: { skus: { where: { active: true }, orderBy: { priceFen: 'asc' } } },
    orderBy: [{ sortOrder: 'asc' }, { id: 'asc' }],
    take,
  });
}

export function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    title: row.title,
    subtitle: row.subtitle,
    description: row.description,
    category: row.category,
    images: row.images,
    skus: row.skus.map((s) => ({ id: s.id, title: s.title, priceFen: s.priceFen, stock: Math.max(0, s.stock) })),
    minPriceFen: row.skus.reduce((min, s) => Math.min(min, s.priceFen), row.skus[0]?.priceFen ?? 0),
  };
}

const INT4_MIN = -2_147_483_648;
const INT4_MAX = 2_147_483_647;

/** The (sortOrder, id) a product page ended on; a forged one is the client's 400, never a database error. */
function productCursor(cursor: string | undefined): [number, string] | undefined {
  const key = decodeCursor(cursor, 2);
  if (!key) return undefined;
  const [sortOrder, id] = key;
  if (
    !Number.isInteger(sortOrder) ||
    (sortOrder as number) < INT4_MIN ||
    (sortOrder as number) > INT4_MAX ||
    typeof id !== 'string' ||
    id.length === 0 ||
    id.length > 64 ||
    id.includes('\u0000')
  ) {
    throw new AppError('VALIDATION_FAILED', 400, 'cursor: not a cursor this API returned');
  }
  return [sortOrder as number, id];
}

export async function listProducts(prisma: PrismaClient, opts: { cursor?: string; limit: number }) {
  const after = productCursor(opts.cursor);
  const where = after ? { OR: [{ sortOrder: { gt: after[0] } }, { sortOrder: after[0], id: { gt: after[1] } }] } : {};
  const rows = await loadProducts(prisma, where, opts.limit + 1);
  const page = rows.slice(0, opts.limit).filter((r) => r.skus.length > 0);
  const last = rows.length > opts.limit ? rows[opts.limit - 1] : undefined;
  return {
    items: page.map(toProduct),
    nextCursor: last ? encodeCursor([last.sortOrder, last.id]) : null,
  };
}

export async function getProduct(prisma: PrismaClient, id: string): Promise<Product> {
  const [row] = await loadProducts(prisma, { id }, 1);
  if (!row || row.skus.length === 0) throw notFound('product');
  return toProduct(row);
}
