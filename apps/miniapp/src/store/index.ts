import { createPinia } from 'pinia';

export function createStore() {
  return createPinia();
}

export { useCatalogStore } from './catalog';
export { useUserStore } from './user';
export { useCartStore } from './cart';
export { useCheckoutStore } from './checkout';
export { usePaymentStore } from './payment';
export { useOrdersStore, useOrderDetailStore, usePaymentResultStore } from './orders';
export { useAdminSessionStore } from './admin-session';
// The admin pages' stores live in the pages-admin subpackage (pages-admin/store/admin.ts): a module
// under a subpackage root is built into that subpackage, so the main package does not carry them.
