import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBff } from '../../src/index.js';
import { apiClient, startHarness, type Harness } from '../support/harness.js';
import { startSandboxBff, type SandboxBff } from '../support/sandbox-bff.js';

/** `GET /api/client-config`: what a client build may know about the deployment, and nothing secret. */
describe('client configuration', () => {
  describe('in sandbox mode (embedded PGlite)', () => {
    let server: SandboxBff;
    let bff: RunningBff;
    beforeAll(async () => {
      server = await startSandboxBff({ postgres: false });
      bff = server.bff;
    }, 120_000);
    afterAll(async () => server?.close());

    it('names the mode and the sandbox URL the h5 pay sheet lives at, without a token', async () => {
      const res = await apiClient(bff.url).get('/api/client-config');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ wechatMode: 'sandbox', sandboxUrl: bff.ctx.sandboxUrl });
      expect(res.body.sandboxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // the sandbox really serves its pay sheet there
      const cashier = await fetch(`${res.body.sandboxUrl}/sandbox/cashier`);
      expect(cashier.status).toBe(200);
      expect(await cashier.text()).toContain('cashier-confirm');
    });

    it('carries no credential of the sandbox merchant', async () => {
      const text = JSON.stringify((await apiClient(bff.url).get('/api/client-config')).body);
      const m = bff.ctx.merchant;
      for (const secret of [m.appsecret, m.apiV3Key, m.mchid, 'PRIVATE KEY']) expect(text).not.toContain(secret);
    });
  });

  describe('in merchant mode', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ db: 'pglite' });
    }, 120_000);
    afterAll(async () => h?.close());

    it('says merchant and names no sandbox, even though WECHATPAY_BASE points at one', async () => {
      const res = await h.anonymous.get('/api/client-config');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ wechatMode: 'merchant', sandboxUrl: null });
    });
  });
});
