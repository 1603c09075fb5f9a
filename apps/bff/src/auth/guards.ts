import type { Request, RequestHandler } from 'express';
import { AppError } from '../errors.js';
import type { AdminClaims, ShopperClaims, TokenService } from './tokens.js';

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

export function requireShopper(tokens: TokenService): RequestHandler {
  return async (req, _res, next) => {
    const token = bearer(req);
    const claims = token ? await tokens.verify(token) : undefined;
    if (claims?.role !== 'shopper')
      return next(new AppError('UNAUTHORIZED', 401, 'log in first: POST /api/auth/login'));
    req.shopper = claims;
    next();
  };
}

export function requireAdmin(tokens: TokenService): RequestHandler {
  return async (req, _res, next) => {
    const token = bearer(req);
    const claims = token ? await tokens.verify(token) : undefined;
    if (!claims) return next(new AppError('UNAUTHORIZED', 401, 'admin login required: POST /api/admin/login'));
    if (claims.role !== 'admin') return next(new AppError('FORBIDDEN', 403, 'admins only'));
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
