/**
 * The hot paths side by side: the BFF on PostgreSQL against the lean baseline doing the same work
 * (and the BFF on PGlite at one concurrency), each run bounded in count and time, alternating
 * which server goes first, three repeats. Ratios are taken within one repeat, so machine noise
 * that hits both alike cancels out.
 */
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  buildResponseSignString,
  randomNonce,
  signSha256Rsa,
  verifySha256Rsa,
} from '@uni-checkout/wechatpay-sandbox';
import {
  createDatabase,
  drive,
  fix,
  httpClient,
  round,
  rssMiB,
  summary,
  withClient,
  type Child,
  type HttpClient,
  type LoadResult,
} from './support.js';
import { signedNotification, type SignedNotification } from '../test/support/wechat-notify.js';
import { preparedPglite, preparedPostgres, startBff, startLean, type Sandboxed } from './world.js';

export interface HotPathOptions {
  concurrencies: number[];
  repeats: number;
  /** operations per run at most */
  count: number;
  /** seconds per run at most */
  maxSeconds: number;
  /** the paths to run (all when absent): a profile or a comparison of one path costs less machine time */
  only?: 'checkout' | 'notifications';
}

const NOTIFY_ORDER_PREFIX = 'BN';
const NOTIFY_TOTAL_FEN = 1990;

/** Pending orders for the notification runs, the same in every database (so one notification fits all). */
function seedNotifyOrders(total: number) {
  return async (exec: (sql: string) => Promise<void>) => {
    await exec(`UPDATE "Sku" SET stock = 1000000000`);
    await exec(`INSERT INTO "User" (id, openid) VALUES (gen_random_uuid(), 'o-bench-notify')`);
    await exec(`
      INSERT INTO "Order" (id, "orderNo", "userId", "totalFen", "expiresAt", "createdAt", "updatedAt", "prepayId", "prepayExpiresAt")
      SELECT gen_random_uuid(), '${NOTIFY_ORDER_PREFIX}' || lpad(i::text, 10, '0'), u.id, ${NOTIFY_TOTAL_FEN},
             now() + interval '1 day', now(), now(), 'wx' || i, now() + interval '2 hours'
      FROM generate_series(1, ${total}) AS i, "User" u WHERE u.openid = 'o-bench-notify'`);
  };
}

/** Success notifications for the pre-inserted orders, signed as WeChat Pay signs them (the tests' own signer). */
function signNotifications(w: Sandboxed, from: number, n: number): SignedNotification[] {
  const c = w.credentials;
  const signer = { sandbox: { credentials: c }, sandboxStateDir: path.join(w.stateDir, 'sandbox') };
  const out: SignedNotification[] = [];
  for (let i = from; i < from + n; i++) {
    const resource = {
      appid: c.appid,
      mchid: c.mchid,
      out_trade_no: NOTIFY_ORDER_PREFIX + String(i).padStart(10, '0'),
      transaction_id: `4200${String(Date.now()).slice(-10)}${String(i).padStart(10, '0')}`,
      trade_type: 'JSAPI',
      trade_state: 'SUCCESS',
      trade_state_desc: '支付成功',
      bank_type: 'OTHERS',
      attach: '',
      success_time: new Date().toISOString().replace(/\.\d+Z$/, '+08:00'),
      payer: { openid: 'o-bench-notify' },
      amount: { total: NOTIFY_TOTAL_FEN, payer_total: NOTIFY_TOTAL_FEN, currency: 'CNY', payer_currency: 'CNY' },
    };
    out.push(signedNotification(signer, resource, { privateKeyPem: w.wechatpayPrivateKeyPem }));
  }
  return out;
}

interface Target {
  name: 'bff' | 'lean' | 'pglite';
  proc: Child & { ready: string };
  http: HttpClient;
  tokens: string[];
  skuIds: string[];
}

async function login(t: Target, n: number) {
  for (let i = 0; i < n; i++) {
    const res = await t.http.request(
      'POST',
      '/api/auth/login',
      { 'content-type': 'application/json' },
      JSON.stringify({ code: `sandbox:o-bench-shopper-${i}` }),
    );
    if (res.status !== 200) throw new Error(`${t.name} login: ${res.status} ${res.body}`);
    t.tokens.push((JSON.parse(res.body) as { token: string }).token);
  }
}

function notifyRun(t: Target, notes: SignedNotification[], c: number, o: HotPathOptions, expect: number) {
  return drive(t.proc.pid, { count: notes.length, concurrency: c, maxSeconds: o.maxSeconds }, async (i) => {
    const n = notes[i]!;
    const res = await t.http.request('POST', '/api/pay/notify/transaction', n.headers, n.body);
    if (res.status !== expect) throw new Error(`${t.name} notification: ${res.status} ${res.body}`);
  });
}

/** Where the benchmark's orders ship to (an order needs an address). */
const BENCH_ADDRESS = {
  name: '张三',
  phone: '13800001234',
  province: '浙江省',
  city: '杭州市',
  district: '西湖区',
  detail: '龙井路 18 号',
};

/** 下单 then 调起支付 for it: one operation, as a shopper does it. */
function checkoutRun(t: Target, c: number, o: HotPathOptions) {
  return drive(t.proc.pid, { count: o.count, concurrency: c, maxSeconds: o.maxSeconds }, async (i) => {
    const token = t.tokens[i % t.tokens.length]!;
    const skuId = t.skuIds[i % t.skuIds.length]!;
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await t.http.request(
      'POST',
      '/api/orders',
      { ...auth, 'idempotency-key': randomUUID() },
      JSON.stringify({ items: [{ skuId, quantity: 1 }], address: BENCH_ADDRESS }),
    );
    if (created.status !== 201) throw new Error(`${t.name} create order: ${created.status} ${created.body}`);
    const { orderNo } = JSON.parse(created.body) as { orderNo: string };
    const paid = await t.http.request('POST', `/api/orders/${orderNo}/pay`, auth);
    if (paid.status !== 200) throw new Error(`${t.name} pay: ${paid.status} ${paid.body}`);
  });
}

type PathName = 'notification, first delivery' | 'duplicate notification' | 'create order + pay';
const PATHS: PathName[] = ['notification, first delivery', 'duplicate notification', 'create order + pay'];

interface Sample {
  path: PathName;
  c: number;
  bff: LoadResult;
  lean: LoadResult;
}
interface PgliteSample {
  path: PathName;
  pg: LoadResult;
  lite: LoadResult;
}

function cryptoFloor(w: Sandboxed) {
  const c = w.credentials;
  const rate = (fn: () => void) => {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 400) {
      fn();
      n++;
    }
    return n / ((performance.now() - t0) / 1000);
  };
  // parsed once, as the servers keep them
  const privateKey = createPrivateKey(c.merchantPrivateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const message = buildResponseSignString('1700000000', randomNonce(32), 'x'.repeat(600));
  const signature = signSha256Rsa(message, privateKey);
  const nonce = randomNonce(12);
  const ciphertext = aesGcmEncrypt('y'.repeat(520), c.apiV3Key, nonce, 'transaction');
  const sign = rate(() => signSha256Rsa(message, privateKey));
  const verify = rate(() => verifySha256Rsa(message, signature, publicKey));
  const decrypt = rate(() => aesGcmDecrypt(ciphertext, c.apiV3Key, nonce, 'transaction'));
  return { sign, verify, decrypt };
}

export async function hotPaths(w: Sandboxed, o: HotPathOptions): Promise<string> {
  // one extra slice warms every server up (JIT, pools, prepared plans) before anything is measured
  const slices = o.concurrencies.length * o.repeats + 1;
  const seed = seedNotifyOrders(slices * o.count);
  const pgDb = await preparedPostgres('hot', seed);
  const leanUrl = await createDatabase(`${pgDb.name}_lean`, pgDb.name);
  const pgliteDir = mkdtempSync(path.join(tmpdir(), 'uc-bench-pglite-'));
  await preparedPglite(pgliteDir, seed);
  const skuIds = await withClient(pgDb.url, async (c) =>
    (await c.query<{ id: string }>('SELECT id FROM "Sku" WHERE active ORDER BY id')).rows.map((r) => r.id),
  );

  const maxC = Math.max(...o.concurrencies);
  const procs = [
    await startBff('bff', w, { DATABASE_URL: pgDb.url }),
    await startLean(w, leanUrl),
    await startBff('pglite', w, { NODE_ENV: 'development', PGLITE_DIR: pgliteDir }),
  ];
  const targets: Target[] = (['bff', 'lean', 'pglite'] as const).map((name, i) => ({
    name,
    proc: procs[i]!,
    http: httpClient(procs[i]!.ready, maxC),
    tokens: [],
    skuIds,
  }));
  const [bff, lean, lite] = targets as [Target, Target, Target];
  const lines: string[] = [];
  try {
    for (const t of targets) await login(t, 16);
    // idle: started, logged in, nothing else; a moment for start-up garbage to be collected
    await new Promise((r) => setTimeout(r, 2000));
    const idle = Object.fromEntries(targets.map((t) => [t.name, rssMiB(t.proc.pid)]));

    const samples: Sample[] = [];
    const pgliteSamples: PgliteSample[] = [];
    const pgliteC = o.concurrencies.includes(8) ? 8 : o.concurrencies[0]!;
    const warmUp = signNotifications(w, 1, o.count);
    const notifications = o.only !== 'checkout';
    const checkouts = o.only !== 'notifications';
    for (const t of targets) {
      if (notifications) await notifyRun(t, warmUp, 4, o, 204);
      if (checkouts) await checkoutRun(t, 4, { ...o, count: Math.min(o.count, 60) });
    }
    let slice = 1;
    for (let rep = 0; rep < o.repeats; rep++) {
      for (const c of o.concurrencies) {
        const from = slice++ * o.count + 1;
        // signed just before use: a notification's timestamp is good for 5 minutes
        const notes = signNotifications(w, from, o.count);
        const order: Target[] = rep % 2 === 0 ? [bff, lean] : [lean, bff];
        if (c === pgliteC) order.push(lite);
        const first = new Map<string, LoadResult>();
        const dup = new Map<string, LoadResult>();
        const checkout = new Map<string, LoadResult>();
        if (notifications) {
          for (const t of order) first.set(t.name, await notifyRun(t, notes, c, o, 204));
          for (const t of order)
            dup.set(t.name, await notifyRun(t, notes.slice(0, first.get(t.name)!.done), c, o, 204));
        }
        if (checkouts) for (const t of order) checkout.set(t.name, await checkoutRun(t, c, o));
        for (const [p, m] of [
          [PATHS[0]!, first],
          [PATHS[1]!, dup],
          [PATHS[2]!, checkout],
        ] as const) {
          if (!m.size) continue;
          samples.push({ path: p, c, bff: m.get('bff')!, lean: m.get('lean')! });
          if (m.has('pglite')) pgliteSamples.push({ path: p, pg: m.get('bff')!, lite: m.get('pglite')! });
        }
        process.stderr.write(`  repeat ${rep + 1}/${o.repeats}, c = ${c}: done\n`);
      }
    }
    const afterLoad = Object.fromEntries(targets.map((t) => [t.name, rssMiB(t.proc.pid)]));

    lines.push(
      `### BFF / lean, side by side (${o.repeats} repeats; each run at most ${o.count} operations or ${o.maxSeconds} s)`,
      '',
      '| path | c | throughput ratio min / median / max | CPU-per-op ratio min / median / max | BFF op/s (median) | lean op/s (median) | BFF CPU ms/op | lean CPU ms/op |',
      '|---|---|---|---|---|---|---|---|',
    );
    const measured = PATHS.filter((p) => samples.some((x) => x.path === p));
    for (const p of measured) {
      for (const c of o.concurrencies) {
        const s = samples.filter((x) => x.path === p && x.c === c);
        const tp = summary(s.map((x) => x.bff.perSecond / x.lean.perSecond));
        const cpu = summary(s.map((x) => x.bff.cpuMsPerOp / x.lean.cpuMsPerOp));
        const med = (f: (x: Sample) => number) => summary(s.map(f)).median;
        lines.push(
          `| ${p} | ${c} | ${fix(tp.min)} / **${fix(tp.median)}** / ${fix(tp.max)} | ${fix(cpu.min)} / **${fix(cpu.median)}** / ${fix(cpu.max)} | ${round(med((x) => x.bff.perSecond))} | ${round(med((x) => x.lean.perSecond))} | ${fix(med((x) => x.bff.cpuMsPerOp))} | ${fix(med((x) => x.lean.cpuMsPerOp))} |`,
        );
      }
    }
    lines.push(
      '',
      `### PGlite (embedded) / PostgreSQL, the same BFF, c = ${pgliteC}`,
      '',
      '| path | throughput ratio min / median / max | PGlite op/s (median) | PostgreSQL op/s (median) |',
      '|---|---|---|---|',
    );
    for (const p of measured) {
      const s = pgliteSamples.filter((x) => x.path === p);
      const r = summary(s.map((x) => x.lite.perSecond / x.pg.perSecond));
      lines.push(
        `| ${p} | ${fix(r.min)} / **${fix(r.median)}** / ${fix(r.max)} | ${round(summary(s.map((x) => x.lite.perSecond)).median)} | ${round(summary(s.map((x) => x.pg.perSecond)).median)} |`,
      );
    }

    const floor = cryptoFloor(w);
    const notifyCeiling = 1 / (1 / floor.verify + 1 / floor.decrypt);
    // create + pay: the request's Authorization, the answer's verification, the paySign
    const checkoutCeiling = 1 / (2 / floor.sign + 1 / floor.verify);
    const bestBff = (p: PathName) => Math.max(...samples.filter((x) => x.path === p).map((x) => x.bff.perSecond));
    const cryptoShare = (p: PathName, perOpMs: number) =>
      summary(samples.filter((x) => x.path === p).map((x) => perOpMs / x.bff.cpuMsPerOp)).median;
    lines.push(
      '',
      '### Crypto floor (one core, this process) and the BFF’s crypto ceiling',
      '',
      '| operation | per second |',
      '|---|---|',
      `| RSA-2048 SHA-256 sign | ${round(floor.sign)} |`,
      `| RSA-2048 SHA-256 verify | ${round(floor.verify)} |`,
      `| AES-256-GCM decrypt (a notification resource) | ${round(floor.decrypt)} |`,
      ...(measured.includes(PATHS[0]!)
        ? [
            `| ceiling: notifications (verify + decrypt) | ${round(notifyCeiling)} — BFF's best ${round(bestBff(PATHS[0]!))}; crypto is ${fix(100 * cryptoShare(PATHS[0]!, 1000 / notifyCeiling), 1)} % of its CPU per notification |`,
          ]
        : []),
      ...(measured.includes(PATHS[2]!)
        ? [
            `| ceiling: create order + pay (2 signs + 1 verify) | ${round(checkoutCeiling)} — BFF's best ${round(bestBff(PATHS[2]!))}; crypto is ${fix(100 * cryptoShare(PATHS[2]!, 1000 / checkoutCeiling), 1)} % of its CPU per checkout |`,
          ]
        : []),
      '',
      '### Memory (RSS, MiB)',
      '',
      '| process | idle (after start and login) | after the runs |',
      '|---|---|---|',
      `| BFF on PostgreSQL (production) | **${round(idle.bff!)}** | ${round(afterLoad.bff!)} |`,
      `| BFF on PGlite (embedded database in-process) | ${round(idle.pglite!)} | ${round(afterLoad.pglite!)} |`,
      `| lean baseline | ${round(idle.lean!)} | ${round(afterLoad.lean!)} |`,
    );
  } finally {
    for (const t of targets) t.http.close();
    for (const p of procs) await p.stop();
    rmSync(pgliteDir, { recursive: true, force: true });
  }
  return lines.join('\n');
}
