/**
 * A cancel racing the first pay of an order: whichever wins, no prepay may stay open at WeChat
 * for an order closed here (the shopper could pay it and it would end paidAfterClose).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { orderRow, placeOrder } from '../support/shop.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

function sandboxTradeState(orderNo: string): string | undefined {
  const t = h.sandbox.state.transactions().find((i) => i.out_trade_no === orderNo);
  return t ? String(t.trade_state) : undefined;
}

describe('cancel racing the first pay', () => {
  it('given the prepay is on its way to WeChat, when the shopper cancels, then nothing stays payable at WeChat', async () => {
    const shopper = await h.shopper();
    const order = await placeOrder(h, shopper);
    const wechatpay = h.bff.ctx.wechatpay;
    const original = wechatpay.jsapiPrepay;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let reached!: () => void;
    const atWechat = new Promise<void>((r) => (reached = r));
    wechatpay.jsapiPrepay = async (req) => {
      reached();
      await gate;
      return original.call(wechatpay, req);
    };
    try {
      const pay = shopper.post(`/api/orders/${order.orderNo}/pay`);
      await atWechat;
      const cancel = await shopper.post(`/api/orders/${order.orderNo}/cancel`);
      release();
      const paid = await pay;
      const row = await orderRow(h, order.orderNo);
      const state = sandboxTradeState(order.orderNo);
      if (row.status === 'CLOSED') {
        // closed here: WeChat must not hold an open (payable) transaction for it
        expect(state === undefined || state === 'CLOSED').toBe(true);
        expect(paid.status).toBe(409);
      } else {
        // the cancel lost: the order stays payable and the shopper was told so
        expect(row.status).toBe('PENDING_PAYMENT');
        expect(cancel.status).not.toBe(200);
      }
    } finally {
      wechatpay.jsapiPrepay = original;
    }
  });
});
