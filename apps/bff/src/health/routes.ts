import { createHash, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { pingDb } from '../db/index.js';

export function healthRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    try {
      await pingDb(ctx.db);
      res.json({ status: 'ready', database: ctx.db.kind, wechatMode: ctx.wechatMode });
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
      res.status(503).json({ error: { code: 'NOT_READY', message: 'database unreachable' } });
    }
  });
  router.get('/metrics', async (req, res) => {
    const token = ctx.config.metricsToken;
    if (token && !sameSecret(req.get('authorization') ?? '', `Bearer ${token}`)) {
      res
        .status(401)
        .json({ error: { code: 'UNAUTHORIZED', message: 'metrics need Authorization: Bearer $METRICS_TOKEN' } });
      return;
    }
    res.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  return router;
}

/** Compared in constant time (over digests, so lengths do not leak either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (v: string) => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Routes a browser calls: mounted after CORS, unlike the probes above. */
export function clientConfigRoutes(ctx: AppContext): Router {
  const router = Router();
  // What a client build needs to know about this deployment; public, so never a credential.
  // The h5 build reads it to log in with `sandbox:<openid>` codes and to open the sandbox's pay sheet.
  router.get('/api/client-config', (_req, res) => {
    res.json({
      wechatMode: ctx.wechatMode,
      sandboxUrl: ctx.wechatMode === 'sandbox' ? (ctx.sandboxUrl ?? null) : null,
    });
  });
  return router;
}
