import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, signRequestPayment, type Sandbox } from '../src/index.js';
import { jsapiBody, merchantClient, notifyReceiver, orderNo, sandboxStateDir } from './helpers.js';

let sandbox: Sandbox;
let receiver: Awaited<ReturnType<typeof notifyReceiver>>;

beforeAll(async () => {
  receiver = await notifyReceiver(() => 204);
  // 10 days of auto-confirmation scaled by 0.001 = 864 s: never within a test; settling takes 60 ms.
  // Tokens live 7200 s × 1000 × 0.001 here, so that none expires between two calls of a test;
  // the token lifetime itself is tested on sandboxes of its own.
  sandbox = await createSandbox({
    stateDir: await sandboxStateDir(),
    timeScale: 0.001,
    accessTokenTtlSeconds: 7_200_000,
  });
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- WeChat answers read field by field in assertions
type Wx = Record<string, any> & { errcode?: number; errmsg?: string };

async function post(s: Sandbox, path: string, body: unknown, query = ''): Promise<{ status: number; body: Wx }> {
  const res = await fetch(`${s.url}${path}${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Wx };
}

async function token(s: Sandbox, extra: Record<string, unknown> = {}): Promise<string> {
  const { body } = await post(s, '/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: s.credentials.appid,
    secret: s.credentials.appsecret,
    ...extra,
  });
  expect(body.errcode).toBeUndefined();
  return body.access_token as string;
}

async function paidOrder(s: Sandbox, total = 2580) {
  const body = jsapiBody(s, { amount: { total, currency: 'CNY' }, notify_url: receiver.url });
  const call = merchantClient(s);
  const { body: pre } = await call<{ prepay_id: string }>('POST', '/v3/pay/transactions/jsapi', body);
  const { transaction } = s.pay({
    ...signRequestPayment({ appId: s.credentials.appid, prepayId: pre.prepay_id }, s.credentials.merchantPrivateKeyPem),
    openid: body.payer.openid,
  });
  return {
    outTradeNo: body.out_trade_no,
    transactionId: String(transaction.transaction_id),
    openid: body.payer.openid,
  };
}

const beijingNow = (offsetMs = 0) => {
  const d = new Date(Date.now() + offsetMs + 8 * 3600_000);
  return `${d.toISOString().slice(0, 19)}+08:00`;
};

function upload(
  s: Sandbox,
  order: { outTradeNo: string; openid: string },
  overrides: Record<string, unknown> = {},
  item: Record<string, unknown> = {},
) {
  return {
    order_key: { order_number_type: 1, mchid: s.credentials.mchid, out_trade_no: order.outTradeNo },
    logistics_type: 1,
    delivery_mode: 1,
    shipping_list: [
      {
        tracking_no: 'SF1234567890123',
        express_company: 'SF',
        item_desc: '明前龙井 100g x1',
        contact: { receiver_contact: '138****1234' },
        ...item,
      },
    ],
    upload_time: beijingNow(),
    payer: { openid: order.openid },
    ...overrides,
  };
}

const UPLOAD = '/wxa/sec/order/upload_shipping_info';
const GET_ORDER = '/wxa/sec/order/get_order';

describe('POST /cgi-bin/stable_token', () => {
  it('refuses bad credentials and bad requests with WeChat errcodes, HTTP 200', async () => {
    const c = sandbox.credentials;
    const base = { grant_type: 'client_credential', appid: c.appid, secret: c.appsecret };
    const cases: Array<[unknown, number]> = [
      [{ ...base, appid: undefined }, 41002],
      [{ ...base, secret: '' }, 41004],
      [{ ...base, grant_type: 'authorization_code' }, 40002],
      [{ ...base, appid: 'wx0000000000000000' }, 40013],
      [{ ...base, secret: 'f'.repeat(32) }, 40125],
      [{ ...base, force_refresh: 'yes' }, 47001],
      ['{not json', 47001],
    ];
    for (const [body, errcode] of cases) {
      const res = await post(sandbox, '/cgi-bin/stable_token', body);
      expect(res.status).toBe(200);
      expect(res.body.errcode, JSON.stringify(body)).toBe(errcode);
      expect(res.body.errmsg).toMatch(/rid: /);
      expect(res.body.access_token).toBeUndefined();
    }
    const get = await fetch(`${sandbox.url}/cgi-bin/stable_token`);
    expect(((await get.json()) as Wx).errcode).toBe(43002);
  });

  it('normal mode answers the same token while valid, with expires_in scaled from 7200 s', async () => {
    const s = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001 });
    try {
      const res = await post(s, '/cgi-bin/stable_token', {
        grant_type: 'client_credential',
        appid: s.credentials.appid,
        secret: s.credentials.appsecret,
      });
      expect(res.body.access_token).toMatch(/^\d+_[A-Za-z0-9_-]{100,}$/);
      // 7200 s × 0.001 = 7.2 s
      expect(res.body.expires_in).toBeGreaterThanOrEqual(6);
      expect(res.body.expires_in).toBeLessThanOrEqual(7);
      expect(await token(s)).toBe(res.body.access_token);
    } finally {
      await s.close();
    }
  });

  it('force_refresh invalidates the previous token at once (40001); another within 30 s does not refresh', async () => {
    // unscaled, so that "within 30 s" holds on any machine
    const s = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 1 });
    try {
      const old = await token(s);
      const forced = await token(s, { force_refresh: true });
      expect(forced).not.toBe(old);
      const list = (t: string) =>
        post(s, '/cgi-bin/express/delivery/open_msg/get_delivery_list', {}, `?access_token=${t}`);
      expect((await list(old)).body.errcode).toBe(40001);
      expect((await list(forced)).body.errcode).toBe(0);
      expect(await token(s, { force_refresh: true })).toBe(forced);
      expect(await token(s)).toBe(forced);
      expect(s.state.stableTokenCalls().map((c) => [c.forceRefresh, c.outcome])).toEqual([
        [false, 'issued'],
        [true, 'issued'],
        [true, 'reused'],
        [false, 'reused'],
      ]);
    } finally {
      await s.close();
    }
  });

  it('renews in the last 5 minutes while the old token keeps working until it expires', async () => {
    // unscaled, with a lifetime of 5 min + 2 s: the renewal window opens 2 s after issue
    const s = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 1, accessTokenTtlSeconds: 302 });
    try {
      const list = (t: string) =>
        post(s, '/cgi-bin/express/delivery/open_msg/get_delivery_list', {}, `?access_token=${encodeURIComponent(t)}`);
      const first = await token(s);
      expect(await token(s)).toBe(first);
      const issuedAt = s.state.stableTokenCalls()[0]!.at;
      await sleep(Math.max(0, issuedAt + 2100 - Date.now()));
      const res = await post(s, '/cgi-bin/stable_token', {
        grant_type: 'client_credential',
        appid: s.credentials.appid,
        secret: s.credentials.appsecret,
      });
      expect(res.body.access_token).not.toBe(first);
      expect(res.body.expires_in).toBe(302);
      expect((await list(first)).body.errcode).toBe(0);
      expect((await list(res.body.access_token as string)).body.errcode).toBe(0);
      expect(s.state.stableTokenCalls().map((c) => c.outcome)).toEqual(['issued', 'reused', 'issued']);
    } finally {
      await s.close();
    }
  });

  it('answers 42001 for an expired token (7200 s × time scale)', async () => {
    const s = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.0005 });
    try {
      const t = await token(s);
      const expiresAt = s.state.stableTokenCalls()[0]!.at + 3600;
      const list = () => post(s, '/cgi-bin/express/delivery/open_msg/get_delivery_list', {}, `?access_token=${t}`);
      expect((await list()).body.errcode).toBe(0);
      await sleep(Math.max(0, expiresAt + 50 - Date.now()));
      expect((await list()).body.errcode).toBe(42001);
      expect(await token(s)).not.toBe(t);
    } finally {
      await s.close();
    }
  });
});

describe('access_token on the shipping APIs', () => {
  it('answers 41001 without one, 40001 for an unknown one', async () => {
    expect((await post(sandbox, GET_ORDER, { transaction_id: '4200' })).body.errcode).toBe(41001);
    expect((await post(sandbox, GET_ORDER, { transaction_id: '4200' }, '?access_token=86_bogus')).body.errcode).toBe(
      40001,
    );
  });

  it('answers 40001 after the tokens are revoked', async () => {
    const s = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001 });
    try {
      const t = await token(s);
      s.revokeAccessTokens();
      expect((await post(s, GET_ORDER, { transaction_id: '4200' }, `?access_token=${t}`)).body.errcode).toBe(40001);
      expect(await token(s)).not.toBe(t);
    } finally {
      await s.close();
    }
  });
});

describe('POST /cgi-bin/express/delivery/open_msg/get_delivery_list', () => {
  it('lists the express companies with WeChat delivery_id codes', async () => {
    const t = await token(sandbox);
    const { body } = await post(
      sandbox,
      '/cgi-bin/express/delivery/open_msg/get_delivery_list',
      {},
      `?access_token=${t}`,
    );
    expect(body.errcode).toBe(0);
    const byId = Object.fromEntries(
      (body.delivery_list as Array<{ delivery_id: string; delivery_name: string }>).map((d) => [
        d.delivery_id,
        d.delivery_name,
      ]),
    );
    expect(byId).toMatchObject({
      SF: '顺丰速运',
      YTO: '圆通速递',
      ZTO: '中通快递',
      YD: '韵达速递',
      STO: '申通快递',
      JTSD: '极兔速递',
      JD: '京东物流',
    });
    expect(byId.EMS).toMatch(/EMS|邮政/);
    expect(body.count).toBe(body.delivery_list.length);
  });
});

describe('POST /wxa/sec/order/upload_shipping_info', () => {
  it('refuses every bad field with its errcode and changes nothing', async () => {
    const t = await token(sandbox);
    const order = await paidOrder(sandbox);
    const q = `?access_token=${t}`;
    const cases: Array<[string, Record<string, unknown>, number]> = [
      ['order_number_type 3', upload(sandbox, order, { order_key: { order_number_type: 3 } }), 268485194],
      [
        'no out_trade_no',
        upload(sandbox, order, { order_key: { order_number_type: 1, mchid: sandbox.credentials.mchid } }),
        268485197,
      ],
      [
        'no mchid',
        upload(sandbox, order, { order_key: { order_number_type: 1, out_trade_no: order.outTradeNo } }),
        268485196,
      ],
      ['no transaction_id', upload(sandbox, order, { order_key: { order_number_type: 2 } }), 268485195],
      ['logistics_type 5', upload(sandbox, order, { logistics_type: 5 }), 10060005],
      ['delivery_mode 3', upload(sandbox, order, { delivery_mode: 3 }), 268485224],
      [
        'shipping_list as an object',
        { ...upload(sandbox, order), shipping_list: upload(sandbox, order).shipping_list[0] },
        47001,
      ],
      [
        'two packages in unified mode',
        {
          ...upload(sandbox, order),
          shipping_list: [...upload(sandbox, order).shipping_list, ...upload(sandbox, order).shipping_list],
        },
        268485228,
      ],
      ['no item_desc', upload(sandbox, order, {}, { item_desc: ' ' }), 10060008],
      ['item_desc of 121 characters', upload(sandbox, order, {}, { item_desc: '茶'.repeat(121) }), 10060009],
      ['unknown company', upload(sandbox, order, {}, { express_company: 'NOPE' }), 10060014],
      ['express without tracking_no', upload(sandbox, order, {}, { tracking_no: '' }), 10060014],
      ['SF without contact', upload(sandbox, order, {}, { contact: undefined }), 10060014],
      [
        'SF with an unmasked phone',
        upload(sandbox, order, {}, { contact: { receiver_contact: '13812341234' } }),
        10060014,
      ],
      ['upload_time not RFC 3339', upload(sandbox, order, { upload_time: '2026-11-28 12:00:00' }), 268485216],
      ['another payer', upload(sandbox, order, { payer: { openid: 'oSomebodyElse000000000000000' } }), 10060014],
      ['no payer', upload(sandbox, order, { payer: undefined }), 47001],
    ];
    for (const [name, body, errcode] of cases) {
      const res = await post(sandbox, UPLOAD, body, q);
      expect(res.status).toBe(200);
      expect(res.body.errcode, name).toBe(errcode);
    }
    const { body } = await post(sandbox, GET_ORDER, { transaction_id: order.transactionId }, q);
    expect(body.order.order_state).toBe(1);
    expect(body.order.shipping).toBeUndefined();
  });

  it('knows only paid transactions of this merchant (10060001)', async () => {
    const t = await token(sandbox);
    const q = `?access_token=${t}`;
    const paid = await paidOrder(sandbox);
    const unpaid = jsapiBody(sandbox, { notify_url: receiver.url });
    await merchantClient(sandbox)('POST', '/v3/pay/transactions/jsapi', unpaid);
    const unpaidOrder = { outTradeNo: unpaid.out_trade_no, openid: unpaid.payer.openid };
    expect((await post(sandbox, UPLOAD, upload(sandbox, unpaidOrder), q)).body.errcode).toBe(10060001);
    const otherMch = upload(sandbox, paid, {
      order_key: { order_number_type: 1, mchid: '1900000109', out_trade_no: paid.outTradeNo },
    });
    expect((await post(sandbox, UPLOAD, otherMch, q)).body.errcode).toBe(10060001);
    const unknown = upload(sandbox, { ...paid, outTradeNo: orderNo('X') });
    expect((await post(sandbox, UPLOAD, unknown, q)).body.errcode).toBe(10060001);
    expect(
      (
        await post(
          sandbox,
          GET_ORDER,
          { merchant_id: sandbox.credentials.mchid, merchant_trade_no: unpaid.out_trade_no },
          q,
        )
      ).body.errcode,
    ).toBe(10060001);
  });

  it('ships, allows one later modification, then refuses (10060003); get_order shows every field', async () => {
    const t = await token(sandbox);
    const q = `?access_token=${t}`;
    const order = await paidOrder(sandbox, 4680);
    const first = upload(sandbox, order, { upload_time: beijingNow(-60_000) });
    expect((await post(sandbox, UPLOAD, first, q)).body).toMatchObject({ errcode: 0, errmsg: 'ok' });

    const { body } = await post(
      sandbox,
      GET_ORDER,
      { merchant_id: sandbox.credentials.mchid, merchant_trade_no: order.outTradeNo },
      q,
    );
    expect(body.errcode).toBe(0);
    expect(body.order).toMatchObject({
      transaction_id: order.transactionId,
      merchant_id: sandbox.credentials.mchid,
      merchant_trade_no: order.outTradeNo,
      paid_amount: 4680,
      openid: order.openid,
      order_state: 2,
      in_complaint: false,
      shipping: {
        delivery_mode: 1,
        logistics_type: 1,
        finish_shipping: true,
        finish_shipping_count: 0,
        shipping_list: [
          {
            tracking_no: 'SF1234567890123',
            express_company: 'SF',
            goods_desc: '明前龙井 100g x1',
            contact: { receiver_contact: '138****1234' },
          },
        ],
      },
    });
    expect(typeof body.order.pay_time).toBe('number');
    const view = sandbox.state.shipping().find((v) => v.out_trade_no === order.outTradeNo)!;
    expect(view).toMatchObject({ order_state: 2, funds: 'frozen', uploads: 1, modifications_left: 1 });

    // an update must carry a later upload_time
    const stale = upload(sandbox, order, { upload_time: beijingNow(-120_000) }, { tracking_no: 'SF999' });
    expect((await post(sandbox, UPLOAD, stale, q)).body.errcode).toBe(10060023);

    const changed = upload(
      sandbox,
      order,
      { order_key: { order_number_type: 2, transaction_id: order.transactionId } },
      { express_company: 'YTO', tracking_no: 'YT7407032196699', contact: undefined },
    );
    expect((await post(sandbox, UPLOAD, changed, q)).body.errcode).toBe(0);
    const after = await post(sandbox, GET_ORDER, { transaction_id: order.transactionId }, q);
    expect(after.body.order.shipping.shipping_list[0]).toMatchObject({
      express_company: 'YTO',
      tracking_no: 'YT7407032196699',
    });
    expect(after.body.order.shipping.finish_shipping_count).toBe(1);

    const third = upload(sandbox, order, { upload_time: beijingNow(60_000) }, { tracking_no: 'SF2' });
    expect((await post(sandbox, UPLOAD, third, q)).body.errcode).toBe(10060003);
  });

  it('ships without a company for same-city, virtual and self-pickup orders', async () => {
    const t = await token(sandbox);
    for (const logisticsType of [2, 3, 4]) {
      const order = await paidOrder(sandbox);
      const body = upload(
        sandbox,
        order,
        { logistics_type: logisticsType },
        { tracking_no: undefined, express_company: undefined, contact: undefined },
      );
      expect((await post(sandbox, UPLOAD, body, `?access_token=${t}`)).body.errcode).toBe(0);
      const got = await post(sandbox, GET_ORDER, { transaction_id: order.transactionId }, `?access_token=${t}`);
      expect(got.body.order.shipping).toMatchObject({
        logistics_type: logisticsType,
        shipping_list: [{ tracking_no: '', express_company: '' }],
      });
    }
  });
});

describe('确认收货 and the funds', () => {
  it('POST /sandbox/confirm-receipt needs a shipment, then releases the funds and completes the trade', async () => {
    const t = await token(sandbox);
    const q = `?access_token=${t}`;
    const order = await paidOrder(sandbox);
    const early = await post(sandbox, '/sandbox/confirm-receipt', { out_trade_no: order.outTradeNo });
    expect(early.status).toBe(400);
    expect(early.body.code).toBe('NOT_SHIPPED');
    expect((await post(sandbox, '/sandbox/confirm-receipt', { out_trade_no: 'NOPE123456' })).status).toBe(404);
    expect((await post(sandbox, '/sandbox/confirm-receipt', {})).status).toBe(400);

    await post(sandbox, UPLOAD, upload(sandbox, order), q);
    const stranger = await post(sandbox, '/sandbox/confirm-receipt', {
      out_trade_no: order.outTradeNo,
      openid: 'oNotThePayer00000000000001',
    });
    expect(stranger.status).toBe(403);
    expect(stranger.body.code).toBe('OPENID_MISMATCH');
    const confirmed = await post(sandbox, '/sandbox/confirm-receipt', {
      out_trade_no: order.outTradeNo,
      openid: order.openid,
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({
      order_state: 3,
      shipping_state: { funds: 'released', confirmed_by: 'shopper' },
    });
    // settles 60 s × 0.001 later: 交易完成
    await sleep(150);
    expect((await post(sandbox, GET_ORDER, { transaction_id: order.transactionId }, q)).body.order.order_state).toBe(4);
    // a confirmed order can no longer be re-shipped
    const late = upload(sandbox, order, { upload_time: beijingNow(60_000) }, { tracking_no: 'SF3' });
    expect((await post(sandbox, UPLOAD, late, q)).body.errcode).toBe(10060004);

    const page = await (await fetch(`${sandbox.url}/sandbox/`)).text();
    expect(page).toContain('已解冻');
    const api = (await (await fetch(`${sandbox.url}/sandbox/api/transactions`)).json()) as { items: Wx[] };
    expect(api.items.find((x) => x.out_trade_no === order.outTradeNo)!.shipping).toMatchObject({
      order_state: 4,
      funds: 'released',
    });
  });

  it('confirms by itself after the auto-confirm days (scaled)', async () => {
    // 0.03 day × 86 400 000 ms × 0.001 = 2592 ms
    const s = await createSandbox({ stateDir: await sandboxStateDir(), timeScale: 0.001, autoConfirmDays: 0.03 });
    try {
      const t = await token(s);
      const order = await paidOrder(s);
      expect((await post(s, UPLOAD, upload(s, order), `?access_token=${t}`)).body.errcode).toBe(0);
      const page = await (await fetch(`${s.url}/sandbox/`)).text();
      expect(page).toContain('冻结中');
      expect(s.state.shipping()[0]).toMatchObject({ order_state: 2, funds: 'frozen' });
      const autoAt = Date.parse(s.state.shipping()[0]!.auto_confirm_at!);
      await sleep(Math.max(0, autoAt + 50 - Date.now()));
      expect(s.state.shipping()[0]).toMatchObject({ funds: 'released', confirmed_by: 'auto' });
      const got = await post(s, GET_ORDER, { transaction_id: order.transactionId }, `?access_token=${t}`);
      expect([3, 4]).toContain(got.body.order.order_state);
    } finally {
      await s.close();
    }
  });

  it('a fully refunded order is 已退款 (5) and can no longer ship', async () => {
    const t = await token(sandbox);
    const order = await paidOrder(sandbox, 990);
    const call = merchantClient(sandbox);
    await call('POST', '/v3/refund/domestic/refunds', {
      out_trade_no: order.outTradeNo,
      out_refund_no: orderNo('R'),
      amount: { refund: 990, total: 990, currency: 'CNY' },
    });
    // refunds settle after 3000 ms × 0.001: wait for it, bounded
    for (
      let i = 0;
      i < 100 && sandbox.state.refunds().find((r) => r.out_trade_no === order.outTradeNo)?.status !== 'SUCCESS';
      i++
    )
      await sleep(20);
    const got = await post(sandbox, GET_ORDER, { transaction_id: order.transactionId }, `?access_token=${t}`);
    expect(got.body.order.order_state).toBe(5);
    expect((await post(sandbox, UPLOAD, upload(sandbox, order), `?access_token=${t}`)).body.errcode).toBe(10060004);
    expect(sandbox.state.shipping().find((v) => v.out_trade_no === order.outTradeNo)!.funds).toBe('refunded');
  });
});
