/**
 * The bench's lean baseline: the BFF's hot paths with no framework — plain node:http, `pg`, and
 * the same cryptography (RSA-SHA256 signing and verification, AES-256-GCM decryption, HS256 JWTs)
 * against the same schema and the same WeChat Pay sandbox. It does the same work with the fewest
 * statements a careful hand would write: the floor the BFF's throughput is compared with.
 * Not a product: no validation beyond what the work needs, no error codes, no admin.
 *
 * Environment: DATABASE_URL, JWT_SECRET, WECHAT_APPID, WECHAT_APPSECRET, WECHAT_API_BASE,
 * WECHATPAY_MCHID, WECHATPAY_MCH_SERIAL, WECHATPAY_MCH_PRIVATE_KEY_FILE, WECHATPAY_APIV3_KEY,
 * WECHATPAY_PUBLIC_KEY_FILE, WECHATPAY_PUBLIC_KEY_ID, WECHATPAY_BASE, PUBLIC_BASE_URL.
 * Prints `{"msg":"lean listening","url":…}` once listening on a free loopback port.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, randomInt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import {
  aesGcmDecrypt,
  buildAuthorization,
  buildResponseSignString,
  signRequestPayment,
  verifySha256Rsa,
} from '@uni-checkout/wechatpay-sandbox';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`lean server: ${name} is not set`);
  return v;
};

const appid = env('WECHAT_APPID');
const appsecret = env('WECHAT_APPSECRET');
const wechatApiBase = env('WECHAT_API_BASE');
const mchid = env('WECHATPAY_MCHID');
const mchSerial = env('WECHATPAY_MCH_SERIAL');
const mchKey = createPrivateKey(readFileSync(env('WECHATPAY_MCH_PRIVATE_KEY_FILE')));
const apiV3Key = env('WECHATPAY_APIV3_KEY');
const wxPublicKey = createPublicKey(readFileSync(env('WECHATPAY_PUBLIC_KEY_FILE')));
const wxPublicKeyId = env('WECHATPAY_PUBLIC_KEY_ID');
const payBase = new URL(env('WECHATPAY_BASE'));
const notifyUrl = env('PUBLIC_BASE_URL') + '/api/pay/notify/transaction';
const jwtKey = Buffer.from(env('JWT_SECRET'));

const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 10 });
pool.on('error', () => {});
const upstream = new http.Agent({ keepAlive: true, maxSockets: 64 });

// ---- small helpers ----

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body?: unknown) {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function upstreamCall(
  base: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path, agent: upstream, headers, timeout: 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('upstream timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function signJwt(claims: Record<string, unknown>, ttlSeconds: number): string {
  const now = Math.floor(Date.now() / 1000);
  const head = b64url(JSON.stringify({ alg: 'HS256' }));
  const body = b64url(JSON.stringify({ ...claims, iss: 'uni-checkout', iat: now, exp: now + ttlSeconds }));
  const sig = createHmac('sha256', jwtKey).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

function verifyJwt(req: http.IncomingMessage): { userId: string; openid: string } {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const [head, body, sig] = token?.split('.') ?? [];
  if (!head || !body || !sig) throw new HttpError(401, 'no token');
  const expected = createHmac('sha256', jwtKey).update(`${head}.${body}`).digest();
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpError(401, 'bad token');
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (claims.iss !== 'uni-checkout' || typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now())
    throw new HttpError(401, 'expired');
  return { userId: String(claims.userId), openid: String(claims.openid) };
}

function log(fields: Record<string, unknown>) {
  process.stdout.write(JSON.stringify({ level: 30, time: Date.now(), ...fields }) + '\n');
}

async function inTransaction<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

// ---- routes ----

async function login(req: http.IncomingMessage, res: http.ServerResponse) {
  const { code } = JSON.parse((await readBody(req)).toString('utf8')) as { code: string };
  const q = new URLSearchParams({ appid, secret: appsecret, js_code: code, grant_type: 'authorization_code' });
  const answer = await upstreamCall(new URL(wechatApiBase), 'GET', `/sns/jscode2session?${q}`, {});
  const { openid } = JSON.parse(answer.body) as { openid?: string };
  if (!openid) throw new HttpError(401, 'login failed');
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO "User" (id, openid) VALUES (gen_random_uuid(), $1)
     ON CONFLICT (openid) DO UPDATE SET "lastLoginAt" = now() RETURNING id`,
    [openid],
  );
  const userId = rows[0]!.id;
  send(res, 200, { token: signJwt({ role: 'shopper', userId, openid, sub: userId }, 7 * 86400), user: { id: userId } });
}

function newOrderNo(now: Date): string {
  const stamp = new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace(/[-T:]/g, '');
  let random = '';
  for (let i = 0; i < 10; i++) random += String(randomInt(10));
  return `UC${stamp}${random}`;
}

interface SkuRow {
  id: string;
  productId: string;
  title: string;
  priceFen: number;
  productTitle: string;
  images: string[];
}

async function createOrder(req: http.IncomingMessage, res: http.ServerResponse) {
  const user = verifyJwt(req);
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || !key) throw new HttpError(400, 'Idempotency-Key required');
  const body = JSON.parse((await readBody(req)).toString('utf8')) as {
    items: { skuId: string; quantity: number }[];
    remark?: string;
  };
  const merged = new Map<string, number>();
  for (const { skuId, quantity } of body.items) merged.set(skuId, (merged.get(skuId) ?? 0) + quantity);
  const lines = [...merged]
    .map(([skuId, quantity]) => ({ skuId, quantity }))
    .sort((a, b) => (a.skuId < b.skuId ? -1 : 1));
  const hash = createHash('sha256')
    .update(JSON.stringify({ lines, remark: body.remark ?? null }))
    .digest('hex');
  const replay = await pool.query(
    'SELECT "orderId", "requestHash" FROM "IdempotencyKey" WHERE "userId" = $1 AND key = $2',
    [user.userId, key],
  );
  if (replay.rowCount) throw new HttpError(409, 'replay');
  const order = await inTransaction(async (c) => {
    const keyRow = await c.query<{ id: string }>(
      `INSERT INTO "IdempotencyKey" (id, "userId", key, "requestHash") VALUES (gen_random_uuid(), $1, $2, $3) RETURNING id`,
      [user.userId, key, hash],
    );
    const skus = await c.query<SkuRow>(
      `SELECT s.id, s."productId", s.title, s."priceFen", p.title AS "productTitle", p.images
       FROM "Sku" s JOIN "Product" p ON p.id = s."productId"
       WHERE s.id = ANY($1) AND s.active AND p.active`,
      [lines.map((l) => l.skuId)],
    );
    const byId = new Map(skus.rows.map((s) => [s.id, s]));
    const priced = lines.map((l) => {
      const sku = byId.get(l.skuId);
      if (!sku) throw new HttpError(422, `SKU ${l.skuId} is not for sale`);
      return { sku, quantity: l.quantity, amountFen: sku.priceFen * l.quantity };
    });
    const totalFen = priced.reduce((s, p) => s + p.amountFen, 0);
    for (const p of priced) {
      const taken = await c.query(
        `UPDATE "Sku" SET stock = stock - $2, "updatedAt" = now() WHERE id = $1 AND active AND stock >= $2`,
        [p.sku.id, p.quantity],
      );
      if (taken.rowCount === 0) throw new HttpError(409, 'out of stock');
    }
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 30 * 60_000);
    const orderNo = newOrderNo(now);
    const inserted = await c.query<{ id: string }>(
      `INSERT INTO "Order" (id, "orderNo", "userId", "totalFen", remark, "expiresAt", "createdAt", "updatedAt")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $6) RETURNING id`,
      [orderNo, user.userId, totalFen, body.remark ?? null, expiresAt, now],
    );
    const orderId = inserted.rows[0]!.id;
    const values: unknown[] = [orderId];
    const tuples = priced.map((p, i) => {
      values.push(
        p.sku.productId,
        p.sku.id,
        p.sku.productTitle,
        p.sku.title,
        p.sku.images[0] ?? null,
        p.sku.priceFen,
        p.quantity,
        p.amountFen,
      );
      const o = 2 + i * 8;
      return `(gen_random_uuid(), $1, $${o}, $${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}, $${o + 6}, $${o + 7})`;
    });
    await c.query(
      `INSERT INTO "OrderItem" (id, "orderId", "productId", "skuId", title, "skuTitle", image, "priceFen", quantity, "amountFen")
       VALUES ${tuples.join(', ')}`,
      values,
    );
    await c.query('UPDATE "IdempotencyKey" SET "orderId" = $1 WHERE id = $2', [orderId, keyRow.rows[0]!.id]);
    await c.query(`INSERT INTO "OrderEvent" ("orderId", type, payload) VALUES ($1, 'ORDER_CREATED', $2)`, [
      orderId,
      JSON.stringify({
        orderNo,
        totalFen,
        expiresAt: expiresAt.toISOString(),
        items: priced.map((p) => ({ skuId: p.sku.id, quantity: p.quantity, priceFen: p.sku.priceFen })),
      }),
    ]);
    return {
      orderNo,
      status: 'PENDING_PAYMENT',
      totalFen,
      refundedFen: 0,
      createdAt: now.toISOString(),
      paidAt: null,
      expiresAt: expiresAt.toISOString(),
      items: priced.map((p) => ({
        productId: p.sku.productId,
        skuId: p.sku.id,
        title: p.sku.productTitle,
        skuTitle: p.sku.title,
        priceFen: p.sku.priceFen,
        quantity: p.quantity,
        amountFen: p.amountFen,
      })),
    };
  });
  log({ orderNo: order.orderNo, totalFen: order.totalFen, msg: 'order created' });
  send(res, 201, order);
}

function beijing(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 19) + '+08:00';
}

async function pay(req: http.IncomingMessage, res: http.ServerResponse, orderNo: string) {
  const user = verifyJwt(req);
  const { rows } = await pool.query<{
    id: string;
    status: string;
    totalFen: number;
    expiresAt: Date;
    description: string;
  }>(
    `SELECT o.id, o.status, o."totalFen", o."expiresAt",
            string_agg(i.title || ' ' || i."skuTitle" || '×' || i.quantity, '，') AS description
     FROM "Order" o JOIN "OrderItem" i ON i."orderId" = o.id
     WHERE o."orderNo" = $1 AND o."userId" = $2 GROUP BY o.id`,
    [orderNo, user.userId],
  );
  const order = rows[0];
  if (!order) throw new HttpError(404, 'no such order');
  if (order.status !== 'PENDING_PAYMENT' || order.expiresAt.getTime() <= Date.now())
    throw new HttpError(409, 'not payable');
  const requested = {
    appid,
    mchid,
    description: [...order.description].slice(0, 127).join(''),
    out_trade_no: orderNo,
    time_expire: beijing(order.expiresAt),
    notify_url: notifyUrl,
    amount: { total: order.totalFen, currency: 'CNY' },
    payer: { openid: user.openid },
  };
  const body = JSON.stringify(requested);
  const path = '/v3/pay/transactions/jsapi';
  const answer = await upstreamCall(
    payBase,
    'POST',
    path,
    {
      'content-type': 'application/json',
      accept: 'application/json',
      // WeChat Pay (and the sandbox, as strict) refuses an APIv3 call without one: 400 INVALID_REQUEST
      'user-agent': 'uni-checkout-lean/1.0',
      authorization: buildAuthorization({
        mchid,
        serialNo: mchSerial,
        privateKey: mchKey,
        method: 'POST',
        pathAndQuery: path,
        body,
      }),
    },
    body,
  );
  const h = answer.headers;
  const verified =
    h['wechatpay-serial'] === wxPublicKeyId &&
    verifySha256Rsa(
      buildResponseSignString(String(h['wechatpay-timestamp']), String(h['wechatpay-nonce']), answer.body),
      String(h['wechatpay-signature']),
      wxPublicKey,
    );
  if (answer.status !== 200 || !verified) throw new HttpError(502, `prepay failed: ${answer.status}`);
  const { prepay_id: prepayId } = JSON.parse(answer.body) as { prepay_id: string };
  const prepayExpiresAt = new Date(Date.now() + 2 * 3600_000);
  // the request, its answer and the stored prepay_id in one transaction: one commit
  await inTransaction(async (c) => {
    const stored = await c.query(
      `UPDATE "Order" SET "prepayId" = $2, "prepayExpiresAt" = $3, version = version + 1, "updatedAt" = now()
       WHERE id = $1 AND status = 'PENDING_PAYMENT'`,
      [order.id, prepayId, prepayExpiresAt],
    );
    await c.query(
      `INSERT INTO "OrderEvent" ("orderId", type, payload) VALUES ($1, 'PREPAY_REQUESTED', $2), ($1, 'PREPAY_CREATED', $3)`,
      [
        order.id,
        JSON.stringify({
          description: requested.description,
          timeExpire: requested.time_expire,
          notifyUrl,
          amountFen: order.totalFen,
        }),
        JSON.stringify({ prepayId, prepayExpiresAt: prepayExpiresAt.toISOString(), stored: stored.rowCount === 1 }),
      ],
    );
    if (stored.rowCount === 0) throw new HttpError(409, 'closed meanwhile');
  });
  send(res, 200, signRequestPayment({ appId: appid, prepayId }, mchKey));
}

interface Transaction {
  appid: string;
  mchid: string;
  out_trade_no: string;
  transaction_id?: string;
  trade_state: string;
  success_time?: string;
  amount?: { total?: number };
}

async function notify(req: http.IncomingMessage, res: http.ServerResponse) {
  const raw = (await readBody(req)).toString('utf8');
  const h = req.headers;
  const timestamp = String(h['wechatpay-timestamp'] ?? '');
  if (
    h['wechatpay-serial'] !== wxPublicKeyId ||
    Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > 300 ||
    !verifySha256Rsa(
      buildResponseSignString(timestamp, String(h['wechatpay-nonce']), raw),
      String(h['wechatpay-signature']),
      wxPublicKey,
    )
  ) {
    send(res, 401, { code: 'FAIL', message: 'signature' });
    return;
  }
  const envelope = JSON.parse(raw) as {
    id: string;
    event_type: string;
    resource: { ciphertext: string; nonce: string; associated_data: string };
  };
  const r = envelope.resource;
  const t = JSON.parse(aesGcmDecrypt(r.ciphertext, apiV3Key, r.nonce, r.associated_data)) as Transaction;
  const { rows } = await pool.query<{ id: string; totalFen: number }>(
    'SELECT id, "totalFen" FROM "Order" WHERE "orderNo" = $1',
    [t.out_trade_no],
  );
  const order = rows[0];
  const report = {
    source: 'notify',
    notificationId: envelope.id,
    eventType: envelope.event_type,
    tradeState: t.trade_state,
    transactionId: t.transaction_id ?? null,
    amountTotal: t.amount?.total ?? null,
    successTime: t.success_time ?? null,
  };
  let outcome = 'mismatch';
  if (
    order &&
    t.trade_state === 'SUCCESS' &&
    t.mchid === mchid &&
    t.appid === appid &&
    t.amount?.total === order.totalFen
  ) {
    outcome = await inTransaction(async (c) => {
      const fresh = await c.query(
        `INSERT INTO "ProcessedNotification" (id, "eventType", "orderNo") VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [envelope.id, envelope.event_type, t.out_trade_no],
      );
      if (fresh.rowCount === 0) return 'duplicate';
      const paid = await c.query(
        `UPDATE "Order" SET status = 'PAID', "transactionId" = $2, "paidAt" = $3, version = version + 1, "updatedAt" = now()
         WHERE id = $1 AND status = 'PENDING_PAYMENT' AND "transactionId" IS NULL`,
        [order.id, t.transaction_id, new Date(t.success_time ?? Date.now())],
      );
      if (paid.rowCount === 1) {
        await c.query(
          `INSERT INTO "OrderEvent" ("orderId", type, payload) VALUES ($1, 'NOTIFY_RECEIVED', $2), ($1, 'PAYMENT_SETTLED', $3)`,
          [order.id, JSON.stringify(report), JSON.stringify({ ...report, paidAfterClose: false })],
        );
        return 'settled';
      }
      await c.query(
        `INSERT INTO "OrderEvent" ("orderId", type, payload) VALUES ($1, 'NOTIFY_RECEIVED', $2), ($1, 'NOTIFY_DUPLICATE', $3)`,
        [order.id, JSON.stringify(report), JSON.stringify({ ...report, decision: 'already paid' })],
      );
      return 'already';
    });
    if (outcome === 'duplicate') {
      await pool.query(`INSERT INTO "OrderEvent" ("orderId", type, payload) VALUES ($1, 'NOTIFY_DUPLICATE', $2)`, [
        order.id,
        JSON.stringify({
          notificationId: envelope.id,
          eventType: envelope.event_type,
          decision: 'notification id already handled',
        }),
      ]);
    }
  }
  log({ notificationId: envelope.id, outTradeNo: t.out_trade_no, outcome, msg: 'payment notification handled' });
  send(res, 204);
}

const PAY_PATH = /^\/api\/orders\/([\w-]{6,32})\/pay$/;

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  const route =
    req.method !== 'POST'
      ? undefined
      : url === '/api/pay/notify/transaction'
        ? notify(req, res)
        : url === '/api/orders'
          ? createOrder(req, res)
          : url === '/api/auth/login'
            ? login(req, res)
            : PAY_PATH.test(url)
              ? pay(req, res, PAY_PATH.exec(url)![1]!)
              : undefined;
  if (!route) {
    send(res, 404, { error: { code: 'NOT_FOUND' } });
    return;
  }
  route.catch((err: unknown) => {
    const status = err instanceof HttpError ? err.status : 500;
    if (status === 500) log({ level: 50, err: String(err), msg: 'failed' });
    if (!res.headersSent)
      send(res, status, { error: { code: status === 500 ? 'INTERNAL' : 'FAILED', message: String(err) } });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  log({ msg: 'lean listening', url: `http://127.0.0.1:${port}` });
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    void pool.end().finally(() => process.exit(0));
  });
}
