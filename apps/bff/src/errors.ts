import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import type { ErrorCode } from '@uni-checkout/shared';
import { Prisma } from './db/index.js';

/** The one error type of the BFF: a stable code, an HTTP status and a sentence for people. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', 404, `${what} not found`);

export function zodToAppError(error: ZodError): AppError {
  const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = details[0];
  return new AppError(
    'VALIDATION_FAILED',
    400,
    first ? `${first.path || 'body'}: ${first.message}` : 'invalid request',
    details,
  );
}

export const routeNotFound: RequestHandler = (req, _res, next) => {
  next(new AppError('ROUTE_NOT_FOUND', 404, `no route for ${req.method} ${req.path}`));
};

/**
 * PostgreSQL's SQLSTATE behind a Prisma error raised through a driver adapter, if any.
 * Class 22 (data exception: integer or date out of range, text it cannot store) means a value
 * the request carried slipped past validation: still the client's 400, and the statement failed,
 * so nothing of it was written.
 */
function sqlState(err: unknown): string | undefined {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return undefined;
  const cause = (err.meta as { driverAdapterError?: { cause?: { originalCode?: unknown } } } | undefined)
    ?.driverAdapterError?.cause;
  return typeof cause?.originalCode === 'string' ? cause.originalCode : undefined;
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  code?: unknown;
}

/**
 * A body whose Content-Encoding (gzip, deflate, br) does not decode: body-parser passes the
 * decompressor's error on as a 400 without a `type` (zlib's codes are `Z_…`, brotli's `ERR_…`).
 * The client sent it wrong: a 400, logged as a warning, on every route.
 */
export function isUndecodableBody(err: unknown): boolean {
  const e = err as BodyParserError | undefined;
  return e?.status === 400 && e.type === undefined && typeof e.code === 'string' && /^(Z_|ERR_)/.test(e.code);
}

export const undecodableBodyMessage = 'request body does not decode with its Content-Encoding';

/** Turns every error into `{ error: { code, message } }`; never leaks a stack or an internal message. */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  let appError: AppError;
  if (err instanceof AppError) appError = err;
  else if (err instanceof ZodError) appError = zodToAppError(err);
  else if ((err as BodyParserError)?.type === 'entity.parse.failed') {
    appError = new AppError('MALFORMED_JSON', 400, 'request body is not valid JSON');
  } else if ((err as BodyParserError)?.type === 'entity.too.large') {
    appError = new AppError('PAYLOAD_TOO_LARGE', 413, 'request body is too large');
  } else if (isUndecodableBody(err)) {
    appError = new AppError('BODY_ENCODING_INVALID', 400, undecodableBodyMessage);
    req.log?.warn(
      { code: (err as BodyParserError).code, encoding: req.get('content-encoding') },
      undecodableBodyMessage,
    );
  } else if (err instanceof URIError && (err as BodyParserError).status === 400) {
    // a route parameter whose percent-encoding does not decode (the router marks it 400)
    appError = new AppError('VALIDATION_FAILED', 400, 'path: malformed percent-encoding');
  } else if (sqlState(err)?.startsWith('22')) {
    appError = new AppError('VALIDATION_FAILED', 400, 'a value in the request is out of range or cannot be stored');
    req.log?.warn({ err }, 'database refused a value from the request');
  } else if (
    (err as BodyParserError)?.type === 'encoding.unsupported' ||
    (err as BodyParserError)?.type === 'charset.unsupported'
  ) {
    appError = new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'unsupported request body encoding or charset');
  } else {
    appError = new AppError('INTERNAL', 500, 'internal error, please retry later');
  }
  if (appError.status >= 500) req.log?.error({ err }, 'request failed');
  else req.log?.info({ code: appError.code, status: appError.status }, appError.message);
  if (res.headersSent) return;
  const body: { error: { code: string; message: string; details?: unknown } } = {
    error: { code: appError.code, message: appError.message },
  };
  if (appError.details !== undefined) body.error.details = appError.details;
  // a rate limit says when to come back (RFC 9110 Retry-After, whole seconds)
  const retryAfter = (appError.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (appError.status === 429 && typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
  res.status(appError.status).json(body);
};
