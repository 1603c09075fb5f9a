import type { Product } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError } from '../api/http';
import { listProducts } from '../api/products';

export type CatalogStatus = 'idle' | 'loading' | 'ready' | 'error';

export const useCatalogStore = defineStore('catalog', () => {
  const products = ref<Product[]>([]);
  const nextCursor = ref<string | null>(null);
  const status = ref<CatalogStatus>('idle');
  const loadingMore = ref(false);
  const error = ref<ApiError | null>(null);

  const isEmpty = computed(() => status.value === 'ready' && products.value.length === 0);
  const hasMore = computed(() => nextCursor.value !== null);

  function asApiError(cause: unknown): ApiError {
    return cause instanceof ApiError ? cause : new ApiError('NETWORK_ERROR', String(cause), 0);
  }

  /** Loads the first page afresh (first visit, retry, pull-down refresh). */
  async function load(): Promise<void> {
    status.value = 'loading';
    error.value = null;
    try {
      // The page shows its own error state with a retry button, so no toast here.
      const page = await listProducts({}, { toast: false });
      products.value = page.items;
      nextCursor.value = page.nextCursor;
      status.value = 'ready';
    } catch (cause) {
      error.value = asApiError(cause);
      status.value = 'error';
    }
  }

  /** Appends the next page; a failure keeps what is shown and only toasts. */
  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value || status.value !== 'ready') return;
    loadingMore.value = true;
    try {
      const page = await listProducts({ cursor: nextCursor.value });
      const known = new Set(products.value.map((p) => p.id));
      products.value = [...products.value, ...page.items.filter((p) => !known.has(p.id))];
      nextCursor.value = page.nextCursor;
    } catch {
      // The toast interceptor already told the shopper; scrolling again retries.
    } finally {
      loadingMore.value = false;
    }
  }

  return { products, nextCursor, status, loadingMore, error, isEmpty, hasMore, load, loadMore };
});
