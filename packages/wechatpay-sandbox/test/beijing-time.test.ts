import { describe, expect, it } from 'vitest';
import { beijingDate, beijingDateTime, newPrepayId, newTransactionId, rfc3339Beijing } from '../src/util.js';

// 16:30 UTC is already half past midnight of the next day in Beijing (UTC+8, all year)
const AT = Date.parse('2026-11-20T16:30:05.750Z');

describe('Beijing time as the sandbox writes it', () => {
  it('dates, times and ids carry the Beijing day across the UTC midnight', () => {
    expect(rfc3339Beijing(AT)).toBe('2026-11-21T00:30:05+08:00');
    expect(beijingDate(AT)).toBe('20261121');
    expect(beijingDateTime(AT)).toBe('2026-11-21 00:30:05');
    expect(newPrepayId(AT)).toMatch(/^wx20261121003005[0-9a-f]{20}$/);
    expect(newTransactionId(AT).slice(10, 18)).toBe('20261121');
  });
});
