import { CATALOG_IMAGE_URL_PREFIX, catalog } from '../../../../prisma/seed/catalog.js';
import type { PrismaClient } from './generated/client.js';

export { catalog, CATALOG_IMAGE_URL_PREFIX };

/**
 * Upserts the demo catalog (prisma/seed/catalog.ts). Idempotent: re-running rewrites titles,
 * prices, images and active flags from the file, but keeps each SKU's current stock, which orders
 * move (stock is only set when the SKU is first created).
 */
export async function seedCatalog(prisma: PrismaClient): Promise<{ products: number; skus: number }> {
  let skus = 0;
  await prisma.$transaction(
    async (tx) => {
      for (const product of catalog) {
        const fields = {
          title: product.title,
          subtitle: product.subtitle ?? null,
          description: product.description,
          images: product.images.map((file) => `${CATALOG_IMAGE_URL_PREFIX}${file}`),
          category: product.category,
          sortOrder: product.sortOrder,
          active: product.active ?? true,
        };
        await tx.product.upsert({ where: { id: product.id }, create: { id: product.id, ...fields }, update: fields });
        for (const sku of product.skus) {
          const skuFields = {
            productId: product.id,
            title: sku.title,
            priceFen: sku.priceFen,
            active: sku.active ?? true,
          };
          await tx.sku.upsert({
            where: { id: sku.id },
            create: { id: sku.id, ...skuFields, stock: sku.stock },
            update: skuFields,
          });
          skus += 1;
        }
      }
    },
    { timeout: 60_000 },
  );
  return { products: catalog.length, skus };
}
