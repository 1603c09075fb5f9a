import {
  addressBookEntrySchema,
  listSchema,
  type AddressBookEntry,
  type SaveAddressRequest,
} from '@uni-checkout/shared';
import { request } from './http';

const bookSchema = listSchema(addressBookEntrySchema);
const path = (id: string) => `/api/addresses/${encodeURIComponent(id)}`;

/** The shopper's address book: the default first, then the newest. */
export async function listAddresses(): Promise<AddressBookEntry[]> {
  return request('/api/addresses', { parse: (body) => bookSchema.parse(body).items });
}

export function createAddress(address: SaveAddressRequest): Promise<AddressBookEntry> {
  return request('/api/addresses', {
    method: 'POST',
    data: { ...address },
    toast: false,
    parse: (body) => addressBookEntrySchema.parse(body),
  });
}

export function updateAddress(id: string, address: SaveAddressRequest): Promise<AddressBookEntry> {
  return request(path(id), {
    method: 'PUT',
    data: { ...address },
    toast: false,
    parse: (body) => addressBookEntrySchema.parse(body),
  });
}

export function deleteAddress(id: string): Promise<void> {
  return request(path(id), { method: 'DELETE', parse: () => undefined });
}
