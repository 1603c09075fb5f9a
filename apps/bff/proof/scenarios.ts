/**
 * The reliability scenarios: each one sets up a shop (BFF processes, its own database, the sandbox),
 * does something that goes wrong in production — duplicates, crashes, outages, races, forgeries —
 * checks what it expects to see, and returns the figure for its row. The runner checks the database
 * invariants after each one. A row is one entry of SCENARIOS: add a scenario there (the abuse
 * limits' rows are in abuse.ts).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { deliver, genuineNotification, transactionResource } from './notifications.js';
import {
  adminToken,
  allInStatus,
  attempt,
  bearer,
  confirmInWechat,
  createOrder,
  login,
  paidWithoutNotification,
  placeOrder,
  requestPayment,
  sandboxNotifications,
  sandboxRefunds,
  statuses,
  until,
  type Answer,
} from './traffic.js';
import {
  expect,
  PAID_STATES,
  paidOrders,
  pick,
  processesAndSku,
  seconds,
  sleep,
  tally,
  type Scenario,
} from './scenario-support.js';

function duplicateNotifications(processes: number): Scenario {
  return {
    id: `duplicates-${processes}`,
    title: `Duplicate notifications: 50 concurrent deliveries of one payment's notification over ${processes} BFF processes`,
    async run({ shop, quick }) {
      const { bffs, sku } = await processesAndSku(shop, processes);
      const orders = await paidWithoutNotification(shop, bffs[0]!.url, sku.id, quick ? 2 : 10);
      const answers: Answer[] = [];
      const t0 = performance.now();
      for (const order of orders) {
        const n = genuineNotification(shop, await transactionResource(shop, order));
        answers.push(...(await Promise.all(Array.from({ length: 50 }, (_, i) => deliver(pick(bffs, i).url, n)))));
      }
      const ms = performance.now() - t0;
      expect(
        await allInStatus(
          shop,
          orders.map((o) => o.orderNo),
          ['PAID'],
        ),
        'an order is not PAID',
      );
      expect(
        answers.every((a) => a.status === 204),
        `every delivery should be acknowledged (WeChat stops resending): ${tally(answers)}`,
      );
      return `${orders.length} payments × 50 identical notifications at once = ${answers.length} deliveries over ${processes} processes in ${seconds(ms)}: ${tally(answers)}; ${orders.length} orders PAID`;
    },
  };
}

const killMidNotification: Scenario = {
  id: 'kill-notify',
  title: '`kill -9` of a BFF process while WeChat notifications are being handled; WeChat redelivers',
  async run({ shop, quick }) {
    const { bffs, sku } = await processesAndSku(shop, quick ? 2 : 3);
    const n = quick ? 12 : 40;
    const orders = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const url = pick(bffs, i).url;
        const order = await placeOrder(url, sku.id);
        return { order, params: await requestPayment(url, order) };
      }),
    );
    // a slow database keeps every settlement in flight long enough for the kill to land inside some:
    // the victim dies as the first order is settled, with the others on their way
    for (const b of bffs) b.dbProxy.setLatency(40);
    const victim = bffs[0]!;
    const t0 = performance.now();
    await Promise.all(orders.map(({ order, params }) => confirmInWechat(shop, order, params)));
    const nos = orders.map((o) => o.order.orderNo);
    await until(
      'a first order settled',
      async () => [...(await statuses(shop, nos)).values()].some((s) => s === 'PAID'),
      20_000,
      5,
    );
    await shop.kill(victim);
    const killedAt = performance.now() - t0;
    for (const b of bffs) b.dbProxy.setLatency(0);
    await sleep(300);
    await shop.restart(victim);
    await until('every paid order settled after the crash', () => allInStatus(shop, nos, ['PAID']), 60_000);
    const recovered = performance.now() - t0;
    const records = (await sandboxNotifications(shop)).filter((r) => nos.includes(r.out_trade_no));
    const attempts = records.flatMap((r) => r.attempts);
    const unanswered = attempts.filter((a) => a.status === null).length;
    const failed = attempts.filter((a) => a.status !== null && a.status >= 300).length;
    expect(unanswered + failed > 0, 'the kill cut no delivery: the scenario proved nothing');
    return `${n} payments notified through the balancer to ${bffs.length} processes, one killed ${killedAt.toFixed(0)} ms in, as the first order settled, and restarted: ${unanswered} deliveries cut without an answer, ${failed} answered as failed, ${attempts.length - n} redeliveries; all ${n} PAID ${seconds(recovered)} after the first notification`;
  },
};

const killMidRefund: Scenario = {
  id: 'kill-refund',
  title: '`kill -9` of a BFF process while admin refunds are being made; the refund jobs and notifications recover',
  async run({ shop, quick }) {
    const { bffs, sku } = await processesAndSku(shop, quick ? 2 : 3, { jobs: true });
    const n = quick ? 8 : 30;
    const orders = await paidOrders(shop, bffs, sku.id, n);
    const nos = orders.map((o) => o.orderNo);
    // this scenario's refunds (a shared shop's database holds other scenarios' too)
    const mine = `"orderId" IN (SELECT id FROM "Order" WHERE "orderNo" = ANY($1))`;
    const victim = bffs[0]!;
    const token = await adminToken(victim.url);
    victim.dbProxy.setLatency(25);
    const refunding = orders.map((o) =>
      attempt(
        `${victim.url}/api/admin/orders/${o.orderNo}/refunds`,
        'POST',
        { amountFen: o.totalFen, reason: 'proof: crash mid-refund' },
        bearer(token),
      ),
    );
    // killed once a third of the refunds are reserved or one has reached WeChat: the others are
    // somewhere on their way (checking the admin, reserving, calling WeChat, recording its answer)
    const t0 = performance.now();
    await until(
      'refunds under way',
      async () => {
        const [r] = await shop.sql<{ reserved: string; sent: string }>(
          `SELECT count(*) AS reserved, count(*) FILTER (WHERE status <> 'PENDING') AS sent FROM "Refund" WHERE ${mine}`,
          [nos],
        );
        return Number(r!.reserved) >= n / 3 || Number(r!.sent) > 0;
      },
      20_000,
      5,
    );
    await shop.kill(victim);
    const killedAt = performance.now() - t0;
    const answers = await Promise.all(refunding);
    const atKill = await shop.sql<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM "Refund" WHERE ${mine} GROUP BY status ORDER BY status`,
      [nos],
    );
    await shop.restart(victim);
    const cut = answers.filter((a) => a.status === 0).length;
    expect(cut > 0, 'the kill cut no refund request: the scenario proved nothing');
    // WeChat's refund notifications settle what it accepted; what the crash left PENDING is for the
    // refund-query job, once old enough (a minute): the clock is moved on instead of waited for
    await shop.sql(
      `UPDATE "Refund" SET "createdAt" = "createdAt" - interval '10 minutes', "lastQueriedAt" = NULL
       WHERE status IN ('PENDING', 'PROCESSING') AND ${mine}`,
      [nos],
    );
    await until(
      'no refund left open',
      async () =>
        (await shop.sql(`SELECT 1 FROM "Refund" WHERE status IN ('PENDING','PROCESSING') AND ${mine}`, [nos]))
          .length === 0,
      60_000,
    );
    // the admin sees which orders have no refund yet and refunds them again, on another process
    const never = await shop.sql<{ orderNo: string; totalFen: number }>(
      `SELECT o."orderNo", o."totalFen" FROM "Order" o WHERE o."orderNo" = ANY($1)
       AND NOT EXISTS (SELECT 1 FROM "Refund" r WHERE r."orderId" = o.id)`,
      [nos],
    );
    const again = await adminToken(bffs[1]!.url);
    for (const o of never) {
      const res = await attempt(
        `${bffs[1]!.url}/api/admin/orders/${o.orderNo}/refunds`,
        'POST',
        { amountFen: o.totalFen, reason: 'proof: after the crash' },
        bearer(again),
      );
      expect([201, 202].includes(res.status), `refund after the crash: ${res.status} ${JSON.stringify(res.body)}`);
    }
    await until('every order REFUNDED', () => allInStatus(shop, nos, ['REFUNDED']), 60_000);
    const remote = (await sandboxRefunds(shop)).filter((r) => nos.includes(r.out_trade_no));
    expect(remote.length === n, `WeChat holds ${remote.length} refunds for ${n} orders`);
    return `${n} full refunds sent to one process, killed ${killedAt.toFixed(0)} ms in (${cut} requests cut, answered: ${tally(answers.filter((a) => a.status !== 0))}; left by the crash: ${atKill.map((r) => `${r.n} ${r.status}`).join(', ')}, settled by the refund job and WeChat's notifications); ${never.length} never reached the database and were asked again; ${n} orders REFUNDED, ${remote.length} refunds at WeChat (one each)`;
  },
};

const databaseOutage: Scenario = {
  id: 'db-outage',
  title: 'PostgreSQL unreachable for a while (every connection cut, new ones refused) under traffic, then back',
  async run({ shop, quick }) {
    const { bffs, sku } = await processesAndSku(shop, 2);
    const outageMs = quick ? 2000 : 5000;
    const answers: { phase: 'before' | 'outage' | 'after'; step: string; a: Answer }[] = [];
    const confirmed: string[] = [];
    let phase: 'before' | 'outage' | 'after' = 'before';
    let running = true;
    const shopperLoop = async (i: number) => {
      while (running) {
        const url = pick(bffs, i++).url;
        const p = phase;
        const openid = 'o' + randomUUID().replace(/-/g, '').slice(0, 27);
        const loggedIn = await attempt(`${url}/api/auth/login`, 'POST', { code: `sandbox:${openid}` });
        if (loggedIn.status !== 200) {
          answers.push({ phase: p, step: 'login', a: loggedIn });
          await sleep(100);
          continue;
        }
        const shopper = { openid, token: loggedIn.body.token as string };
        const created = await createOrder(url, shopper, sku.id);
        answers.push({ phase: p, step: 'order', a: created });
        if (created.status !== 201) {
          await sleep(100);
          continue;
        }
        const pay = await attempt(
          `${url}/api/orders/${created.body.orderNo}/pay`,
          'POST',
          undefined,
          bearer(shopper.token),
        );
        answers.push({ phase: phase, step: 'pay', a: pay });
        if (pay.status !== 200) continue;
        const order = { orderNo: created.body.orderNo as string, totalFen: created.body.totalFen as number, shopper };
        await confirmInWechat(shop, order, pay.body);
        confirmed.push(order.orderNo);
      }
    };
    const orderTaken = (p: typeof phase) =>
      answers.some((x) => x.phase === p && x.step === 'order' && x.a.status === 201);
    const loops = Array.from({ length: 4 }, (_, i) => shopperLoop(i));
    // traffic under way when the database goes: the full run gives it a while, the quick one waits
    // for its first order taken
    if (quick) await until('an order taken before the outage', async () => orderTaken('before'), 30_000, 20);
    else await sleep(1500);
    phase = 'outage';
    for (const b of bffs) b.dbProxy.cut();
    const ready = await attempt(`${bffs[0]!.url}/readyz`, 'GET');
    await sleep(outageMs);
    for (const b of bffs) b.dbProxy.restore();
    const restoredAt = performance.now();
    phase = 'after';
    await until('the BFF ready again', async () => (await attempt(`${bffs[0]!.url}/readyz`, 'GET')).status === 200);
    const readyAfter = performance.now() - restoredAt;
    // traffic after the return: the full run gives it a while, the quick one waits for an order taken
    if (quick) await until('an order taken after the database came back', async () => orderTaken('after'), 30_000, 20);
    else await sleep(1500);
    running = false;
    await Promise.all(loops);
    expect(
      bffs.every((b) => b.child.child.exitCode === null && b.child.child.signalCode === null),
      'a BFF process died during the outage',
    );
    await until('every payment made during the run settled', () => allInStatus(shop, confirmed, ['PAID']), 60_000);
    const during = answers.filter((x) => x.phase === 'outage').map((x) => x.a);
    expect(orderTaken('after'), 'no order was taken after the database came back');
    expect(
      during.every((a) => a.status < 200 || a.status === 503 || a.status === 201 || a.status === 200),
      'an answer during the outage other than success or 503 SERVICE_UNAVAILABLE (a client error, or a 500)',
    );
    return `${seconds(outageMs)} outage under 4 shoppers' traffic on 2 processes: /readyz ${ready.status} during it; requests during it: ${tally(during)}; ready ${readyAfter.toFixed(0)} ms after the database returned; ${confirmed.length} payments confirmed at WeChat over the run, all PAID (notifications retried by WeChat)`;
  },
};

const jobsInSeveralProcesses: Scenario = {
  id: 'jobs',
  title: 'Expiry and late-payment jobs running in 3 processes at once',
  async run({ shop, quick }) {
    const { bffs, sku } = await processesAndSku(shop, 3, { jobs: true });
    const scale = quick ? 1 : 5;
    const url = bffs[0]!.url;
    const unpaidWithPrepay = await Promise.all(
      Array.from({ length: 6 * scale }, async () => {
        const o = await placeOrder(url, sku.id);
        await requestPayment(url, o);
        return o;
      }),
    );
    const unpaidNoPrepay = await Promise.all(Array.from({ length: 3 * scale }, () => placeOrder(url, sku.id)));
    const paidNotNotifiedExpired = await paidWithoutNotification(shop, url, sku.id, 3 * scale);
    const late = await paidWithoutNotification(shop, url, sku.id, 4 * scale);
    const expiring = [...unpaidWithPrepay, ...unpaidNoPrepay, ...paidNotNotifiedExpired].map((o) => o.orderNo);
    const lateNos = late.map((o) => o.orderNo);
    // time moves on: the first ones are past their 30 minutes, the late ones a few minutes old
    const t0 = performance.now();
    await shop.sql(
      `UPDATE "Order" SET "expiresAt" = now() - interval '1 second', "createdAt" = now() - interval '31 minutes'
       WHERE "orderNo" = ANY($1)`,
      [expiring],
    );
    await shop.sql(`UPDATE "Order" SET "createdAt" = now() - interval '5 minutes' WHERE "orderNo" = ANY($1)`, [
      lateNos,
    ]);
    const unpaid = [...unpaidWithPrepay, ...unpaidNoPrepay].map((o) => o.orderNo);
    const paid = [...paidNotNotifiedExpired, ...late].map((o) => o.orderNo);
    await until(
      'the jobs to close or settle every order',
      async () => (await allInStatus(shop, unpaid, ['CLOSED'])) && (await allInStatus(shop, paid, ['PAID'])),
      60_000,
    );
    const ms = performance.now() - t0;
    const calls = await shop.sql<{ type: string; orders: string; total: string; max: string }>(
      `SELECT type, count(DISTINCT "orderId") AS orders, count(*) AS total, max(n) AS max FROM (
         SELECT type, "orderId", count(*) OVER (PARTITION BY type, "orderId") AS n FROM "OrderEvent"
         WHERE type IN ('CLOSE_REQUESTED', 'QUERY_RESULT', 'ORDER_CLOSED', 'STOCK_RELEASED', 'PAYMENT_SETTLED')
           AND "orderId" IN (SELECT id FROM "Order" WHERE "orderNo" = ANY($1))) e GROUP BY type ORDER BY type`,
      [[...expiring, ...lateNos]],
    );
    const closes = calls.find((c) => c.type === 'ORDER_CLOSED');
    expect(Number(closes?.max ?? 0) === 1, 'an order was closed twice');
    return `${unpaid.length} expired unpaid orders CLOSED and ${paidNotNotifiedExpired.length} expired-but-paid + ${late.length} late-notified orders PAID by 3 processes' jobs in ${seconds(ms)}; per order at most ${calls.map((c) => `${c.max} ${c.type}`).join(', ')}`;
  },
};

const stockRace: Scenario = {
  id: 'stock-race',
  title:
    'Stock race: 4× more shoppers than units order the last units at once over several processes, then all cancel twice at once',
  async run({ shop, quick, stockBefore }) {
    // a SKU no order holds: its stock before is the units set here
    const { bffs, sku } = await processesAndSku(shop, quick ? 2 : 3, undefined, { untouched: true });
    const units = quick ? 5 : 20;
    await shop.sql(`UPDATE "Sku" SET stock = $2 WHERE id = $1`, [sku.id, units]);
    stockBefore.set(sku.id, units);
    const shoppers = await Promise.all(Array.from({ length: units * 4 }, (_, i) => login(pick(bffs, i).url)));
    const answers = await Promise.all(shoppers.map((s, i) => createOrder(pick(bffs, i).url, s, sku.id)));
    const created = answers.map((a, i) => ({ a, s: shoppers[i]! })).filter((x) => x.a.status === 201);
    expect(created.length === units, `${created.length} orders took ${units} units`);
    expect(
      answers.every((a) => a.status === 201 || (a.status === 409 && a.body?.error?.code === 'OUT_OF_STOCK')),
      `unexpected answers: ${tally(answers)}`,
    );
    const [left] = await shop.sql<{ stock: number }>(`SELECT stock FROM "Sku" WHERE id = $1`, [sku.id]);
    const cancels = await Promise.all(
      created.flatMap(({ a, s }, i) =>
        [0, 1].map((k) =>
          attempt(`${pick(bffs, i + k).url}/api/orders/${a.body.orderNo}/cancel`, 'POST', undefined, bearer(s.token)),
        ),
      ),
    );
    const [back] = await shop.sql<{ stock: number }>(`SELECT stock FROM "Sku" WHERE id = $1`, [sku.id]);
    expect(back!.stock === units, `stock after the cancels is ${back!.stock}, not ${units}`);
    return `${units * 4} shoppers for ${units} units over ${bffs.length} processes: ${tally(answers)}, stock ${left!.stock} after; ${cancels.length} cancels (2 per order, at once, on 2 processes): ${tally(cancels)}, stock ${back!.stock} again`;
  },
};

const refundRace: Scenario = {
  id: 'refund-race',
  title: 'Refund race: 10 concurrent admin refunds per order over several processes (full amount, and 60 % each)',
  async run({ shop, quick }) {
    const perKind = quick ? 2 : 6;
    const { bffs, sku } = await processesAndSku(shop, quick ? 2 : 3);
    const orders = await paidOrders(shop, bffs, sku.id, perKind * 2);
    const tokens = await Promise.all(bffs.map((b) => adminToken(b.url)));
    const answers = await Promise.all(
      orders.flatMap((o, k) => {
        const amountFen = k < perKind ? o.totalFen : Math.floor(o.totalFen * 0.6);
        return Array.from({ length: 10 }, (_, i) =>
          attempt(
            `${pick(bffs, i).url}/api/admin/orders/${o.orderNo}/refunds`,
            'POST',
            { amountFen, reason: 'proof: refund race' },
            bearer(pick(tokens, i)),
          ),
        );
      }),
    );
    expect(
      answers.every((a) => [201, 202].includes(a.status) || a.body?.error?.code === 'REFUND_EXCEEDS_PAID'),
      `a refund was neither accepted nor refused as exceeding what was paid: ${tally(answers)}`,
    );
    const accepted = answers.filter((a) => a.status === 201 || a.status === 202).length;
    expect(accepted === orders.length, `${accepted} refunds accepted for ${orders.length} orders`);
    const nos = orders.map((o) => o.orderNo);
    await until(
      'the refunds to succeed',
      async () =>
        (await allInStatus(shop, nos.slice(0, perKind), ['REFUNDED'])) &&
        (await allInStatus(shop, nos.slice(perKind), ['PARTIALLY_REFUNDED'])),
      60_000,
    );
    return `${answers.length} refund requests on ${orders.length} paid orders over ${bffs.length} processes: ${tally(answers)}; ${perKind} REFUNDED, ${perKind} PARTIALLY_REFUNDED at 60 %`;
  },
};

const forgeries: Scenario = {
  id: 'forgeries',
  title:
    'Notification forgeries: tampered body, stale timestamp, unknown serial, signature probe, empty body, wrong key, mismatched amount',
  async run({ shop, quick }) {
    const { bffs, sku } = await processesAndSku(shop, 2);
    const [order] = await paidWithoutNotification(shop, bffs[0]!.url, sku.id, 1);
    const resource = await transactionResource(shop, order!);
    const each = quick ? 5 : 25;
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const kinds: { name: string; make: () => { body: string; headers: Record<string, string> }; want: number[] }[] = [
      {
        name: 'tampered body',
        make: () => {
          const n = genuineNotification(shop, resource);
          return { ...n, body: n.body.replace('支付成功', '支付成功 ') };
        },
        want: [401],
      },
      {
        name: 'stale timestamp (6 min)',
        make: () => genuineNotification(shop, resource, { timestamp: Math.floor(Date.now() / 1000) - 360 }),
        want: [401],
      },
      {
        name: 'unknown serial',
        make: () => genuineNotification(shop, resource, { serial: 'PUB_KEY_ID_0000000000000000000000000000' }),
        want: [401],
      },
      {
        name: 'signature probe',
        make: () => {
          const n = genuineNotification(shop, resource);
          return {
            ...n,
            headers: {
              ...n.headers,
              'wechatpay-signature': `WECHATPAY/SIGNTEST/${Buffer.alloc(256, 7).toString('base64')}`,
            },
          };
        },
        want: [401],
      },
      {
        name: 'empty body',
        make: () => ({ ...genuineNotification(shop, resource), body: '' }),
        want: [400, 401],
      },
      { name: 'wrong key', make: () => genuineNotification(shop, resource, { privateKeyPem: forger }), want: [401] },
      {
        name: 'mismatched amount (genuinely signed)',
        make: () =>
          genuineNotification(shop, {
            ...resource,
            amount: { ...(resource.amount as object), total: order!.totalFen + 1, payer_total: order!.totalFen + 1 },
          }),
        want: [204],
      },
    ];
    const figures: string[] = [];
    for (const kind of kinds) {
      const answers = await Promise.all(
        Array.from({ length: each }, (_, i) => deliver(pick(bffs, i).url, kind.make())),
      );
      expect(
        answers.every((a) => kind.want.includes(a.status)),
        `${kind.name}: ${tally(answers)} (expected ${kind.want.join('/')})`,
      );
      expect(await allInStatus(shop, [order!.orderNo], ['PENDING_PAYMENT']), `${kind.name} moved the order`);
      figures.push(`${kind.name} → ${tally(answers)}`);
    }
    const probe = await attempt(`${shop.world.sandboxUrl}/sandbox/signature-probes`, 'POST', {
      notifyUrl: `${shop.publicUrl}/api/pay/notify/transaction`,
    });
    expect(probe.body?.refused === true, `WeChat's own signature probe was not refused: ${JSON.stringify(probe.body)}`);
    const genuine = await deliver(bffs[1]!.url, genuineNotification(shop, resource));
    expect(genuine.status === 204, `the genuine notification after the forgeries: ${genuine.status}`);
    expect(await allInStatus(shop, [order!.orderNo], PAID_STATES), 'the genuine notification did not settle');
    const [mismatch] = await shop.sql<{ n: string }>(
      `SELECT count(*) AS n FROM "OrderEvent" e JOIN "Order" o ON o.id = e."orderId"
       WHERE e.type = 'PAYMENT_MISMATCH' AND o."orderNo" = $1`,
      [order!.orderNo],
    );
    return `${each} of each over 2 processes: ${figures.join('; ')}; the sandbox's own probe refused (${probe.body.status}); ${mismatch!.n} PAYMENT_MISMATCH events logged; the order stayed unpaid until the genuine notification, then PAID once`;
  },
};

import { ABUSE_SCENARIOS } from './abuse.js';

export const SCENARIOS: Scenario[] = [
  duplicateNotifications(2),
  duplicateNotifications(3),
  killMidNotification,
  killMidRefund,
  databaseOutage,
  jobsInSeveralProcesses,
  stockRace,
  refundRace,
  forgeries,
  ...ABUSE_SCENARIOS,
];
