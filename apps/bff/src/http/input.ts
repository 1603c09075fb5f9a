import { orderNoSchema } from '@uni-checkout/shared';
import type { RequestHandler } from 'express';
import { AppError, notFound } from '../errors.js';

/** Where in a parsed JSON body or query a string holds U+0000, or undefined. */
function nulAt(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return here;
    const found = nulAt(inner, here, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * PostgreSQL text cannot hold U+0000, and a path whose percent-encoding does not decode names no
 * resource: either would otherwise fail deep inside a query as a 500 (after side effects such as
 * a rate-limit slot or a WeChat call). Refused at the door as the client's 400.
 */
export const refuseUnstorableInput: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(new AppError('VALIDATION_FAILED', 400, 'path: malformed percent-encoding'));
  }
  if (path.includes('\u0000')) return next(new AppError('VALIDATION_FAILED', 400, 'path: contains a NUL character'));
  const inQuery = nulAt(req.query, '');
  if (inQuery !== undefined)
    return next(new AppError('VALIDATION_FAILED', 400, `${inQuery || 'query'}: contains a NUL character`));
  const inBody = nulAt(req.body, '');
  if (inBody !== undefined)
    return next(new AppError('VALIDATION_FAILED', 400, `${inBody || 'body'}: contains a NUL character`));
  next();
};

/**
 * The JSON API reads bodies sent as application/json only. Any other body (a form post, text/plain)
 * would be skipped by the parser and reach the route as "no body": say what is wrong instead.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (hasBody && !req.is('application/json')) {
    return next(
      new AppError(
        'UNSUPPORTED_MEDIA_TYPE',
        415,
        `request bodies must be JSON (Content-Type: application/json), got ${req.headers['content-type'] ?? 'no Content-Type'}`,
      ),
    );
  }
  next();
};

/**
 * A list's query with empty parameters dropped: `?status=&cursor=` (a form with nothing chosen,
 * the API's own route shape) means "no filter, first page", not an invalid status.
 */
export function listQuery(query: unknown): Record<string, unknown> {
  if (query === null || typeof query !== 'object') return {};
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
}

/** An `:orderNo` path parameter: one that cannot be an order number names no order (404, as an unknown one does). */
export function orderNoParam(value: unknown): string {
  const parsed = orderNoSchema.safeParse(value);
  if (!parsed.success) throw notFound('order');
  return parsed.data;
}
