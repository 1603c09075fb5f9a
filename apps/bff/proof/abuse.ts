/**
 * The abuse limits as reliability rows: each one over several BFF processes on one database, since
 * the counters live in PostgreSQL and a client must not double its allowance by alternating
 * processes. Clients are told apart by X-Forwarded-For, believed from loopback (every proof process
 * has TRUST_PROXY=loopback, as behind the load balancer).
 */
import { randomUUID } from 'node:crypto';
import { countingProxy } from '../test/support/counting-proxy.js';
import { attempt, createOrder, login, seededSku, type Answer } from './traffic.js';
import { PROOF_ADMIN, type Shop } from './world.js';
import { expect, pick, startBffs, tally, type Scenario } from './scenario-support.js';

const from = (client: string) => ({ 'x-forwarded-for': client });
const madeUpCode = () => `made-up-${randomUUID()}`;

const loginAmplification: Scenario = {
  id: 'abuse-logins',
  title: 'Login amplification: made-up login codes from one client over 2 processes, counted before jscode2session',
  async run({ shop, quick }) {
    const counter = await countingProxy(shop.world.sandboxUrl);
    try {
      const bffs = await startBffs(shop, 2, {
        env: {
          WECHAT_API_BASE: counter.url,
          LOGINS_PER_CLIENT_PER_MINUTE: '60',
          LOGINS_PER_MINUTE: '600',
        },
      });
      const n = quick ? 100 : 300;
      const answers = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          attempt(`${pick(bffs, i).url}/api/auth/login`, 'POST', { code: madeUpCode() }, from('10.40.0.1')),
        ),
      );
      const calls = counter.count('/sns/jscode2session');
      expect(calls <= 60, `${calls} jscode2session calls for one client's ${n} logins`);
      expect(answers.filter((a) => a.status === 429).length === n - calls, `answers: ${tally(answers)}`);
      return `${n} logins with made-up codes from one client at once, alternating 2 processes: ${tally(answers)}; ${calls} jscode2session calls reached WeChat`;
    } finally {
      await counter.close();
    }
  },
};

const adminLockout: Scenario = {
  id: 'abuse-admin',
  title: "Admin lock-out as a weapon: strangers' wrong passwords on the admin's name over 2 processes",
  async run({ shop, quick }) {
    const bffs = await startBffs(shop, 2);
    const strangers = quick ? 3 : 10;
    const answers: Answer[] = [];
    for (let s = 0; s < strangers; s++)
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            attempt(
              `${pick(bffs, i).url}/api/admin/login`,
              'POST',
              { username: PROOF_ADMIN.username, password: `wrong-${randomUUID()}` },
              from(`10.41.0.${s + 1}`),
            ),
          ),
        )),
      );
    const own = await Promise.all(
      bffs.map((b) => attempt(`${b.url}/api/admin/login`, 'POST', PROOF_ADMIN, from('10.41.1.1'))),
    );
    expect(
      own.every((a) => a.status === 200),
      `the admin was shut out: ${tally(own)}`,
    );
    // a client that locked its pair (5 failures) and a user that does not exist look alike
    for (let i = 0; i < 5; i++)
      await attempt(
        `${pick(bffs, i).url}/api/admin/login`,
        'POST',
        { username: PROOF_ADMIN.username, password: `wrong-${randomUUID()}` },
        from('10.41.3.1'),
      );
    const locked = await attempt(`${bffs[1]!.url}/api/admin/login`, 'POST', PROOF_ADMIN, from('10.41.3.1'));
    const unknown = await attempt(
      `${bffs[0]!.url}/api/admin/login`,
      'POST',
      { username: `ghost-${randomUUID()}`, password: 'whatever-123' },
      from('10.41.3.2'),
    );
    expect(
      locked.status === 401 &&
        JSON.stringify(locked.body) === JSON.stringify(unknown.body) &&
        locked.status === unknown.status,
      `a locked client and an unknown user answer differently: ${JSON.stringify(locked)} / ${JSON.stringify(unknown)}`,
    );
    return `${answers.length} wrong passwords for the admin's name from ${strangers} clients over 2 processes: ${tally(answers)}; the admin from its own client on each process: ${tally(own)}; the right password from a locked client and an unknown user both get ${locked.status} ${locked.body?.error?.code}, same body`;
  },
};

/** One shopper on several processes started with `limits`, placing n orders of one unit at once. */
async function oneShopper(shop: Shop, quick: boolean, limits: Record<string, string>) {
  const bffs = await startBffs(shop, quick ? 2 : 3, { env: limits });
  const [sku, shopper] = await Promise.all([seededSku(shop), login(bffs[0]!.url)]);
  const atOnce = (n: number) =>
    Promise.all(Array.from({ length: n }, (_, i) => createOrder(pick(bffs, i).url, shopper, sku.id)));
  return { bffs, sku, shopper, atOnce };
}

const shopperLimits: Scenario = {
  id: 'abuse-shopper',
  title:
    "Per-shopper limits: one shopper's concurrent orders over several processes against the open-unpaid and per-SKU caps",
  async run({ shop, quick }) {
    const { bffs, sku, shopper, atOnce } = await oneShopper(shop, quick, {
      SHOPPER_MAX_UNPAID_ORDERS: '5',
      SHOPPER_MAX_UNITS_PER_SKU: '20',
      SHOPPER_ORDERS_PER_MINUTE: '1000',
    });
    const bulk = await createOrder(bffs[0]!.url, shopper, sku.id, 21);
    const n = quick ? 20 : 60;
    const answers = await atOnce(n);
    const created = answers.filter((a) => a.status === 201).length;
    expect(created === 5, `${created} open unpaid orders for one shopper`);
    const [held] = await shop.sql<{ units: string }>(
      `SELECT coalesce(sum(i.quantity), 0) AS units FROM "OrderItem" i JOIN "Order" o ON o.id = i."orderId"
       JOIN "User" u ON u.id = o."userId" WHERE o.status = 'PENDING_PAYMENT' AND u.openid = $1`,
      [shopper.openid],
    );
    return `one order of 21 units: ${tally([bulk])}; ${n} orders of 1 at once over ${bffs.length} processes: ${tally(answers)}; ${held!.units} units held`;
  },
};

const shopperRates: Scenario = {
  id: 'abuse-rates',
  title:
    "Per-shopper rate limit: one shopper's order placements at once over several processes, counted once in PostgreSQL",
  async run({ shop, quick }) {
    const { bffs, atOnce } = await oneShopper(shop, quick, {
      SHOPPER_ORDERS_PER_MINUTE: '4',
      SHOPPER_MAX_UNPAID_ORDERS: '1000',
      SHOPPER_MAX_UNITS_PER_SKU: '100000',
    });
    const n = quick ? 12 : 30;
    const answers = await atOnce(n);
    const created = answers.filter((a) => a.status === 201).length;
    expect(created === 4, `${created} orders placed within a limit of 4 a minute: ${tally(answers)}`);
    return `${n} order placements by one shopper at once over ${bffs.length} processes, limit 4 a minute: ${tally(answers)}`;
  },
};

export const ABUSE_SCENARIOS: Scenario[] = [loginAmplification, adminLockout, shopperLimits, shopperRates];
