import type { Product } from '@uni-checkout/shared';

/** Chinese names of the catalog's `category` values; an unknown one shows as it is. */
const CATEGORY_LABELS: Record<string, string> = { tea: '茶叶', coffee: '咖啡', snack: '零食', '': '其他' };

export function categoryLabel(category: string): string {
  return CATEGORY_LABELS[category] ?? category;
}

/** The catalog's own categories (a product's `category`), in the order they first appear; 其他 last. */
export function categoriesOf(products: readonly Pick<Product, 'category'>[]): string[] {
  const seen = [...new Set(products.map((p) => p.category))];
  return [...seen.filter((c) => c !== ''), ...seen.filter((c) => c === '')];
}
