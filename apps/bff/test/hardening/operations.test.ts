/** Operations surface: /metrics behind METRICS_TOKEN, X-Forwarded-For believed only from TRUST_PROXY. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
const METRICS_TOKEN = randomUUID();
beforeAll(async () => {
  h = await startHarness({ env: { METRICS_TOKEN } });
}, 60_000);
afterAll(() => h?.close());

describe('operations surface', { timeout: 150_000 }, () => {
  it('serves /metrics only with the bearer METRICS_TOKEN', async () => {
    expect((await fetch(`${h.bff.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${h.bff.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${h.bff.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('http_request');
  });

  it('with TRUST_PROXY unset, a rotating X-Forwarded-For does not escape the per-client login limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${h.bff.url}/api/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.0.${i}.7` },
        body: JSON.stringify({ username: `nobody-${i}`, password: 'wrong-password-1' }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(429);
  });
});
