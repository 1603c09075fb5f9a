/**
 * The BFF's client for WeChat's shipping-information service and its shared access token, over
 * real HTTP against the sandbox, on PostgreSQL (two BFF instances = two clients with separate pools
 * on one database) and on PGlite.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAuthorization,
  createSandbox,
  signRequestPayment,
  type Sandbox,
  type SandboxOptions,
} from '@uni-checkout/wechatpay-sandbox';
import { openDb, type Db } from '../../src/db/index.js';
import { AppError } from '../../src/errors.js';
import { createWechatShippingClient, type WechatShippingClient } from '../../src/wechat/shipping.js';
import { buildBff, privateOutfile, removeBuild } from '../../scripts/build.mjs';
import { createTestDb, type TestDb } from '../support/db.js';
import { sandboxIdentityDir } from '../support/harness.js';
import { rejectionOf } from '../support/rejection.js';

let notifySink: Server;
let notifyUrl: string;
const sandboxStates = mkdtempSync(path.join(tmpdir(), 'uc-shipping-client-'));

/**
 * A sandbox with a mini-program of its own (its own appid, so its own access-token row), on the
 * run's sandbox keys.
 */
function newSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const stateDir = sandboxIdentityDir(mkdtempSync(path.join(sandboxStates, 'sandbox-')), { ownApp: true });
  return createSandbox({ ...opts, stateDir });
}

beforeAll(async () => {
  // the payment notifications of the orders paid here land on this loopback sink
  notifySink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => notifySink.listen(0, '127.0.0.1', r));
  notifyUrl = `http://127.0.0.1:${(notifySink.address() as AddressInfo).port}/api/pay/notify/transaction`;
});
afterAll(async () => {
  await new Promise((r) => notifySink.close(r));
  rmSync(sandboxStates, { recursive: true, force: true });
});

let seq = 0;
/** A JSAPI order paid by `openid` in the sandbox, as the payment flow leaves it. */
async function paidOrder(sandbox: Sandbox, openid = 'oShopper000000000000000001', total = 3680) {
  const c = sandbox.credentials;
  const outTradeNo = `S${Date.now()}${String(++seq).padStart(3, '0')}`;
  const body = JSON.stringify({
    appid: c.appid,
    mchid: c.mchid,
    description: '山茶小铺-明前龙井',
    out_trade_no: outTradeNo,
    notify_url: notifyUrl,
    amount: { total, currency: 'CNY' },
    payer: { openid },
  });
  const path = '/v3/pay/transactions/jsapi';
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: buildAuthorization({
        mchid: c.mchid,
        serialNo: c.merchantSerialNo,
        privateKey: c.merchantPrivateKeyPem,
        method: 'POST',
        pathAndQuery: path,
        body,
      }),
    },
    body,
  });
  const { prepay_id: prepayId } = (await res.json()) as { prepay_id: string };
  const { transaction } = sandbox.pay({
    ...signRequestPayment({ appId: c.appid, prepayId }, c.merchantPrivateKeyPem),
    openid,
  });
  return { outTradeNo, openid, transactionId: String(transaction.transaction_id) };
}

function client(db: Db, sandbox: Sandbox, calls?: string[], extra: { appsecret?: string } = {}): WechatShippingClient {
  const c = sandbox.credentials;
  return createWechatShippingClient({
    prisma: db.prisma,
    credentials: { appid: c.appid, appsecret: extra.appsecret ?? c.appsecret, apiBase: sandbox.url, mchid: c.mchid },
    timeoutMs: 3000,
    ...(calls ? { onCall: (api, outcome) => calls.push(`${api}:${outcome}`) } : {}),
  });
}

/** An express shipment of one paid order, as the admin enters it. */
function expressShipment(order: { outTradeNo: string; openid: string }, expressCompany: string, itemDesc: string) {
  return {
    outTradeNo: order.outTradeNo,
    payerOpenid: order.openid,
    logisticsType: 'EXPRESS' as const,
    expressCompany,
    itemDesc,
  };
}

const appError = (p: Promise<unknown>) => rejectionOf(p, AppError);

const issued = (s: Sandbox) => s.state.stableTokenCalls().filter((c) => c.outcome === 'issued').length;

describe('on PostgreSQL, two BFF instances with separate pools', () => {
  let sandbox: Sandbox;
  let db: TestDb;
  let db2: Db;

  beforeAll(async () => {
    // tokens live 7200 s here (7 200 000 s × 0.001): none expires unless a test says so
    sandbox = await newSandbox({ timeScale: 0.001, accessTokenTtlSeconds: 7_200_000 });
    db = await createTestDb('postgres');
    db2 = await openDb({ databaseUrl: db.databaseUrl! });
  });
  afterAll(async () => {
    await db2?.close();
    await db?.close();
    await sandbox?.close();
  });

  it('fetch the access token once between them, even asked concurrently, and keep it in the database', async () => {
    const a = client(db, sandbox);
    const b = client(db2, sandbox);
    const tokens = await Promise.all([a, b, a, b, a, b].map((c) => c.accessToken.get()));
    expect(new Set(tokens).size).toBe(1);
    expect(sandbox.state.stableTokenCalls()).toHaveLength(1);
    const row = await db.prisma.wechatAccessToken.findUniqueOrThrow({ where: { appid: sandbox.credentials.appid } });
    expect(row.accessToken).toBe(tokens[0]);
    // 7 200 000 s × 0.001
    expect(row.expiresAt.getTime() - row.obtainedAt.getTime()).toBeGreaterThanOrEqual(7_100_000);
    // a third instance starting later reads it from the database
    const c = client(db2, sandbox);
    expect(await c.accessToken.get()).toBe(tokens[0]);
    expect(sandbox.state.stableTokenCalls()).toHaveLength(1);
  });

  it('refresh it once after it expires, and the new one works', async () => {
    // 1000 s × 0.001: a 1 s token (expires_in 1, WeChat's whole seconds)
    const s = await newSandbox({ timeScale: 0.001, accessTokenTtlSeconds: 1000 });
    try {
      const a = client(db, s);
      const b = client(db2, s);
      const first = await a.accessToken.get();
      const row = await db.prisma.wechatAccessToken.findUniqueOrThrow({ where: { appid: s.credentials.appid } });
      expect(issued(s)).toBe(1);
      await sleep(Math.max(0, row.expiresAt.getTime() + 100 - Date.now()));
      const [x, y] = await Promise.all([a.accessToken.get(), b.accessToken.get()]);
      expect(x).toBe(y);
      expect(x).not.toBe(first);
      expect(issued(s)).toBe(2);
      const order = await paidOrder(s);
      expect((await b.getShippingOrder({ outTradeNo: order.outTradeNo })).state).toBe('UNSHIPPED');
    } finally {
      await s.close();
    }
  });

  it('refresh it at once on 40001 — once for both instances — and retry the call', async () => {
    const calls: string[] = [];
    const a = client(db, sandbox, calls);
    const b = client(db2, sandbox);
    const order = await paidOrder(sandbox);
    const old = await a.accessToken.get();
    await b.accessToken.get();
    sandbox.revokeAccessTokens();
    const before = issued(sandbox);
    const [ra, rb] = await Promise.all([
      a.getShippingOrder({ outTradeNo: order.outTradeNo }),
      b.getShippingOrder({ transactionId: order.transactionId }),
    ]);
    expect(ra.transactionId).toBe(order.transactionId);
    expect(rb.outTradeNo).toBe(order.outTradeNo);
    expect(issued(sandbox)).toBe(before + 1);
    // whichever instance took the lock first fetched; the other found the new token stored
    expect(calls[0]).toBe('get_order:errcode_40001');
    expect(calls.at(-1)).toBe('get_order:ok');
    expect(calls.filter((c) => c.startsWith('get_order'))).toHaveLength(2);
    const now = await a.accessToken.get();
    expect(now).not.toBe(old);
    expect(await b.accessToken.get()).toBe(now);
  });

  it('refresh at once on 42001 when WeChat holds the stored token expired, and retry the call', async () => {
    // 200 s × 0.001: a 0.2 s token; the stored expiry then claims another hour (clocks that disagree)
    const s = await newSandbox({ timeScale: 0.001, accessTokenTtlSeconds: 200 });
    try {
      const first = await client(db, s).accessToken.get();
      await sleep(300);
      await db.prisma.wechatAccessToken.update({
        where: { appid: s.credentials.appid },
        data: { obtainedAt: new Date(), expiresAt: new Date(Date.now() + 3600_000) },
      });
      const calls: string[] = [];
      const b = client(db2, s, calls);
      const list = await b.getDeliveryList();
      expect(list.length).toBeGreaterThan(0);
      expect(calls).toEqual(['get_delivery_list:errcode_42001', 'stable_token:issued', 'get_delivery_list:ok']);
      expect(await b.accessToken.get()).not.toBe(first);
    } finally {
      await s.close();
    }
  });

  it('upload lands in WeChat with every field right, and get_order reads it back', async () => {
    const a = client(db, sandbox);
    const order = await paidOrder(sandbox, 'oShopperUpload0000000000001', 5960);
    const uploadTime = new Date('2026-11-28T12:30:45.678Z');
    const result = await a.uploadShippingInfo({
      outTradeNo: order.outTradeNo,
      payerOpenid: order.openid,
      logisticsType: 'EXPRESS',
      expressCompany: 'SF',
      trackingNo: 'SF1400012345678',
      itemDesc: '明前龙井 100g ×2',
      receiverPhone: '13812345678',
      uploadTime,
    });
    expect(result.uploadTime).toBe('2026-11-28T20:30:45+08:00');
    const held = sandbox.state.shipping().find((s) => s.out_trade_no === order.outTradeNo)!;
    expect(held).toMatchObject({ order_state: 2, funds: 'frozen', uploads: 1 });
    expect(held.last_upload).toMatchObject({
      order_number_type: 1,
      logistics_type: 1,
      delivery_mode: 1,
      upload_time: '2026-11-28T20:30:45+08:00',
      uploadTimeMs: Date.parse('2026-11-28T12:30:45Z'),
      shipping_list: [
        {
          express_company: 'SF',
          tracking_no: 'SF1400012345678',
          item_desc: '明前龙井 100g ×2',
          contact: { receiver_contact: '138****5678' },
        },
      ],
    });
    expect(result.request).toEqual({
      order_key: { order_number_type: 1, mchid: sandbox.credentials.mchid, out_trade_no: order.outTradeNo },
      logistics_type: 1,
      delivery_mode: 1,
      shipping_list: [
        {
          express_company: 'SF',
          tracking_no: 'SF1400012345678',
          item_desc: '明前龙井 100g ×2',
          contact: { receiver_contact: '138****5678' },
        },
      ],
      upload_time: '2026-11-28T20:30:45+08:00',
      payer: { openid: order.openid },
    });
    expect(JSON.stringify(result.request)).not.toContain('13812345678');

    const shipped = await a.getShippingOrder({ outTradeNo: order.outTradeNo });
    expect(shipped).toMatchObject({
      outTradeNo: order.outTradeNo,
      transactionId: order.transactionId,
      openid: order.openid,
      paidFen: 5960,
      orderState: 2,
      state: 'SHIPPED',
      received: false,
      shipping: {
        logisticsType: 'EXPRESS',
        deliveryMode: 1,
        finished: true,
        packages: [
          {
            expressCompany: 'SF',
            trackingNo: 'SF1400012345678',
            itemDesc: '明前龙井 100g ×2',
            uploadTime: new Date('2026-11-28T12:30:45Z'),
            receiverContact: '138****5678',
          },
        ],
      },
    });

    sandbox.confirmReceipt(order.outTradeNo);
    const received = await a.getShippingOrder({ transactionId: order.transactionId });
    expect(received.received).toBe(true);
    expect(['CONFIRMED', 'COMPLETED']).toContain(received.state);
  });

  it('allows one modification, then answers WECHAT_SHIPPING_MODIFY_EXHAUSTED with the errcode', async () => {
    const a = client(db, sandbox);
    const order = await paidOrder(sandbox);
    const base = expressShipment(order, 'ZTO', '桂花糕 ×1');
    const t0 = Date.now() - 60_000;
    await a.uploadShippingInfo({ ...base, trackingNo: '75611788998298', uploadTime: new Date(t0) });
    await a.uploadShippingInfo({ ...base, trackingNo: '75611788998299', uploadTime: new Date(t0 + 10_000) });
    const err = await appError(
      a.uploadShippingInfo({ ...base, trackingNo: '75611788998300', uploadTime: new Date(t0 + 20_000) }),
    );
    expect(err.code).toBe('WECHAT_SHIPPING_MODIFY_EXHAUSTED');
    expect(err.details).toMatchObject({ errcode: 10060003, retryable: false });
    const held = await a.getShippingOrder({ outTradeNo: order.outTradeNo });
    expect(held.shipping?.packages[0]?.trackingNo).toBe('75611788998299');
  });

  it('ships same-city, virtual and self-pickup orders without a company', async () => {
    const a = client(db, sandbox);
    for (const logisticsType of ['SAME_CITY', 'VIRTUAL', 'SELF_PICKUP'] as const) {
      const order = await paidOrder(sandbox);
      const { request } = await a.uploadShippingInfo({
        outTradeNo: order.outTradeNo,
        payerOpenid: order.openid,
        logisticsType,
        itemDesc: '云南小粒咖啡豆 ×1',
      });
      expect(request.shipping_list).toEqual([{ item_desc: '云南小粒咖啡豆 ×1' }]);
      expect((await a.getShippingOrder({ outTradeNo: order.outTradeNo })).shipping?.logisticsType).toBe(logisticsType);
    }
  });

  it('refuses bad input before calling WeChat, and maps WeChat refusals to stable codes', async () => {
    const calls: string[] = [];
    const a = client(db, sandbox, calls);
    const order = await paidOrder(sandbox);
    const base = { ...expressShipment(order, 'YTO', '普洱 357g 茶饼 ×1'), trackingNo: 'YT7407032196699' };
    expect((await appError(a.uploadShippingInfo({ ...base, expressCompany: 'NOPE' }))).code).toBe(
      'WECHAT_DELIVERY_COMPANY_UNKNOWN',
    );
    expect((await appError(a.uploadShippingInfo({ ...base, trackingNo: '' }))).code).toBe('VALIDATION_FAILED');
    expect((await appError(a.uploadShippingInfo({ ...base, itemDesc: '茶'.repeat(121) }))).code).toBe(
      'VALIDATION_FAILED',
    );
    const sf = await appError(a.uploadShippingInfo({ ...base, expressCompany: 'SF' }));
    expect(sf.message).toMatch(/receiverPhone/);
    expect(calls.filter((c) => c.startsWith('upload_shipping_info'))).toEqual([]);
    // the delivery list was asked once and then served from the cache
    await a.getDeliveryList();
    expect(calls.filter((c) => c === 'get_delivery_list:ok')).toHaveLength(1);
    expect((await a.getDeliveryList()).map((d) => d.id)).toEqual(
      expect.arrayContaining(['SF', 'YTO', 'ZTO', 'YD', 'STO', 'JTSD', 'EMS', 'JD']),
    );

    // WeChat's own refusals
    const notMine = await appError(a.uploadShippingInfo({ ...base, outTradeNo: 'NOSUCHORDER001' }));
    expect(notMine.code).toBe('WECHAT_SHIPPING_ORDER_NOT_FOUND');
    expect(notMine.details).toMatchObject({ errcode: 10060001, retryable: true });
    const otherPayer = await appError(a.uploadShippingInfo({ ...base, payerOpenid: 'oSomeoneElse00000000000001' }));
    expect(otherPayer.code).toBe('WECHAT_SHIPPING_REJECTED');
    expect(otherPayer.details).toMatchObject({ errcode: 10060014, retryable: false });

    // WeChat down: a retryable WECHAT_UNAVAILABLE that never quotes the token
    sandbox.faults.set({ failApi: { count: 1, mode: '500', pathPrefix: '/wxa/sec/order' } });
    const busy = await appError(a.getShippingOrder({ outTradeNo: order.outTradeNo }));
    expect(busy.code).toBe('WECHAT_UNAVAILABLE');
    expect(busy.details).toMatchObject({ errcode: -1, retryable: true });
    sandbox.faults.set({ failApi: { count: 1, mode: 'timeout', pathPrefix: '/wxa/sec/order', timeoutMs: 5000 } });
    const hung = await appError(a.getShippingOrder({ outTradeNo: order.outTradeNo }));
    expect(hung.code).toBe('WECHAT_UNAVAILABLE');
    const token = await a.accessToken.get();
    expect(JSON.stringify({ m: hung.message, d: hung.details })).not.toContain(token);
    sandbox.faults.reset();
    expect((await a.getShippingOrder({ outTradeNo: order.outTradeNo })).state).toBe('UNSHIPPED');
  });

  it('answers WECHAT_CREDENTIALS_INVALID for a wrong appsecret, and stores nothing', async () => {
    const other = await createTestDb('postgres');
    try {
      const bad = client(other, sandbox, undefined, { appsecret: '0'.repeat(32) });
      const err = await appError(bad.getDeliveryList());
      expect(err.code).toBe('WECHAT_CREDENTIALS_INVALID');
      expect(err.details).toMatchObject({ errcode: 40125 });
      const row = await other.prisma.wechatAccessToken.findUnique({ where: { appid: sandbox.credentials.appid } });
      expect(row?.accessToken ?? '').toBe('');
    } finally {
      await other.close();
    }
  });
});

describe('two BFF processes on one PostgreSQL', () => {
  it('fetch the access token once between them', async () => {
    const sandbox = await newSandbox({ timeScale: 0.01 });
    const db = await createTestDb('postgres');
    const c = sandbox.credentials;
    const bffDir = fileURLToPath(new URL('../..', import.meta.url));
    // compiled once, as the BFF itself runs (scripts/build.mjs), for both processes
    const program = await buildBff(privateOutfile('test'), path.join(bffDir, 'test/support/wechat-token-process.ts'));
    const children = [0, 1].map(() =>
      spawn(process.execPath, [program], {
        cwd: bffDir,
        env: {
          PATH: process.env.PATH ?? '',
          DATABASE_URL: db.databaseUrl!,
          WECHAT_APPID: c.appid,
          WECHAT_APPSECRET: c.appsecret,
          WECHAT_API_BASE: sandbox.url,
          WECHATPAY_MCHID: c.mchid,
        },
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    try {
      const lines = children.map((child) => {
        const out: string[] = [];
        let buf = '';
        const waiters: Array<() => void> = [];
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const parts = buf.split('\n');
          buf = parts.pop()!;
          out.push(...parts);
          waiters.splice(0).forEach((w) => w());
        });
        const nth = (n: number) =>
          new Promise<string>((resolve, reject) => {
            const check = () => (out.length > n ? resolve(out[n]!) : waiters.push(check));
            child.once('exit', (code) => out.length <= n && reject(new Error(`child exited ${code}`)));
            check();
          });
        return nth;
      });
      expect(await Promise.all(lines.map((nth) => nth(0)))).toEqual(['ready', 'ready']);
      // both go at once
      for (const child of children) child.stdin!.write('go\n');
      const results = (await Promise.all(lines.map((nth) => nth(1)))).map(
        (l) => JSON.parse(l) as { tokenSha256: string; companies: number },
      );
      const row = await db.prisma.wechatAccessToken.findUniqueOrThrow({ where: { appid: c.appid } });
      const sha = createHash('sha256').update(row.accessToken).digest('hex');
      expect(results).toEqual([
        { tokenSha256: sha, companies: expect.any(Number) },
        { tokenSha256: sha, companies: expect.any(Number) },
      ]);
      expect(results[0]!.companies).toBeGreaterThanOrEqual(8);
      expect(sandbox.state.stableTokenCalls()).toHaveLength(1);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill();
      removeBuild(program);
      await db.close();
      await sandbox.close();
    }
  }, 120_000);
});

describe('on PGlite', () => {
  let sandbox: Sandbox;
  let db: TestDb;
  beforeAll(async () => {
    // tokens live 7200 s here (7 200 000 s × 0.001): none expires unless a test says so
    sandbox = await newSandbox({ timeScale: 0.001, accessTokenTtlSeconds: 7_200_000 });
    db = await createTestDb('pglite');
  });
  afterAll(async () => {
    await db?.close();
    await sandbox?.close();
  });

  it('keeps the token, refreshes it on 40001 and uploads', async () => {
    const a = client(db, sandbox);
    const order = await paidOrder(sandbox);
    const [t1, t2] = await Promise.all([a.accessToken.get(), a.accessToken.get()]);
    expect(t1).toBe(t2);
    sandbox.revokeAccessTokens();
    await a.uploadShippingInfo({
      outTradeNo: order.outTradeNo,
      payerOpenid: order.openid,
      logisticsType: 'EXPRESS',
      expressCompany: 'JTSD',
      trackingNo: 'JT0001234567890',
      itemDesc: '挂耳咖啡 20 片装 ×1',
    });
    expect(issued(sandbox)).toBe(2);
    expect((await a.getShippingOrder({ outTradeNo: order.outTradeNo })).shipping?.packages[0]).toMatchObject({
      expressCompany: 'JTSD',
      trackingNo: 'JT0001234567890',
    });
  });
});
