import type { AddressBookEntry, AddressInput, SaveAddressRequest } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { createAddress, deleteAddress, listAddresses, updateAddress } from '../api/addresses';
import { asApiError, type ApiError } from '../api/http';

/** What `uni.chooseAddress` hands back, in the BFF's field names. */
export function fromWechatAddress(res: {
  userName: string;
  telNumber: string;
  provinceName: string;
  cityName: string;
  countyName: string;
  detailInfo: string;
  postalCode?: string;
}): AddressInput {
  return {
    name: res.userName,
    phone: res.telNumber,
    province: res.provinceName,
    city: res.cityName,
    district: res.countyName,
    detail: res.detailInfo,
    postalCode: res.postalCode ?? '',
  };
}

/** The shopper's address book (收货地址) and the one the checkout ships to. */
export const useAddressesStore = defineStore('addresses', () => {
  const items = ref<AddressBookEntry[]>([]);
  const status = ref<'idle' | 'loading' | 'ready' | 'error'>('idle');
  const error = ref<ApiError | null>(null);
  const saving = ref(false);
  /** chosen for the checkout; the default is preselected */
  const selectedId = ref<string | null>(null);

  const selected = computed(
    () => items.value.find((a) => a.id === selectedId.value) ?? items.value.find((a) => a.isDefault) ?? null,
  );

  async function load(): Promise<void> {
    status.value = 'loading';
    error.value = null;
    try {
      items.value = await listAddresses();
      status.value = 'ready';
    } catch (cause) {
      error.value = asApiError(cause);
      status.value = 'error';
    }
  }

  async function save(input: SaveAddressRequest, id?: string): Promise<AddressBookEntry> {
    saving.value = true;
    try {
      const saved = id ? await updateAddress(id, input) : await createAddress(input);
      await load();
      return saved;
    } finally {
      saving.value = false;
    }
  }

  async function remove(id: string): Promise<void> {
    await deleteAddress(id);
    if (selectedId.value === id) selectedId.value = null;
    await load();
  }

  function select(id: string): void {
    selectedId.value = id;
  }

  return { items, status, error, saving, selectedId, selected, load, save, remove, select };
});
