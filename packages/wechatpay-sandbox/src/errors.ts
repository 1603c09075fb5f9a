import type { ZodError } from 'zod';

/** A WeChat Pay APIv3 error: HTTP status plus `{ code, message, detail? }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: { location: string; field?: string; value?: unknown; issue: string },
  ) {
    super(message);
  }

  toBody(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.detail ? { detail: this.detail } : {}) };
  }
}

export const paramError = (message: string, detail?: ApiError['detail']) =>
  new ApiError(400, 'PARAM_ERROR', message, detail);
export const invalidRequest = (message: string) => new ApiError(400, 'INVALID_REQUEST', message);
export const signError = (message: string) => new ApiError(401, 'SIGN_ERROR', message);

/** Turns the first zod issue into WeChat's PARAM_ERROR, naming the field as a JSON pointer. */
export function fromZod(err: ZodError, location: 'body' | 'query' | 'path', input: unknown): ApiError {
  const issue = err.issues[0];
  const path = issue?.path ?? [];
  const field = `/${path.map(String).join('/')}`;
  let value: unknown = input;
  for (const p of path)
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined;
  const text = issue?.message ?? 'invalid';
  return paramError(`输入源“/${location}${field === '/' ? '' : field}”校验失败：${text}`, {
    location,
    field: field === '/' ? '' : field,
    ...(value !== undefined && typeof value !== 'object' ? { value } : {}),
    issue: text,
  });
}
