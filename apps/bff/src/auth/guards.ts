import type { Request, RequestHandler } from 'express';
import type { Db, PrismaClient } from '../db/index.js';
import { sqlQuery } from '../db/sql.js';
import { AppError } from '../errors.js';
import { adminSessionEnded } from './admin-sessions.js';
import type { AdminClaims, ShopperClaims, TokenService } from './tokens.js';

interface GuardDeps {
  tokens: TokenService;
  db: Db;
  prisma: PrismaClient;
  now: () => Date;
}

declare module 'express-serve-static-core' {
  interface Request {
    shopper?: ShopperClaims;
    admin?: AdminClaims;
  }
}

function bearer(req: Request): string | undefined {
  const header = req.get('authorization');
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

/**
 * A shopper's token counts while their user row exists: a token outliving its user (deleted) is a
 * 401 the mini-program answers by logging in again, not a foreign-key failure (500) deep in a write.
 * One primary-key lookup in plain SQL: this guard sits on checkout's hot path.
 */
export function requireShopper(deps: GuardDeps): RequestHandler {
  // Express 5 passes a rejected promise (the database down) on to the error handler
  return async (req, _res, next) => {
    const token = bearer(req);
    const claims = token ? await deps.tokens.verify(token) : undefined;
    if (claims?.role !== 'shopper')
      return next(new AppError('UNAUTHORIZED', 401, 'log in first: POST /api/auth/login'));
    const user = await sqlQuery(deps.db, 'SELECT 1 FROM "User" WHERE id = $1', [claims.userId]);
    if (user.rows.length === 0)
      return next(new AppError('SESSION_REVOKED', 401, 'this login no longer exists: POST /api/auth/login again'));
    req.shopper = claims;
    next();
  };
}

/** An admin's token counts while its session is live and the admin exists and is not disabled. */
export function requireAdmin(deps: GuardDeps): RequestHandler {
  return async (req, _res, next) => {
    const token = bearer(req);
    const claims = token ? await deps.tokens.verify(token) : undefined;
    if (!claims) return next(new AppError('UNAUTHORIZED', 401, 'admin login required: POST /api/admin/login'));
    if (claims.role !== 'admin') return next(new AppError('FORBIDDEN', 403, 'admins only'));
    const ended = await adminSessionEnded(deps, claims);
    if (ended) return next(new AppError('SESSION_REVOKED', 401, `admin session ended: ${ended}; log in again`));
    req.admin = claims;
    next();
  };
}

export function shopperOf(req: Request): ShopperClaims {
  if (!req.shopper) throw new AppError('UNAUTHORIZED', 401, 'log in first');
  return req.shopper;
}

export function adminOf(req: Request): AdminClaims {
  if (!req.admin) throw new AppError('UNAUTHORIZED', 401, 'admin login required');
  return req.admin;
}
