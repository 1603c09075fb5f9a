import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { AppContext } from './context.js';
import { serializeError } from './logger.js';
import { errorHandler, routeNotFound } from './errors.js';
import { authRoutes } from './auth/routes.js';
import { catalogRoutes } from './catalog/routes.js';
import { healthRoutes } from './health/routes.js';
import { refuseUnstorableInput, requireJsonBody } from './http/input.js';

/** Extra routers mounted by capabilities; the notify routers need the raw body and go first. */
export interface RouteModules {
  rawBody?: express.Router[];
  json?: express.Router[];
}

export function createApp(ctx: AppContext, modules: RouteModules = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');

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
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } }));
  app.use(
    cors({
      origin: ctx.config.corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['X-Request-Id'],
      maxAge: 600,
    }),
  );

  app.use(healthRoutes(ctx));
  for (const router of modules.rawBody ?? []) app.use(router);
  app.use(requireJsonBody);
  app.use(express.json({ limit: '64kb', strict: true }));
  app.use(refuseUnstorableInput);
  app.use(authRoutes(ctx));
  app.use(catalogRoutes(ctx));
  for (const router of modules.json ?? []) app.use(router);

  app.use(routeNotFound);
  app.use(errorHandler);
  return app;
}
