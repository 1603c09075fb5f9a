import type { Order, OrderAddress } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, asApiError } from '../api/http';
import { createOrder } from '../api/orders';
import { newIdempotencyKey } from '../utils/random';
import { readStored, writeStored } from '../utils/storage';
import { linesTotalFen, useCartStore, type CartLine } from './cart';

const CHECKOUT_KEY = 'uni-checkout:checkout';

export type CheckoutSource = 'cart' | 'buy-now';

interface Draft {
  lines: CartLine[];
  source: CheckoutSource;
  remark: string;
  /** where the goods go (the address book's choice, or one just typed) */
  address: OrderAddress | null;
  /** One per checkout attempt: kept across retries of the same submission, new when the draft changes. */
  idempotencyKey: string | null;
  /** The order this draft became: coming back to the checkout (back from the pay sheet) leads to it. */
  placedOrderNo?: string | null;
}

function loadDraft(): Draft {
  const stored = readStored(CHECKOUT_KEY) as Partial<Draft> | null;
  if (stored && Array.isArray(stored.lines) && (stored.source === 'cart' || stored.source === 'buy-now')) {
    return {
      lines: stored.lines,
      source: stored.source,
      remark: typeof stored.remark === 'string' ? stored.remark : '',
      address: stored.address && typeof stored.address === 'object' ? stored.address : null,
      idempotencyKey: typeof stored.idempotencyKey === 'string' ? stored.idempotencyKey : null,
      placedOrderNo: typeof stored.placedOrderNo === 'string' ? stored.placedOrderNo : null,
    };
  }
  return { lines: [], source: 'cart', remark: '', address: null, idempotencyKey: null };
}

const sameAddress = (a: OrderAddress | null, b: OrderAddress | null) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The order being placed. The draft is kept in storage (a reload of the h5 page keeps it), and so is
 * its idempotency key: a submission whose answer was lost is sent again with the same key, and the
 * BFF answers the order it already created instead of a second one.
 */
export const useCheckoutStore = defineStore('checkout', () => {
  const draft = ref<Draft>(loadDraft());
  const submitting = ref(false);
  const error = ref<ApiError | null>(null);

  const lines = computed(() => draft.value.lines);
  const source = computed(() => draft.value.source);
  const totalFen = computed(() => linesTotalFen(draft.value.lines));
  const remark = computed({
    get: () => draft.value.remark,
    set: (value: string) => {
      if (value === draft.value.remark) return;
      // Another body under the same key would be refused (IDEMPOTENCY_KEY_REUSED): a new attempt.
      draft.value = { ...draft.value, remark: value, idempotencyKey: null };
      persist();
    },
  });

  const address = computed(() => draft.value.address);

  /** Ships to this address; another address is another request body, so a new attempt. */
  function setAddress(value: OrderAddress | null): void {
    if (sameAddress(value, draft.value.address)) return;
    draft.value = { ...draft.value, address: value ? { ...value } : null, idempotencyKey: null };
    persist();
  }

  function persist(): void {
    writeStored(CHECKOUT_KEY, draft.value.lines.length || draft.value.placedOrderNo ? draft.value : null);
  }

  const placedOrderNo = computed(() => (draft.value.lines.length ? null : (draft.value.placedOrderNo ?? null)));

  /** Starts a checkout of these lines (the whole cart, or one SKU bought now). */
  function start(newLines: CartLine[], source: CheckoutSource): void {
    draft.value = {
      lines: newLines.map((l) => ({ ...l })),
      source,
      remark: '',
      address: draft.value.address,
      idempotencyKey: null,
    };
    error.value = null;
    persist();
  }

  /** `POST /api/orders` with this attempt's key; resolves with the order (new, or the one a lost answer created). */
  async function submit(): Promise<Order> {
    if (submitting.value) throw new Error('already submitting');
    if (draft.value.lines.length === 0) throw new Error('nothing to order');
    const shipTo = draft.value.address;
    if (!shipTo) {
      error.value = new ApiError('ADDRESS_REQUIRED', '请选择收货地址', 0);
      throw error.value;
    }
    if (!draft.value.idempotencyKey) {
      draft.value = { ...draft.value, idempotencyKey: newIdempotencyKey() };
      persist();
    }
    submitting.value = true;
    error.value = null;
    try {
      const order = await createOrder(
        {
          items: draft.value.lines.map((l) => ({ skuId: l.skuId, quantity: l.quantity })),
          ...(draft.value.remark.trim() ? { remark: draft.value.remark.trim() } : {}),
          address: {
            name: shipTo.name,
            phone: shipTo.phone,
            province: shipTo.province,
            city: shipTo.city,
            district: shipTo.district,
            detail: shipTo.detail,
            postalCode: shipTo.postalCode || undefined,
          },
        },
        draft.value.idempotencyKey!,
      );
      if (draft.value.source === 'cart') useCartStore().removeOrdered(draft.value.lines.map((l) => l.skuId));
      draft.value = {
        lines: [],
        source: 'cart',
        remark: '',
        address: shipTo,
        idempotencyKey: null,
        placedOrderNo: order.orderNo,
      };
      persist();
      return order;
    } catch (cause) {
      error.value = asApiError(cause);
      throw error.value;
    } finally {
      submitting.value = false;
    }
  }

  return {
    draft,
    lines,
    source,
    totalFen,
    remark,
    address,
    submitting,
    error,
    placedOrderNo,
    start,
    setAddress,
    submit,
  };
});
