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
export { useAdminOrdersStore, useAdminOrderStore, useAdminSessionStore, useAdminStatsStore } from './admin';
