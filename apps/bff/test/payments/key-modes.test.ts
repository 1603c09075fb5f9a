/**
 * The payment loop in each merchant key mode, the sandbox signing as WeChat does for that mode:
 * public key only, platform certificates only, and switching from one to the other. Plus what
 * goes wrong in real life: a certificate rotated mid-traffic, a mode mismatch, WeChat's signature
 * probe, and a forged error answer.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHarness, useHarness, type Harness } from '../support/harness.js';
import { paidOrder, placeOrder, refundNotified } from '../refunds/paid-order.js';
import type { WechatpayKeyMode } from '../../src/payments/wechatpay-keys.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

const bootLine = (h: Harness) => h.logs.find((l) => String(l.msg).startsWith('WeChat Pay key mode:'));

describe.each(['public-key', 'platform-cert', 'switching'] as const)('in %s mode', (mode: WechatpayKeyMode) => {
  const h = useHarness({ keyMode: mode });

  it('says the mode at boot', () => {
    const line = bootLine(h)!;
    expect(line).toMatchObject({ mode });
    const certs = h.sandbox.keys.certificates().map((c) => c.serialNo);
    if (mode === 'public-key') expect(line.certificateSerials).toEqual([]);
    else expect(line.certificateSerials).toEqual(certs);
    if (mode === 'platform-cert') expect(line.publicKeyIds).toEqual([]);
    else expect(line.publicKeyIds).toEqual([h.sandbox.credentials.wechatpayPublicKeyId]);
  });

  it('pays (notification), settles a lost notification by query, refunds, and closes', async () => {
    // paid through the notification
    const order = await paidOrder(h);
    const notified = h.sandbox.state
      .notifications()
      .find((n) => n.outTradeNo === order.orderNo && n.eventType === 'TRANSACTION.SUCCESS')!;
    expect(notified.attempts.map((a) => a.status)).toEqual([204]);

    // a lost notification: reading the order asks WeChat (an answer signed for this mode)
    h.sandbox.faults.set({ dropNotifications: 1 });
    const shopper = await h.shopper();
    const lost = await placeOrder(h, shopper);
    const pay = await shopper.post(`/api/orders/${lost.orderNo}/pay`);
    expect(pay.status).toBe(200);
    expect(h.sandbox.pay({ ...pay.body, openid: shopper.openid }).result).toBe('SUCCESS');
    await vi.waitFor(async () => expect((await shopper.get(`/api/orders/${lost.orderNo}`)).body.status).toBe('PAID'), {
      timeout: 20_000,
      interval: 200,
    });

    // a refund, its answer and its notification verified
    const admin = await h.admin();
    const refund = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: '按模式退款',
    });
    expect(refund.status).toBe(201);
    await refundNotified(h, refund.body.outRefundNo);
    await vi.waitFor(
      async () =>
        expect((await h.bff.ctx.prisma.order.findUniqueOrThrow({ where: { orderNo: order.orderNo } })).status).toBe(
          'REFUNDED',
        ),
      { timeout: 10_000 },
    );

    // a close: 204, signed
    const open = await placeOrder(h, shopper);
    const prepaid = await shopper.post(`/api/orders/${open.orderNo}/pay`);
    expect(prepaid.status).toBe(200);
    const cancel = await shopper.post(`/api/orders/${open.orderNo}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CLOSED');

    // and nothing was refused on the way
    expect(h.logs.filter((l) => String(l.msg).includes('answer refused'))).toEqual([]);
  });

  if (mode === 'switching') {
    it('asks for public-key answers and accepts callbacks signed with either key', async () => {
      h.sandbox.keys.pinSwitchShare(0.5);
      const orders: Awaited<ReturnType<typeof paidOrder>>[] = [];
      for (let i = 0; i < 4; i++) orders.push(await paidOrder(h));
      const serials = h.sandbox.state
        .notifications()
        .filter((n) => orders.some((o) => o.orderNo === n.outTradeNo))
        .map((n) => n.attempts[0]!.serial);
      expect(new Set(serials)).toEqual(
        new Set([h.sandbox.credentials.wechatpayPublicKeyId, h.sandbox.keys.certificates()[0]!.serialNo]),
      );
    });
  }
});

describe('a platform certificate rotated while orders are being paid', () => {
  const h = useHarness({ keyMode: 'platform-cert' });

  it('takes the new certificate on its first serial: every order is paid, no notification is refused', async () => {
    const before = h.sandbox.keys.certificates()[0]!.serialNo;
    const payments = Array.from({ length: 8 }, async (_, i) => {
      // the rotation happens in the middle of the traffic
      if (i === 4) h.sandbox.keys.rotate();
      return paidOrder(h);
    });
    const orders = await Promise.all(payments);
    const after = h.sandbox.keys.certificates()[0]!.serialNo;
    expect(after).not.toBe(before);
    const notes = h.sandbox.state
      .notifications()
      .filter((n) => orders.some((o) => o.orderNo === n.outTradeNo) && n.eventType === 'TRANSACTION.SUCCESS');
    expect(notes).toHaveLength(8);
    expect(notes.every((n) => n.attempts.length === 1 && n.attempts[0]!.status === 204)).toBe(true);
    expect(notes.some((n) => n.attempts[0]!.serial === after)).toBe(true);
    // queries after the rotation verify too
    for (const o of orders) {
      const read = await o.shopper.get(`/api/orders/${o.orderNo}`);
      expect(read.body.status).toBe('PAID');
    }
    const stored = await h.bff.ctx.prisma.wechatpayCertificate.findMany();
    expect(stored.map((c) => c.serialNo).sort()).toEqual([before, after].sort());
    expect(h.logs.filter((l) => String(l.msg).includes('refused'))).toEqual([]);
  });
});

describe('mismatch: the BFF holds the public key, WeChat signs with a platform certificate', () => {
  let h: Harness;
  beforeAll(async () => {
    // the merchant configured a public key although its account still signs with certificates
    h = await startHarness({ keyMode: 'public-key', sandboxKeyMode: 'platform-cert' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('fails the payment with one clear log line naming the serial and the fix', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const pay = await shopper.post(`/api/orders/${order.orderNo}/pay`);
    expect(pay.status).toBe(502);
    const lines = h.logs.filter((l) => String(l.msg).includes('answer refused'));
    expect(lines).toHaveLength(1);
    const serial = h.sandbox.keys.certificates()[0]!.serialNo;
    expect(lines[0]).toMatchObject({ level: 50, serial, reason: 'UNKNOWN_SERIAL' });
    expect(String(lines[0]!.msg)).toContain(`platform certificate ${serial}`);
    expect(String(lines[0]!.msg)).toContain('public-key mode');
    expect(String(lines[0]!.msg)).toContain('WECHATPAY_KEY_MODE=switching');
  });
});

describe('WeChat signature probe and forged error answers', () => {
  const h = useHarness({ keyMode: 'platform-cert' });

  it('refuses the probe; the sandbox page shows it passed', async () => {
    const notifyUrl = `${h.bff.url}/api/pay/notify/transaction`;
    const res = await fetch(`${h.sandbox.url}/sandbox/signature-probes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ notifyUrl }),
    });
    expect(await res.json()).toMatchObject({ status: 401, refused: true });
    const page = await (await fetch(`${h.sandbox.url}/sandbox/`)).text();
    expect(page).toMatch(/data-testid="signature-probe-result">passed</);
    const refused = h.logs.find((l) => l.reason === 'SIGNATURE_PROBE');
    expect(refused).toMatchObject({ serial: h.sandbox.keys.certificates()[0]!.serialNo });
  });

  it('a forged NOT_ENOUGH (an error answer whose signature does not verify) leaves the refund PENDING', async () => {
    const order = await paidOrder(h);
    const admin = await h.admin();
    h.sandbox.faults.set({ refundBalanceInsufficient: true, corruptResponseSignatures: 1 });
    const refund = await admin.post(`/api/admin/orders/${order.orderNo}/refunds`, {
      amountFen: order.totalFen,
      reason: '伪造的应答',
    });
    h.sandbox.faults.reset();
    // not refused: WeChat's answer is unknown, the refund waits to be asked again
    expect(refund.status).not.toBe(422);
    const rows = await h.bff.ctx.prisma.refund.findMany({ where: { order: { orderNo: order.orderNo } } });
    expect(rows.map((r) => r.status)).toEqual(['PENDING']);
    const line = h.logs.find((l) => String(l.msg).includes('refund: answer refused'));
    expect(line).toMatchObject({ reason: 'BAD_SIGNATURE', status: 403 });
  });
});
