import { z } from 'zod';
import { http } from './http';
import { normalizeApiBase } from './config';

/**
 * `GET /api/client-config`: how the BFF talks to WeChat. In sandbox mode (a BFF without merchant
 * credentials, never in production) it also names the sandbox, whose pay sheet the h5 build opens
 * in place of `uni.requestPayment`, and whose jscode2session accepts `sandbox:<openid>` codes.
 */
export const clientConfigSchema = z.object({
  wechatMode: z.enum(['merchant', 'sandbox']),
  sandboxUrl: z.string().nullable(),
});
export type ClientConfig = z.infer<typeof clientConfigSchema>;

let cached: Promise<ClientConfig> | null = null;

/** Asked once per app start; a failure is not cached, so the next call asks again. */
export function getClientConfig(): Promise<ClientConfig> {
  cached ??= http
    .get('/api/client-config', { auth: 'none', toast: false, parse: (body) => clientConfigSchema.parse(body) })
    .then((config) => ({
      ...config,
      // A build may name the sandbox itself, e.g. when the browser reaches it at another address
      // than the BFF does.
      sandboxUrl: normalizeApiBase(import.meta.env.VITE_SANDBOX_URL) ?? normalizeApiBase(config.sandboxUrl),
    }))
    .catch((error: unknown) => {
      cached = null;
      throw error;
    });
  return cached;
}
