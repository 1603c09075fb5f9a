import type { AppContext } from './context.js';
import type { RouteModules } from './app.js';

/**
 * The capabilities mounted beside the foundation (orders, payments, admin …) and their
 * background work. Each returns its routers; jobs start once the server listens.
 */
export interface Mounted {
  routes: RouteModules;
  startBackground?: () => void;
  stopBackground?: () => Promise<void>;
}

export async function capabilities(_ctx: AppContext): Promise<Mounted> {
  return { routes: {} };
}
