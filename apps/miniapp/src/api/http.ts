/**
 * The one way pages and stores talk to the BFF: a typed wrapper over `uni.request`.
 * Interceptors run in order on every call: request interceptors shape the outgoing request
 * (base URL, bearer token), error interceptors see every failure (toast, expired session).
 * They are registered once in `./interceptors.ts`.
 */
import { apiErrorSchema, type ErrorCode } from '@uni-checkout/shared';
import { getRequestTimeoutMs } from './config';
import { errorMessage } from './error-copy';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Codes the BFF sends, plus the ones the client raises itself when no BFF answer exists. */
export type ApiErrorCode = ErrorCode | 'NETWORK_ERROR' | 'TIMEOUT' | 'BAD_RESPONSE' | 'HTTP_ERROR' | (string & {});

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** HTTP status, or 0 when the request never got an answer. */
    readonly status: number,
    readonly details?: unknown,
    /** The BFF's own wording (English, for developers and logs); `message` is what users read. */
    readonly serverMessage?: string,
  ) {
    super(message);
  }
}

export interface RequestConfig<T = unknown> {
  /** A path on the BFF (`/api/products`) or an absolute URL. */
  url: string;
  method: HttpMethod;
  query?: Record<string, string | number | boolean | null | undefined>;
  data?: Record<string, unknown> | unknown[];
  header: Record<string, string>;
  /** Which session's bearer token to send. */
  auth: 'user' | 'admin' | 'none';
  /** Show the error message as a toast (pages that render their own error state turn it off). */
  toast: boolean;
  timeout: number;
  /** Validates and types a 2xx body; a body that fails is an `ApiError('BAD_RESPONSE')`. */
  parse?: (body: unknown) => T;
}

/** May be async: the session interceptor logs the shopper in before the first call that needs it. */
export type RequestInterceptor = (config: RequestConfig) => RequestConfig | Promise<RequestConfig>;
export type ErrorInterceptor = (error: ApiError, config: RequestConfig) => void;

const requestInterceptors: RequestInterceptor[] = [];
const errorInterceptors: ErrorInterceptor[] = [];

export function addRequestInterceptor(interceptor: RequestInterceptor): void {
  requestInterceptors.push(interceptor);
}
export function addErrorInterceptor(interceptor: ErrorInterceptor): void {
  errorInterceptors.push(interceptor);
}

export type RequestOptions<T> = Partial<Omit<RequestConfig<T>, 'url'>> & {
  /** Internal: this call is already the one retry after an expired session. */
  isSessionRetry?: boolean;
};

/**
 * Told about a 401 on a call that sent a session; answers whether the call should be sent once more
 * (the shopper's session renews itself with a fresh login, an admin's with its refresh token).
 */
export type SessionExpiredHandler = (auth: 'user' | 'admin', sent: RequestConfig) => boolean | Promise<boolean>;
let sessionExpiredHandler: SessionExpiredHandler | null = null;

export function setSessionExpiredHandler(handler: SessionExpiredHandler): void {
  sessionExpiredHandler = handler;
}

function withQuery(url: string, query: RequestConfig['query']): string {
  if (!query) return url;
  const pairs = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  if (pairs.length === 0) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${pairs.join('&')}`;
}

/**
 * Turns a non-2xx answer into an ApiError, keeping the BFF's stable code when it sent one; the
 * message users read is the Chinese copy for that code (./error-copy.ts), never the BFF's English.
 */
export function toApiError(status: number, body: unknown): ApiError {
  const parsed = apiErrorSchema.safeParse(body);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new ApiError(code, errorMessage(code, details, status), status, details, message);
  }
  return new ApiError('HTTP_ERROR', errorMessage('HTTP_ERROR', undefined, status), status);
}

function send(config: RequestConfig): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    uni.request({
      url: withQuery(config.url, config.query),
      method: config.method,
      data: config.data as UniApp.RequestOptions['data'],
      header: config.header,
      timeout: config.timeout,
      dataType: 'json',
      success: (res) => resolve({ status: res.statusCode, body: res.data }),
      fail: (err) => {
        const timedOut = /timeout/i.test(err.errMsg ?? '');
        reject(
          timedOut
            ? new ApiError('TIMEOUT', errorMessage('TIMEOUT'), 0)
            : new ApiError('NETWORK_ERROR', errorMessage('NETWORK_ERROR'), 0, err.errMsg),
        );
      },
    });
  });
}

export async function request<T>(url: string, options: RequestOptions<T> = {}): Promise<T> {
  let config: RequestConfig = {
    url,
    method: options.method ?? 'GET',
    query: options.query,
    data: options.data,
    header: { Accept: 'application/json', ...(options.header ?? {}) },
    auth: options.auth ?? 'user',
    toast: options.toast ?? true,
    timeout: options.timeout ?? getRequestTimeoutMs(),
    parse: options.parse as ((body: unknown) => unknown) | undefined,
  };
  try {
    for (const interceptor of requestInterceptors) config = await interceptor(config);
    const { status, body } = await send(config);
    if (status < 200 || status >= 300) throw toApiError(status, body);
    if (!config.parse) return body as T;
    try {
      return config.parse(body) as T;
    } catch (cause) {
      throw new ApiError('BAD_RESPONSE', errorMessage('BAD_RESPONSE'), status, String(cause));
    }
  } catch (cause) {
    const error =
      cause instanceof ApiError
        ? cause
        : new ApiError('NETWORK_ERROR', errorMessage('NETWORK_ERROR'), 0, String(cause));
    if (
      error.status === 401 &&
      config.auth !== 'none' &&
      !options.isSessionRetry &&
      (await sessionExpiredHandler?.(config.auth, config))
    ) {
      // Same request again (same Idempotency-Key, if any): the session interceptor logs in first.
      return request<T>(url, { ...options, isSessionRetry: true });
    }
    for (const interceptor of errorInterceptors) interceptor(error, config);
    throw error;
  }
}

export const http = {
  get: <T>(url: string, options?: RequestOptions<T>) => request<T>(url, { ...options, method: 'GET' }),
  post: <T>(url: string, data?: RequestConfig['data'], options?: RequestOptions<T>) =>
    request<T>(url, { ...options, data, method: 'POST' }),
};

/** Any failure as an ApiError (a page or store never has to guess what it caught). */
export function asApiError(cause: unknown): ApiError {
  if (cause instanceof ApiError) return cause;
  return new ApiError(
    'CLIENT_ERROR',
    errorMessage('CLIENT_ERROR'),
    0,
    undefined,
    cause instanceof Error ? cause.message : String(cause),
  );
}
