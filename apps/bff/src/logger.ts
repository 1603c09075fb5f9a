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
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'uni-checkout-bff' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
