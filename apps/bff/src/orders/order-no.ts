import { randomInt } from 'node:crypto';
import { ORDER_NO_PATTERN, beijingStamp } from '@uni-checkout/shared';

/**
 * out_trade_no (商户订单号): 6–32 of [0-9A-Za-z_-|*], unique per merchant. "UC" + the Beijing
 * time to the second + 10 random digits (26 characters) sorts by creation time and makes a
 * collision within one second a 1-in-10^10 event; the unique index catches even that.
 */
export function newOrderNo(now: Date): string {
  const stamp = beijingStamp(now); // Beijing time, as receipts show it
  let random = '';
  for (let i = 0; i < 10; i++) random += String(randomInt(10));
  const orderNo = `UC${stamp}${random}`;
  if (!ORDER_NO_PATTERN.test(orderNo)) throw new Error(`generated an invalid orderNo ${orderNo}`);
  return orderNo;
}
