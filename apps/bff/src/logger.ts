import pino, { type Logger } from 'pino';

/**
 * Paths never written to logs. Anything that can authorise a payment or a session is here:
 * tokens, passwords, WeChat's session_key and appsecret, keys and signatures.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.secret',
  '*.accessToken',
  '*.access_token',
  '*.appsecret',
  '*.session_key',
  '*.sessionKey',
  '*.apiV3Key',
  '*.privateKey',
  '*.mchPrivateKeyPem',
  '*.merchantPrivateKeyPem',
  '*.paySign',
  '*.ciphertext',
  'headers.authorization',
  'config.headers.Authorization',
  'err.config.headers.Authorization',
  'err.config.privateKey',
];

interface AxiosLikeError {
  isAxiosError: true;
  name?: string;
  code?: string;
  message?: string;
  config?: { method?: string; url?: string };
  response?: { status?: number };
}

const isAxiosError = (err: unknown): err is AxiosLikeError =>
  typeof err === 'object' && err !== null && (err as { isAxiosError?: unknown }).isAxiosError === true;

/**
 * An HTTP client error (axios, under wechatpay-axios-plugin) carries the whole request: the signed
 * Authorization header, the body (payer openid, amounts), the client's key material and the raw
 * response. Logged whole it would write all of that; what a person needs is which call failed how.
 */
export function serializeError(err: unknown): unknown {
  if (isAxiosError(err)) {
    return {
      type: err.name ?? 'AxiosError',
      code: err.code,
      message: err.message,
      method: err.config?.method,
      url: err.config?.url,
      status: err.response?.status,
    };
  }
  return pino.stdSerializers.err(err as Error);
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'uni-checkout-bff' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
