import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { fulfilmentRoutes } from './routes.js';
import { runReceiptChecks } from './receipt.js';
import { retryDueUploads } from './upload.js';

export { shipOrder } from './ship.js';
export { uploadShipment, retryDueUploads } from './upload.js';
export { checkReceipt, runReceiptChecks } from './receipt.js';
export { deliveryCompanies } from './delivery-companies.js';

/** One pass of the fulfilment jobs: due shipping-info uploads, then receipts. */
export async function runFulfilmentJobs(ctx: AppContext) {
  const uploads = await retryDueUploads(ctx);
  const receipts = await runReceiptChecks(ctx);
  return { uploads, receipts };
}

/** Shipping (admin), the upload to WeChat, receipts (shopper and job). */
export function fulfilmentModule(ctx: AppContext): DomainModule {
  return {
    name: 'fulfilment',
    routes: [fulfilmentRoutes(ctx)],
    jobs: [{ name: 'fulfilment', run: () => runFulfilmentJobs(ctx) }],
  };
}
