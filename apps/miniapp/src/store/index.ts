import { createPinia } from 'pinia';

export function createStore() {
  return createPinia();
}

export { useCatalogStore } from './catalog';
export { useUserStore } from './user';
