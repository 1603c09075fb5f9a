import type { AppContext } from './context.js';
import type { RouteModules } from './app.js';
import { addressesCapability } from './addresses/index.js';
import { adminCapability } from './admin/index.js';
import { fulfilmentCapability } from './fulfilment/index.js';
import { paymentsCapability } from './payments/capability.js';

/**
 * The capabilities mounted beside the foundation (orders, payments, admin …) and their
 * background work. Each returns its routers; jobs start once the server listens.
 */
export interface Mounted {
  routes: RouteModules;
  startBackground?: () => void;
  stopBackground?: () => Promise<void>;
}

export async function capabilities(ctx: AppContext): Promise<Mounted> {
  const admin = adminCapability(ctx);
  const payments = paymentsCapability(ctx);
  const addresses = addressesCapability(ctx);
  const fulfilment = fulfilmentCapability(ctx);
  return {
    routes: {
      rawBody: [...payments.rawBody, ...admin.rawBody],
      json: [...payments.json, ...admin.json, ...addresses.json, ...fulfilment.json],
    },
    startBackground: () => {
      payments.startBackground();
      admin.startBackground();
      fulfilment.startBackground();
    },
    stopBackground: async () => {
      await payments.stopBackground();
      await admin.stopBackground();
      await fulfilment.stopBackground();
    },
  };
}
