import { randomBytes } from 'node:crypto';
import { beijingStamp } from '@uni-checkout/shared';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/**
 * out_refund_no: WeChat allows 6–64 of [0-9A-Za-z_-|*@], unique per merchant.
 * 'RF' + Beijing time to the second + 12 random characters: time-sortable, 28 characters.
 */
export function newOutRefundNo(now: Date): string {
  const stamp = beijingStamp(now);
  const bytes = randomBytes(12);
  let tail = '';
  for (const b of bytes) tail += ALPHABET[b % ALPHABET.length];
  return `RF${stamp}${tail}`;
}

export const OUT_REFUND_NO_PATTERN = /^[0-9A-Za-z_\-|*@]{6,64}$/;
