import type { Page } from '@uni-checkout/shared';
import { computed, ref, type ComputedRef, type Ref } from 'vue';
import { asApiError, type ApiError } from '../api/http';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What a page shows of a list's state (a store's unwrapped refs; see components/paged-list-view). */
export interface PagedListState {
  status: LoadStatus;
  error: ApiError | null;
  isEmpty: boolean;
  hasMore: boolean;
  loadingMore: boolean;
}

export interface PagedListOptions<T> {
  /** `cursor` is null for the first page (first visit, new filter, retry, pull-down refresh). */
  fetchPage: (cursor: string | null) => Promise<Page<T>>;
  /** The identity that keeps a row from showing twice when the list shifts between pages. */
  keyOf: (item: T) => string;
  toError?: (cause: unknown) => ApiError;
}

/** What a page shows of a paged list (components/paged-list takes a pinia store of one as it is). */
export interface PagedListState {
  status: LoadStatus;
  isEmpty: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  error: ApiError | null;
}

export interface PagedList<T> {
  items: Ref<T[]>;
  nextCursor: Ref<string | null>;
  status: Ref<LoadStatus>;
  loadingMore: Ref<boolean>;
  error: Ref<ApiError | null>;
  isEmpty: ComputedRef<boolean>;
  hasMore: ComputedRef<boolean>;
  /** Loads the first page afresh; an answer to an older `load` is dropped. */
  load: () => Promise<void>;
  /** Appends the next page; a failure keeps what is shown (the request layer toasts). */
  loadMore: () => Promise<void>;
}

/**
 * The state of a cursor-paged list, for a pinia setup store to return as its own. Every `load`
 * starts a new generation: a page that arrives for an earlier one (the shopper switched tab or
 * filter meanwhile) is dropped instead of overwriting the newer list.
 */
export function createPagedList<T>(options: PagedListOptions<T>): PagedList<T> {
  const { fetchPage, keyOf, toError = asApiError } = options;
  const items = ref([]) as Ref<T[]>;
  const nextCursor = ref<string | null>(null);
  const status = ref<LoadStatus>('idle');
  const loadingMore = ref(false);
  const error = ref<ApiError | null>(null);
  let generation = 0;

  const isEmpty = computed(() => status.value === 'ready' && items.value.length === 0);
  const hasMore = computed(() => nextCursor.value !== null);

  async function load(): Promise<void> {
    const mine = ++generation;
    status.value = 'loading';
    error.value = null;
    try {
      const page = await fetchPage(null);
      if (mine !== generation) return;
      items.value = page.items;
      nextCursor.value = page.nextCursor;
      status.value = 'ready';
    } catch (cause) {
      if (mine !== generation) return;
      error.value = toError(cause);
      status.value = 'error';
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value || status.value !== 'ready') return;
    const mine = generation;
    loadingMore.value = true;
    try {
      const page = await fetchPage(nextCursor.value);
      if (mine !== generation) return;
      const known = new Set(items.value.map(keyOf));
      items.value = [...items.value, ...page.items.filter((item) => !known.has(keyOf(item)))];
      nextCursor.value = page.nextCursor;
    } catch {
      // The request layer already toasted; scrolling again retries.
    } finally {
      loadingMore.value = false;
    }
  }

  return { items, nextCursor, status, loadingMore, error, isEmpty, hasMore, load, loadMore };
}
