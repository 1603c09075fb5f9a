import type { Router } from 'express';
import type { AppContext } from '../context.js';
import { startJobs } from '../admin/background.js';
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
export function fulfilmentCapability(ctx: AppContext): {
  json: Router[];
  startBackground: () => void;
  stopBackground: () => Promise<void>;
} {
  let jobs: { stop: () => Promise<void> } | undefined;
  return {
    json: [fulfilmentRoutes(ctx)],
    startBackground() {
      if (!ctx.config.jobsEnabled) return;
      jobs = startJobs(ctx, [{ name: 'fulfilment', run: () => runFulfilmentJobs(ctx) }], ctx.config.jobIntervalMs);
    },
    async stopBackground() {
      await jobs?.stop();
    },
  };
}
