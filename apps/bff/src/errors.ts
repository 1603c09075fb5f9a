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

// node's socket errors, PostgreSQL's connection-exception class (08…) and its shutdown / not-ready
// states (57P01–57P03), Prisma's "can't reach" / "connection closed" / "pool timeout" codes
const UNREACHABLE_CODES =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|08\w{3}|57P0[123]|P1001|P1002|P1017|P2024)$/;
const UNREACHABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection closed|connect ECONNREFUSED/i;

/**
 * The database is out of reach (PostgreSQL restarting, failing over, the network cut): not a fault
 * of the request and not a bug, so a 503 the client may retry shortly instead of a 500. Looks
 * through the causes a driver adapter or Prisma wraps the socket's error in.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.size < 10) {
    const e = queue.shift() as
      | {
          code?: unknown;
          originalCode?: unknown;
          errorCode?: unknown;
          message?: unknown;
          cause?: unknown;
          meta?: unknown;
        }
      | undefined;
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    for (const code of [e.code, e.originalCode, e.errorCode])
      if (typeof code === 'string' && UNREACHABLE_CODES.test(code)) return true;
    if (typeof e.message === 'string' && UNREACHABLE_MESSAGES.test(e.message)) return true;
    const adapter = (e.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
    queue.push(e.cause, adapter, (adapter as { cause?: unknown } | undefined)?.cause);
  }
  return false;
}

/** Seconds a client waits before retrying while the database is out of reach. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

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
  } else if (isDatabaseUnavailable(err)) {
    appError = new AppError('SERVICE_UNAVAILABLE', 503, 'the service is recovering, please retry shortly', {
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    });
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
  if ((appError.status === 429 || appError.status === 503) && typeof retryAfter === 'number')
    res.setHeader('Retry-After', String(retryAfter));
  res.status(appError.status).json(body);
};
