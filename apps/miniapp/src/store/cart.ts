import { MAX_LINES_PER_ORDER, MAX_QUANTITY_PER_ITEM, type Product, type Sku } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { getProduct } from '../api/products';
import { readStored, writeStored } from '../utils/storage';

const CART_KEY = 'uni-checkout:cart';

/** One line of the cart: what the shopper saw when adding it. The server prices the order anew. */
export interface CartLine {
  skuId: string;
  productId: string;
  title: string;
  skuTitle: string;
  image: string | null;
  priceFen: number;
  quantity: number;
  /** Stock when last seen (the product page, or the cart's refresh); null when not known yet. */
  stock: number | null;
}

/** At or below this many left, the cart says 仅剩 N 件. */
export const LOW_STOCK = 5;

/** 1–99, and never more than `stock` when it is known and positive. */
export function clampQuantity(quantity: number, stock: number | null = null): number {
  const max = stock !== null && stock > 0 ? Math.min(MAX_QUANTITY_PER_ITEM, stock) : MAX_QUANTITY_PER_ITEM;
  if (!Number.isFinite(quantity)) return 1;
  return Math.min(max, Math.max(1, Math.trunc(quantity)));
}

/** What the cart says about a line's stock: nothing, 仅剩 N 件, or 售罄 (which blocks checkout). */
export function stockNote(line: Pick<CartLine, 'stock' | 'quantity'>): { text: string; blocking: boolean } | null {
  if (line.stock === null) return null;
  if (line.stock <= 0) return { text: '售罄', blocking: true };
  if (line.quantity > line.stock) return { text: `库存仅剩 ${line.stock} 件`, blocking: true };
  if (line.stock <= LOW_STOCK) return { text: `仅剩 ${line.stock} 件`, blocking: false };
  return null;
}

export function lineFromSku(product: Product, sku: Sku, quantity: number): CartLine {
  return {
    skuId: sku.id,
    productId: product.id,
    title: product.title,
    skuTitle: sku.title,
    image: product.images[0] ?? null,
    priceFen: sku.priceFen,
    quantity: clampQuantity(quantity, sku.stock),
    stock: sku.stock,
  };
}

/** Display only: the order's real total comes from the BFF, which prices every line itself. */
export function linesTotalFen(lines: readonly Pick<CartLine, 'priceFen' | 'quantity'>[]): number {
  return lines.reduce((sum, line) => sum + line.priceFen * line.quantity, 0);
}

function isCartLine(value: unknown): value is CartLine {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.skuId === 'string' &&
    typeof v.productId === 'string' &&
    typeof v.title === 'string' &&
    typeof v.skuTitle === 'string' &&
    (v.image === null || typeof v.image === 'string') &&
    Number.isSafeInteger(v.priceFen) &&
    Number.isSafeInteger(v.quantity) &&
    (v.stock === undefined || v.stock === null || Number.isSafeInteger(v.stock))
  );
}

function loadLines(): CartLine[] {
  const stored = readStored(CART_KEY);
  if (!Array.isArray(stored)) return [];
  return stored.filter(isCartLine).map((line) => {
    // the quantity is not lowered to a stock seen since: the line says 库存仅剩 N 件 and waits for the shopper
    return { ...line, stock: line.stock ?? null, quantity: clampQuantity(line.quantity) };
  });
}

/** `capped`: merged, but the line already holds all the stock there is. */
export type AddResult = 'added' | 'merged' | 'capped' | 'full';

/** The shopping cart, kept in uni storage so that it survives restarts (and the h5 pay round trip). */
export const useCartStore = defineStore('cart', () => {
  const lines = ref<CartLine[]>(loadLines());

  const count = computed(() => lines.value.reduce((n, line) => n + line.quantity, 0));
  const totalFen = computed(() => linesTotalFen(lines.value));
  const isEmpty = computed(() => lines.value.length === 0);
  /** A line asks for more than is left (or for a sold-out SKU): checkout waits until it is changed. */
  const blocked = computed(() => lines.value.some((line) => stockNote(line)?.blocking));

  // Written at once (not on the next tick): the h5 app may leave for the pay sheet right after a change.
  watch(lines, (value) => writeStored(CART_KEY, value.length ? value : null), { deep: true, flush: 'sync' });

  /** Adds a SKU; the same SKU again raises its quantity, up to 99 and up to the stock. */
  function add(line: CartLine): AddResult {
    const existing = lines.value.find((l) => l.skuId === line.skuId);
    if (existing) {
      const wanted = existing.quantity + line.quantity;
      existing.stock = line.stock ?? existing.stock;
      existing.quantity = clampQuantity(wanted, existing.stock);
      existing.priceFen = line.priceFen;
      return existing.quantity < wanted ? 'capped' : 'merged';
    }
    if (lines.value.length >= MAX_LINES_PER_ORDER) return 'full';
    lines.value.push({ ...line, quantity: clampQuantity(line.quantity, line.stock) });
    return 'added';
  }

  function setQuantity(skuId: string, quantity: number): void {
    const line = lines.value.find((l) => l.skuId === skuId);
    if (line) line.quantity = clampQuantity(quantity, line.stock);
  }

  /**
   * What the catalog says now about some SKUs (a refresh, or the stock an OUT_OF_STOCK answer named).
   * The stock and price are kept; the quantity is not lowered behind the shopper's back: the line
   * shows 库存仅剩 N 件 and checkout waits until they change it.
   */
  function updateStock(skuId: string, stock: number, priceFen?: number): void {
    const line = lines.value.find((l) => l.skuId === skuId);
    if (!line) return;
    line.stock = stock;
    if (priceFen !== undefined) line.priceFen = priceFen;
  }

  /** Asks the catalog for the stock and price of every line (each product once); a failure changes nothing. */
  async function refreshStock(): Promise<void> {
    const productIds = [...new Set(lines.value.map((l) => l.productId))];
    const products = await Promise.all(productIds.map((id) => getProduct(id, { toast: false }).catch(() => null)));
    for (const product of products) {
      for (const sku of product?.skus ?? []) updateStock(sku.id, sku.stock, sku.priceFen);
    }
  }

  function remove(skuId: string): void {
    lines.value = lines.value.filter((l) => l.skuId !== skuId);
  }

  /** After an order is placed: its SKUs leave the cart. */
  function removeOrdered(skuIds: readonly string[]): void {
    const ordered = new Set(skuIds);
    lines.value = lines.value.filter((l) => !ordered.has(l.skuId));
  }

  function restore(): void {
    lines.value = loadLines();
  }

  return {
    lines,
    count,
    totalFen,
    isEmpty,
    blocked,
    add,
    setQuantity,
    updateStock,
    refreshStock,
    remove,
    removeOrdered,
    restore,
  };
});
