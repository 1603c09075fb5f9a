import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { AppContext } from './context.js';
import { serializeError } from './logger.js';
import { errorHandler, routeNotFound } from './errors.js';
import { refuseUnstorableInput, requireJsonBody } from './http/input.js';
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

  app.use(
    pinoHttp({
      logger: ctx.logger,
      // every line logged through req.log carries reqId
      quietReqLogger: true,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        // pino-http would otherwise put the standard one back on every req.log
        err: serializeError,
      },
    }),
  );
  app.use((req, res, next) => {
    const end = ctx.metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const route =
        (req.route?.path as string | undefined) ?? (res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other');
      end({ route, status: String(res.statusCode) });
    });
    next();
  });
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
