import { MAX_LINES_PER_ORDER, MAX_QUANTITY_PER_ITEM, type Product, type Sku } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
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
}

export function clampQuantity(quantity: number): number {
  if (!Number.isFinite(quantity)) return 1;
  return Math.min(MAX_QUANTITY_PER_ITEM, Math.max(1, Math.trunc(quantity)));
}

export function lineFromSku(product: Product, sku: Sku, quantity: number): CartLine {
  return {
    skuId: sku.id,
    productId: product.id,
    title: product.title,
    skuTitle: sku.title,
    image: product.images[0] ?? null,
    priceFen: sku.priceFen,
    quantity: clampQuantity(quantity),
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
    Number.isSafeInteger(v.quantity)
  );
}

function loadLines(): CartLine[] {
  const stored = readStored(CART_KEY);
  if (!Array.isArray(stored)) return [];
  return stored.filter(isCartLine).map((line) => ({ ...line, quantity: clampQuantity(line.quantity) }));
}

export type AddResult = 'added' | 'merged' | 'full';

/** The shopping cart, kept in uni storage so that it survives restarts (and the h5 pay round trip). */
export const useCartStore = defineStore('cart', () => {
  const lines = ref<CartLine[]>(loadLines());

  const count = computed(() => lines.value.reduce((n, line) => n + line.quantity, 0));
  const totalFen = computed(() => linesTotalFen(lines.value));
  const isEmpty = computed(() => lines.value.length === 0);

  // Written at once (not on the next tick): the h5 app may leave for the pay sheet right after a change.
  watch(lines, (value) => writeStored(CART_KEY, value.length ? value : null), { deep: true, flush: 'sync' });

  /** Adds a SKU; the same SKU again raises its quantity (up to 99). */
  function add(line: CartLine): AddResult {
    const existing = lines.value.find((l) => l.skuId === line.skuId);
    if (existing) {
      existing.quantity = clampQuantity(existing.quantity + line.quantity);
      existing.priceFen = line.priceFen;
      return 'merged';
    }
    if (lines.value.length >= MAX_LINES_PER_ORDER) return 'full';
    lines.value.push({ ...line, quantity: clampQuantity(line.quantity) });
    return 'added';
  }

  function setQuantity(skuId: string, quantity: number): void {
    const line = lines.value.find((l) => l.skuId === skuId);
    if (line) line.quantity = clampQuantity(quantity);
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

  return { lines, count, totalFen, isEmpty, add, setQuantity, remove, removeOrdered, restore };
});
