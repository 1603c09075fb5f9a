import { formatFen, type Product } from '@uni-checkout/shared';

/** The lowest price a shopper can pay for the product: its cheapest SKU (in fen). */
export function lowestSkuPriceFen(product: Pick<Product, 'skus' | 'minPriceFen'>): number | null {
  if (product.skus.length === 0) return Number.isInteger(product.minPriceFen) ? product.minPriceFen : null;
  return product.skus.reduce((min, sku) => Math.min(min, sku.priceFen), Number.POSITIVE_INFINITY);
}

/** "¥12.30", or a dash when the product has no price yet. */
export function formatLowestPrice(product: Pick<Product, 'skus' | 'minPriceFen'>): string {
  const fen = lowestSkuPriceFen(product);
  return fen === null ? '—' : formatFen(fen);
}
