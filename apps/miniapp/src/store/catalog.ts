import type { Product } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { errorMessage } from '../api/error-copy';
import { ApiError } from '../api/http';
import { listProducts } from '../api/products';
import { createPagedList, type LoadStatus } from './paged-list';

export type CatalogStatus = LoadStatus;

export const useCatalogStore = defineStore('catalog', () => {
  const list = createPagedList<Product>({
    // The first page shows its own error state with a retry button, so no toast there; a later
    // page that fails keeps what is shown and only toasts.
    fetchPage: (cursor) => (cursor === null ? listProducts({}, { toast: false }) : listProducts({ cursor })),
    keyOf: (product) => product.id,
    toError: (cause) =>
      cause instanceof ApiError
        ? cause
        : new ApiError('NETWORK_ERROR', errorMessage('NETWORK_ERROR'), 0, String(cause)),
  });
  const { items: products, nextCursor, status, loadingMore, error, isEmpty, hasMore, load, loadMore } = list;

  /** Every page (the 分类 page groups the whole catalog); stops where a page fails. */
  async function loadAll(): Promise<void> {
    await load();
    while (status.value === 'ready' && hasMore.value) {
      const before = products.value.length;
      await loadMore();
      if (products.value.length === before) break;
    }
  }

  return { products, nextCursor, status, loadingMore, error, isEmpty, hasMore, load, loadMore, loadAll };
});
