import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { catalogImagesDir, seedCatalog, type DbKind } from '../../src/db/index.js';
import { CATALOG_IMAGE_URL_PREFIX, catalog } from '../../src/db/seed.js';
import { createTestDb, type TestDb } from '../support/db.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('the seed catalog file', () => {
  const skus = catalog.flatMap((p) => p.skus.map((s) => ({ ...s, product: p })));

  it('is a shop worth browsing: ≥ 12 products with Chinese titles and several SKUs', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(12);
    for (const product of catalog) {
      expect(product.title).toMatch(/[\u4e00-\u9fff]/);
      expect(product.skus.length).toBeGreaterThanOrEqual(1);
    }
    expect(catalog.filter((p) => p.skus.length >= 2).length).toBeGreaterThanOrEqual(10);
    expect(new Set(catalog.map((p) => p.category))).toEqual(new Set(['tea', 'coffee', 'snack']));
  });

  it('has unique ids, integer prices in fen, some low stock and one inactive SKU', () => {
    expect(new Set(catalog.map((p) => p.id)).size).toBe(catalog.length);
    expect(new Set(skus.map((s) => s.id)).size).toBe(skus.length);
    for (const sku of skus) {
      expect(Number.isSafeInteger(sku.priceFen) && sku.priceFen > 0).toBe(true);
      expect(Number.isSafeInteger(sku.stock) && sku.stock >= 0).toBe(true);
    }
    expect(skus.filter((s) => s.active !== false && s.stock > 0 && s.stock <= 3).length).toBeGreaterThanOrEqual(1);
    expect(skus.filter((s) => s.active === false)).toHaveLength(1);
  });

  it('ships every image in the repo as a small PNG', async () => {
    const files = new Set(catalog.flatMap((p) => p.images));
    expect(files.size).toBe(catalog.length);
    for (const file of files) {
      const path = join(catalogImagesDir, file);
      expect((await stat(path)).size).toBeLessThan(40 * 1024);
      expect((await readFile(path)).subarray(0, 8)).toEqual(PNG_SIGNATURE);
    }
  });
});

describe.each<DbKind>(['pglite', 'postgres'])('seedCatalog on %s', (kind) => {
  let db: TestDb | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('fills the catalog, with images as /static/products paths; is idempotent, and a re-run keeps the stock that orders have moved', async () => {
    db = await createTestDb(kind);

    const counts = await seedCatalog(db.prisma);

    const skuCount = catalog.reduce((n, p) => n + p.skus.length, 0);
    expect(counts).toEqual({ products: catalog.length, skus: skuCount });
    expect(await db.prisma.product.count()).toBe(catalog.length);
    expect(await db.prisma.sku.count()).toBe(skuCount);
    const longjing = await db.prisma.product.findUniqueOrThrow({
      where: { id: 'tea-longjing' },
      include: { skus: true },
    });
    expect(longjing.title).toBe('明前西湖龙井');
    expect(longjing.images).toEqual([`${CATALOG_IMAGE_URL_PREFIX}tea-longjing.png`]);
    expect(longjing.skus.map((s) => s.priceFen).sort((a, b) => a - b)).toEqual([6800, 12800, 29800]);
    expect(await db.prisma.sku.count({ where: { active: false } })).toBe(1);

    // then orders move stock and an operator edits a title: a re-run changes neither
    const first = counts;
    await db.prisma.sku.update({ where: { id: 'tea-puer-357g' }, data: { stock: { decrement: 2 } } });
    await db.prisma.product.update({ where: { id: 'tea-puer' }, data: { title: 'edited by hand' } });

    const second = await seedCatalog(db.prisma);

    expect(second).toEqual(first);
    expect(await db.prisma.product.count()).toBe(first.products);
    expect(await db.prisma.sku.count()).toBe(first.skus);
    const puer = await db.prisma.sku.findUniqueOrThrow({ where: { id: 'tea-puer-357g' }, include: { product: true } });
    expect(puer.stock).toBe(1);
    expect(puer.product.title).toBe('云南普洱熟茶饼');
  });
});
