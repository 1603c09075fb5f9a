import { randomBytes, randomInt } from 'node:crypto';
// Beijing time is the shop's one clock helper (packages/shared); the sandbox already depends on
// shared (its CLI's process helpers) and shared depends on nothing of ours, so the arrow points down.
import { beijingStamp, beijingWallClock, shanghaiDate, toRfc3339Beijing } from '@uni-checkout/shared';

/** RFC 3339 in Beijing time, as WeChat Pay writes every time: `2026-11-27T13:29:35+08:00`. */
export function rfc3339Beijing(ms: number = Date.now()): string {
  return toRfc3339Beijing(new Date(ms));
}

/** `yyyyMMdd` of the Beijing date (bills and ids are cut by Beijing days). */
export function beijingDate(ms: number = Date.now()): string {
  return shanghaiDate(new Date(ms)).replaceAll('-', '');
}

/** `yyyy-MM-dd HH:mm:ss` Beijing time, the bill file's time format. */
export function beijingDateTime(ms: number): string {
  return beijingWallClock(new Date(ms)).replace('T', ' ');
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses a strict RFC 3339 date-time; null when malformed or not a real date. */
export function parseRfc3339(value: string): number | null {
  const m = RFC3339.exec(value);
  if (!m) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) return null;
  const [, y, mo, d, h, mi, s] = m;
  if (
    Number(mo) < 1 ||
    Number(mo) > 12 ||
    Number(d) < 1 ||
    Number(d) > 31 ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  )
    return null;
  // Reject dates such as 02-30 that Date.parse silently rolls over.
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (probe.getUTCDate() !== Number(d)) return null;
  return ms;
}

export function randomDigits(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += String(randomInt(10));
  return out;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** prepay_id as WeChat shapes it: `wx` + Beijing yyyyMMddHHmmss + 20 more characters (36 in all). */
export function newPrepayId(now = Date.now()): string {
  return `wx${beijingStamp(new Date(now))}${randomHex(10)}`;
}

/** transaction_id: 28 digits starting with 4200 (WeChat Pay balance/bank card JSAPI orders). */
export function newTransactionId(now = Date.now()): string {
  return `4200${randomDigits(6)}${beijingDate(now)}${randomDigits(10)}`;
}

/** refund_id: 29 digits starting with 50. */
export function newRefundId(now = Date.now()): string {
  return `50${randomDigits(9)}${beijingDate(now)}${randomDigits(10)}`;
}

export function newRequestId(): string {
  return `08${randomHex(16).toUpperCase()}-${randomDigits(5)}`;
}

/** Resolves after ms, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      signal?.removeEventListener('abort', done);
      clearTimeout(t);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
