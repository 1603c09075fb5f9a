import type { Product, Sku } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { asApiError, type ApiError } from '../api/http';
import { getProduct } from '../api/products';
import { clampQuantity } from './cart';
import type { LoadStatus } from './orders';

/** The product detail page: the product, the SKU picked (never one out of stock) and the quantity. */
export const useProductStore = defineStore('product', () => {
  const product = ref<Product | null>(null);
  const status = ref<LoadStatus>('idle');
  const error = ref<ApiError | null>(null);
  const skuId = ref<string | null>(null);
  const quantity = ref(1);

  const sku = computed<Sku | null>(() => product.value?.skus.find((s) => s.id === skuId.value) ?? null);
  const soldOut = computed(() => (product.value?.skus ?? []).every((s) => s.stock <= 0));
  /** The most one order line may hold: 99, or less when stock is short. */
  const maxQuantity = computed(() => (sku.value ? Math.max(1, Math.min(99, sku.value.stock)) : 99));

  async function load(id: string): Promise<void> {
    if (product.value?.id !== id) {
      product.value = null;
      skuId.value = null;
      quantity.value = 1;
    }
    status.value = 'loading';
    error.value = null;
    try {
      const loaded = await getProduct(id);
      product.value = loaded;
      // The first SKU in stock is preselected; a sold-out product has none.
      if (!loaded.skus.some((s) => s.id === skuId.value && s.stock > 0)) {
        skuId.value = loaded.skus.find((s) => s.stock > 0)?.id ?? null;
      }
      quantity.value = Math.min(quantity.value, maxQuantity.value);
      status.value = 'ready';
    } catch (cause) {
      error.value = asApiError(cause);
      status.value = 'error';
    }
  }

  function pick(id: string): void {
    const candidate = product.value?.skus.find((s) => s.id === id);
    if (!candidate || candidate.stock <= 0) return;
    skuId.value = id;
    quantity.value = Math.min(quantity.value, maxQuantity.value);
  }

  function setQuantity(value: number): void {
    quantity.value = Math.min(clampQuantity(value), maxQuantity.value);
  }

  return { product, status, error, skuId, sku, quantity, soldOut, maxQuantity, load, pick, setQuantity };
});
