/** Integer fen (分) is the only money type: no floats ever reach an amount. */

export function assertFen(value: number, name = 'amount'): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer number of fen, got ${value}`);
  }
  return value;
}

/** `formatFen(1230) === "¥12.30"`; negative amounts keep their sign: "-¥0.05". */
export function formatFen(fen: number): string {
  if (!Number.isSafeInteger(fen)) throw new RangeError(`fen must be an integer, got ${fen}`);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.trunc(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}¥${yuan}.${cents}`;
}

/** `fenToYuan(25600) === "256.00"`: the plain yuan figure for an input field, without floating point. */
export function fenToYuan(fen: number): string {
  return formatFen(fen).replace('¥', '');
}

/** Parses "12.3" / "12.30" / "12" yuan into fen without floating point. */
export function parseYuanToFen(yuan: string): number {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(yuan.trim());
  if (!m) throw new RangeError(`not a yuan amount: ${JSON.stringify(yuan)}`);
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? '').padEnd(2, '0'));
  return whole * 100 + frac;
}

/** Sum of integer fen; throws rather than losing precision. */
export function sumFen(values: readonly number[]): number {
  let total = 0;
  for (const v of values) {
    total += assertFen(v);
    if (!Number.isSafeInteger(total)) throw new RangeError('fen total overflow');
  }
  return total;
}
