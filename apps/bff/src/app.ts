import express, { type Express } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import type { AppContext } from './context.js';
import { errorHandler, routeNotFound } from './errors.js';
import { refuseUnstorableInput, requireJsonBody } from './http/input.js';
import { requestLog } from './http/request-log.js';
import type { DomainModule } from './module.js';
import { healthModule } from './health/index.js';
import { authModule } from './auth/index.js';
import { catalogModule } from './catalog/index.js';
import { ordersModule } from './orders/index.js';
import { adminModule } from './admin/index.js';
import { refundsModule } from './refunds/index.js';
import { reconciliationModule } from './reconciliation/index.js';
import { addressesModule } from './addresses/index.js';
import { fulfilmentModule } from './fulfilment/index.js';

/** Every domain module, in mounting order. */
export function domainModules(ctx: AppContext): DomainModule[] {
  return [
    healthModule(ctx),
    authModule(ctx),
    catalogModule(ctx),
    ordersModule(ctx),
    adminModule(ctx),
    refundsModule(ctx),
    reconciliationModule(ctx),
    addressesModule(ctx),
    fulfilmentModule(ctx),
  ];
}

export function createApp(ctx: AppContext, modules: DomainModule[]): Express {
  const app = express();
  app.disable('x-powered-by');
  // only the proxies TRUST_PROXY names: trusting every private address would let a client on a
  // private network rotate X-Forwarded-For past the per-client limits
  app.set('trust proxy', ctx.config.trustProxy.length ? ctx.config.trustProxy : false);

  app.use(requestLog(ctx.logger, ctx.metrics));
  // WeChat Pay notifications are verified over the raw body: their routers come before the parser.
  // They come before helmet and cors too: WeChat's servers are no browser, and these are the
  // busiest routes, so they carry no per-request work that serves browsers only
  for (const router of modules.flatMap((m) => m.rawRoutes ?? [])) app.use(router);
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } }));
  app.use(
    cors({
      origin: ctx.config.corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id'],
      maxAge: 600,
    }),
  );

  app.use(requireJsonBody);
  app.use(express.json({ limit: '64kb', strict: true }));
  app.use(refuseUnstorableInput);
  for (const router of modules.flatMap((m) => m.routes ?? [])) app.use(router);

  app.use(routeNotFound);
  app.use(errorHandler);
  return app;
}
