import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { billMadeAt, buildTradeBill } from '../src/bill.js';
import { buildAuthorization, createSandbox, signRequestPayment, type Sandbox } from '../src/index.js';
import { Store, type RefundRecord, type TransactionRecord } from '../src/store.js';
import { jsapiBody, merchantClient, notifyReceiver, sandboxStateDir } from './helpers.js';

let sandbox: Sandbox;
let call: ReturnType<typeof merchantClient>;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;
const paid: Array<{ outTradeNo: string; transactionId: string; total: number }> = [];
let refundNo = '';

const beijingToday = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/** Downloads a file as the merchant does: a signed GET; answers raw bytes. */
async function download(url: string, signed = true) {
  const u = new URL(url);
  const headers: Record<string, string> = {};
  if (signed) {
    headers.Authorization = buildAuthorization({
      mchid: sandbox.credentials.mchid,
      serialNo: sandbox.credentials.merchantSerialNo,
      privateKey: sandbox.credentials.merchantPrivateKeyPem,
      method: 'GET',
      pathAndQuery: `${u.pathname}${u.search}`,
    });
  }
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

beforeAll(async () => {
  sandbox = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001 });
  call = merchantClient(sandbox);
  receiver = await notifyReceiver(() => 204);
  for (const total of [1230, 99, 100000]) {
    const body = jsapiBody(sandbox, {
      amount: { total, currency: 'CNY' },
      notify_url: receiver.url,
      attach: total === 99 ? 'a,b' : undefined,
    });
    const { body: pre } = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
    const { transaction } = sandbox.pay({
      ...signRequestPayment(
        { appId: sandbox.credentials.appid, prepayId: pre.prepay_id },
        sandbox.credentials.merchantPrivateKeyPem,
      ),
      openid: body.payer.openid,
    });
    paid.push({ outTradeNo: body.out_trade_no, transactionId: String(transaction.transaction_id), total });
  }
  // An unpaid order never shows in the bill.
  await call('POST', '/v3/pay/transactions/jsapi', jsapiBody(sandbox));
  refundNo = `R${paid[0]!.outTradeNo}`;
  await call('POST', '/v3/refund/domestic/refunds', {
    out_trade_no: paid[0]!.outTradeNo,
    out_refund_no: refundNo,
    notify_url: receiver.url,
    amount: { refund: 230, total: 1230, currency: 'CNY' },
  });
  await sandbox.waitForNotification((n) => n.outRefundNo === refundNo && n.state === 'delivered');
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const parseBill = (raw: string) => {
  expect(raw.startsWith('\uFEFF')).toBe(true);
  const lines = raw.slice(1).split('\r\n');
  expect(lines.at(-1)).toBe('');
  lines.pop();
  const summaryAt = lines.indexOf(
    '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额',
  );
  expect(summaryAt).toBeGreaterThan(0);
  // Every field starts with a backtick, so ",`" separates fields even when a value holds a comma.
  const cells = (l: string) => {
    expect(l.startsWith('`')).toBe(true);
    return l.slice(1).split(',`');
  };
  return {
    header: lines[0]!.split(','),
    rows: lines.slice(1, summaryAt).map(cells),
    summary: cells(lines[summaryAt + 1]!),
    trailing: lines.slice(summaryAt + 2),
  };
};

describe('GET /v3/bill/tradebill', () => {
  it("answers a SHA1 hash and a download URL; the file is WeChat's CSV layout and its SHA1 matches", async () => {
    const res = await call<{ hash_type: string; hash_value: string; download_url: string }>(
      'GET',
      `/v3/bill/tradebill?bill_date=${beijingToday()}&bill_type=ALL`,
    );
    expect(res.status).toBe(200);
    expect(res.signatureValid).toBe(true);
    expect(res.body.hash_type).toBe('SHA1');
    expect(res.body.hash_value).toMatch(/^[0-9a-f]{40}$/);
    expect(res.body.download_url).toMatch(new RegExp(`^${sandbox.url}/v3/billdownload/file\\?token=`));

    const file = await download(res.body.download_url);
    expect(file.status).toBe(200);
    expect(createHash('sha1').update(file.bytes).digest('hex')).toBe(res.body.hash_value);
    const bill = parseBill(file.bytes.toString('utf8'));
    expect(bill.header.slice(0, 8)).toEqual([
      '交易时间',
      '公众账号ID',
      '商户号',
      '特约商户号',
      '设备号',
      '微信订单号',
      '商户订单号',
      '用户标识',
    ]);
    expect(bill.header).toContain('费率备注');
    expect(bill.trailing).toEqual([]);
    const col = (name: string) => bill.header.indexOf(name);
    expect(bill.rows).toHaveLength(4);
    expect(bill.rows.every((r) => r.length === bill.header.length)).toBe(true);
    const payments = bill.rows.filter((r) => r[col('交易状态')] === 'SUCCESS');
    expect(payments.map((r) => r[col('商户订单号')])).toEqual(paid.map((p) => p.outTradeNo));
    expect(payments.map((r) => r[col('订单金额')])).toEqual(['12.30', '0.99', '1000.00']);
    expect(payments.map((r) => r[col('微信订单号')])).toEqual(paid.map((p) => p.transactionId));
    expect(payments[0]![col('交易时间')]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(payments[0]![col('交易类型')]).toBe('JSAPI');
    const refund = bill.rows.find((r) => r[col('交易状态')] === 'REFUND')!;
    expect(refund[col('商户退款单号')]).toBe(refundNo);
    expect(refund[col('退款金额')]).toBe('2.30');
    expect(refund[col('退款状态')]).toBe('SUCCESS');
    // 4 rows; settled 1013.29 yuan; refunded 2.30; order total counts the refunded order again.
    expect(bill.summary[0]).toBe('4');
    expect(bill.summary[1]).toBe('1013.29');
    expect(bill.summary[2]).toBe('2.30');
  });

  it('SUCCESS and REFUND bills hold only their rows; GZIP compresses, the hash is of the plain file', async () => {
    const s = await call<{ hash_value: string; download_url: string }>(
      'GET',
      `/v3/bill/tradebill?bill_date=${beijingToday()}&bill_type=SUCCESS&tar_type=GZIP`,
    );
    const gz = await download(s.body.download_url);
    const plain = gunzipSync(gz.bytes);
    expect(createHash('sha1').update(plain).digest('hex')).toBe(s.body.hash_value);
    const success = parseBill(plain.toString('utf8'));
    expect(success.rows).toHaveLength(3);
    expect(success.header).not.toContain('微信退款单号');

    const r = await call<{ download_url: string }>(
      'GET',
      `/v3/bill/tradebill?bill_date=${beijingToday()}&bill_type=REFUND`,
    );
    const refunds = parseBill((await download(r.body.download_url)).bytes.toString('utf8'));
    expect(refunds.rows).toHaveLength(1);
    expect(refunds.header).toContain('退款申请时间');
  });

  it('shows an injected bill-only transaction and an altered amount (reconciliation hooks)', async () => {
    const inject = await fetch(`${sandbox.url}/sandbox/bill/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outTradeNo: 'GHOST000001', totalFen: 777 }),
    });
    expect(inject.status).toBe(201);
    sandbox.overrideBillAmount(paid[1]!.outTradeNo, 199);
    try {
      const res = await call<{ download_url: string }>(
        'GET',
        `/v3/bill/tradebill?bill_date=${beijingToday()}&bill_type=SUCCESS`,
      );
      const bill = parseBill((await download(res.body.download_url)).bytes.toString('utf8'));
      const col = (name: string) => bill.header.indexOf(name);
      expect(bill.rows.find((r) => r[col('商户订单号')] === 'GHOST000001')?.[col('订单金额')]).toBe('7.77');
      expect(bill.rows.find((r) => r[col('商户订单号')] === paid[1]!.outTradeNo)?.[col('订单金额')]).toBe('1.99');
      // The merchant never created it: querying it finds nothing.
      expect(
        (await call('GET', `/v3/pay/transactions/out-trade-no/GHOST000001?mchid=${sandbox.credentials.mchid}`)).status,
      ).toBe(404);
    } finally {
      const reset = await fetch(`${sandbox.url}/sandbox/bill/amounts/${paid[1]!.outTradeNo}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ totalFen: null }),
      });
      expect(reset.status).toBe(200);
    }
  });

  it.each([
    ['no bill_date', 'bill_type=ALL', 'PARAM_ERROR'],
    ['a malformed bill_date', 'bill_date=2026/11/01', 'PARAM_ERROR'],
    ['an impossible date', 'bill_date=2026-02-30', 'PARAM_ERROR'],
    ['a future date', 'bill_date=2999-01-01', 'PARAM_ERROR'],
    ['a date over three months ago', 'bill_date=2020-01-01', 'PARAM_ERROR'],
    ['an unknown bill_type', `bill_date=${beijingToday()}&bill_type=EVERYTHING`, 'PARAM_ERROR'],
    ['an unknown tar_type', `bill_date=${beijingToday()}&tar_type=ZIP`, 'PARAM_ERROR'],
  ])('400 for %s', async (_n, query, code) => {
    const res = await call('GET', `/v3/bill/tradebill?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    expect(res.signatureValid).toBe(true);
  });

  it('400 NO_STATEMENT_EXIST for a day without trades', async () => {
    const yesterday = new Date(Date.now() + 8 * 3600_000 - 86_400_000).toISOString().slice(0, 10);
    const res = await call('GET', `/v3/bill/tradebill?bill_date=${yesterday}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('NO_STATEMENT_EXIST');
  });

  it('the download needs a signed request and a valid token', async () => {
    const res = await call<{ download_url: string }>('GET', `/v3/bill/tradebill?bill_date=${beijingToday()}`);
    expect((await download(res.body.download_url, false)).status).toBe(401);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 5 * 60_000 + 1000);
      expect((await download(res.body.download_url)).status).toBe(400);
    } finally {
      vi.useRealTimers();
    }
    const bad = await download(`${sandbox.url}/v3/billdownload/file?token=nope`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.bytes.toString()).code).toBe('INVALID_REQUEST');
  });
});

/** Epoch ms of a Beijing wall-clock time, `2026-11-20 23:59:50`. */
const beijing = (at: string) => Date.parse(`${at.replace(' ', 'T')}+08:00`);

function paidTx(store: Store, outTradeNo: string, paidAt: number, totalFen = 1000): TransactionRecord {
  const tx: TransactionRecord = {
    request: {
      appid: 'wx0000000000000001',
      mchid: '1900000001',
      description: '测试商品',
      out_trade_no: outTradeNo,
      notify_url: 'https://merchant.example.com/notify',
      amount: { total: totalFen, currency: 'CNY' },
      payer: { openid: 'oBillTest' },
    },
    fingerprint: '',
    prepayId: `wx${outTradeNo}`,
    prepayExpiresAt: paidAt,
    payDeadline: null,
    createdAt: paidAt,
    tradeState: 'REFUND',
    tradeStateDesc: '',
    transactionId: `4200${outTradeNo}`,
    successTime: null,
    successAt: paidAt,
    bankType: 'OTHERS',
    closedAt: null,
    refundedFen: 0,
  };
  store.transactions.set(outTradeNo, tx);
  return tx;
}

function refund(
  store: Store,
  tx: TransactionRecord,
  outRefundNo: string,
  acceptedAt: number,
  outcome: { status: RefundRecord['status']; at?: number },
  refundFen = 300,
): RefundRecord {
  const r: RefundRecord = {
    refundId: `5030${outRefundNo}`,
    outRefundNo,
    outTradeNo: tx.request.out_trade_no,
    transactionId: tx.transactionId!,
    reason: null,
    notifyUrl: null,
    fundsAccount: null,
    refundFen,
    totalFen: tx.request.amount.total,
    fingerprint: '',
    status: outcome.status,
    createdAt: acceptedAt,
    createTime: '',
    successTime: null,
    successAt: outcome.status === 'SUCCESS' ? outcome.at! : null,
  };
  store.refunds.set(outRefundNo, r);
  return r;
}

/** Parses a bill built in memory; answers its rows as objects keyed by the header. */
function rowsOf(text: string) {
  const bill = parseBill(`\uFEFF${text}`);
  return { ...bill, objects: bill.rows.map((r) => Object.fromEntries(bill.header.map((h, i) => [h, r[i]]))) };
}

describe('trade bill refund rows (交易账单详细说明: refunds are billed the day they are accepted, status as of the bill)', () => {
  const D1 = '2026-11-20';
  const D2 = '2026-11-21';
  const later = beijing('2026-11-25 12:00:00');

  it('the bill is made at 09:00 Beijing the next day, or on demand before that', () => {
    expect(billMadeAt(D1, later)).toBe(beijing('2026-11-21 09:00:00'));
    expect(billMadeAt(D1, beijing('2026-11-20 18:00:00'))).toBe(beijing('2026-11-20 18:00:00'));
    expect(billMadeAt('2026-12-31', later + 90 * 86_400_000)).toBe(beijing('2027-01-01 09:00:00'));
  });

  it("a refund accepted just before midnight and settled the next day is in the first day's bill, SUCCESS, and not in the next", () => {
    const store = new Store();
    const tx = paidTx(store, 'ORDERNEXTDAY', beijing('2026-11-20 20:00:00'));
    refund(store, tx, 'RNEXTDAY', beijing('2026-11-20 23:59:50'), {
      status: 'SUCCESS',
      at: beijing('2026-11-21 00:00:10'),
    });

    for (const type of ['ALL', 'REFUND'] as const) {
      const bill = rowsOf(buildTradeBill(store, D1, type, later).text);
      const row = bill.objects.find((o) => o['交易状态'] === 'REFUND')!;
      expect(row['商户退款单号']).toBe('RNEXTDAY');
      expect(row['微信退款单号']).toBe('5030RNEXTDAY');
      expect(row['交易时间']).toBe('2026-11-20 23:59:50');
      expect(row['退款状态']).toBe('SUCCESS');
      expect(row['退款金额']).toBe('3.00');
      if (type === 'REFUND') {
        expect(row['退款申请时间']).toBe('2026-11-20 23:59:50');
        expect(row['退款成功时间']).toBe('2026-11-21 00:00:10');
        expect(bill.summary[0]).toBe('1');
        expect(bill.summary[2]).toBe('3.00');
      }
    }
    // the day it settled has no row for it: nothing was paid or accepted that day
    expect(buildTradeBill(store, D2, 'ALL', later).rows).toBe(0);
    expect(buildTradeBill(store, D2, 'REFUND', later).rows).toBe(0);
  });

  it('a refund still PROCESSING when the bill is made stays PROCESSING in that bill, even after it settles', () => {
    const store = new Store();
    const tx = paidTx(store, 'ORDERSLOW', beijing('2026-11-20 10:00:00'));
    const slow = refund(store, tx, 'RSLOW', beijing('2026-11-20 12:00:00'), {
      status: 'SUCCESS',
      at: beijing('2026-11-21 10:30:00'),
    });
    const open = refund(store, tx, 'ROPEN', beijing('2026-11-20 13:00:00'), { status: 'PROCESSING' }, 200);

    const bill = rowsOf(buildTradeBill(store, D1, 'REFUND', later).text);
    expect(bill.objects.map((o) => [o['商户退款单号'], o['交易时间'], o['退款状态'], o['退款成功时间']])).toEqual([
      ['RSLOW', '2026-11-20 12:00:00', 'PROCESSING', ''],
      ['ROPEN', '2026-11-20 13:00:00', 'PROCESSING', ''],
    ]);
    // 出账: every refund accepted that day counts in the totals, settled or not
    expect(bill.summary[0]).toBe('2');
    expect(bill.summary[2]).toBe('5.00');
    expect(bill.summary[6]).toBe('5.00');

    // asked for the same day, before the bill would be made, the status is the one of that moment
    const sameDay = rowsOf(buildTradeBill(store, D1, 'ALL', beijing('2026-11-20 13:30:00')).text);
    expect(sameDay.objects.filter((o) => o['交易状态'] === 'REFUND').map((o) => o['退款状态'])).toEqual([
      'PROCESSING',
      'PROCESSING',
    ]);
    // the next day's bill does not list them again
    expect(buildTradeBill(store, D2, 'ALL', later).rows).toBe(0);
    expect(slow.status).toBe('SUCCESS');
    expect(open.status).toBe('PROCESSING');
  });

  it('a refund that closed before the bill was made is listed with that status', () => {
    const store = new Store();
    const tx = paidTx(store, 'ORDERCLOSED', beijing('2026-11-20 10:00:00'));
    refund(store, tx, 'RCLOSED', beijing('2026-11-20 11:00:00'), { status: 'CLOSED' });
    const bill = rowsOf(buildTradeBill(store, D1, 'ALL', later).text);
    expect(bill.objects.map((o) => [o['交易状态'], o['商户退款单号'], o['退款状态']])).toEqual([
      ['SUCCESS', '0', ''],
      ['REFUND', 'RCLOSED', 'CLOSED'],
    ]);
  });
});

describe('GET /v3/bill/tradebill with a refund WeChat has not settled yet', () => {
  let slow: Sandbox;
  let slowCall: ReturnType<typeof merchantClient>;
  beforeAll(async () => {
    // refunds stay PROCESSING for an hour
    slow = await createSandbox({ stateDir: await sandboxStateDir(), refundDelayMs: 3_600_000 });
    slowCall = merchantClient(slow);
  });
  afterAll(() => slow.close());

  it('lists the accepted refund today, PROCESSING, with no 退款成功时间', async () => {
    const body = jsapiBody(slow, { amount: { total: 500, currency: 'CNY' } });
    const { body: pre } = await slowCall<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
    slow.pay({
      ...signRequestPayment(
        { appId: slow.credentials.appid, prepayId: pre.prepay_id },
        slow.credentials.merchantPrivateKeyPem,
      ),
      openid: body.payer.openid,
    });
    const outRefundNo = `R${body.out_trade_no}`;
    const accepted = await slowCall<{ status: string }>('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: body.out_trade_no,
      out_refund_no: outRefundNo,
      amount: { refund: 120, total: 500, currency: 'CNY' },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.body.status).toBe('PROCESSING');

    const res = await slowCall<{ download_url: string; hash_value: string }>(
      'GET',
      `/v3/bill/tradebill?bill_date=${beijingToday()}&bill_type=REFUND`,
    );
    expect(res.status).toBe(200);
    const file = await (async () => {
      const u = new URL(res.body.download_url);
      const headers = {
        Authorization: buildAuthorization({
          mchid: slow.credentials.mchid,
          serialNo: slow.credentials.merchantSerialNo,
          privateKey: slow.credentials.merchantPrivateKeyPem,
          method: 'GET',
          pathAndQuery: `${u.pathname}${u.search}`,
        }),
      };
      return Buffer.from(await (await fetch(res.body.download_url, { headers })).arrayBuffer());
    })();
    expect(createHash('sha1').update(file).digest('hex')).toBe(res.body.hash_value);
    const bill = parseBill(file.toString('utf8'));
    const col = (name: string) => bill.header.indexOf(name);
    expect(bill.rows).toHaveLength(1);
    const row = bill.rows[0]!;
    expect(row[col('商户退款单号')]).toBe(outRefundNo);
    expect(row[col('退款状态')]).toBe('PROCESSING');
    expect(row[col('退款成功时间')]).toBe('');
    expect(row[col('退款申请时间')]).toBe(row[col('交易时间')]);
    expect(row[col('退款金额')]).toBe('1.20');
  });
});
