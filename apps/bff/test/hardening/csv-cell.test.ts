import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from '../../src/admin/csv.js';

describe('CSV cells (spreadsheet formula injection, every locale separator)', () => {
  it('quotes every cell, so no separator of any locale splits one', () => {
    expect(csvCell('plain')).toBe('"plain"');
    expect(csvCell(1235)).toBe('"1235"');
    expect(csvCell(null)).toBe('""');
    expect(csvLine(['a;b', 'c\td'])).toBe('"a;b","c\td"\r\n');
  });

  it('defuses a formula at the start and after any separator', () => {
    expect(csvCell("x;=cmd|' /C calc'!A0")).toBe(`"x;'=cmd|' /C calc'!A0"`);
    expect(csvCell('a\t+1')).toBe(`"a\t'+1"`);
    expect(csvCell('a,@SUM(A1)')).toBe(`"a,'@SUM(A1)"`);
    expect(csvCell('=HYPERLINK("http://evil")')).toBe(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvCell('-2+3')).toBe(`"'-2+3"`);
  });

  it('gives what the plain rule gives (both replaces on every cell) for any text, with or without work to do', () => {
    const rule = (value: string | number | null) =>
      value === null
        ? '""'
        : `"${(typeof value === 'string' ? value.replace(/(^|[,;\t\r\n|])([=+\-@])/g, "$1'$2") : String(value)).replace(/"/g, '""')}"`;
    const pieces = [
      '',
      'a',
      '中文',
      '😀',
      '=',
      '+',
      '-',
      '@',
      '"',
      "'",
      ',',
      ';',
      '\t',
      '\r',
      '\n',
      '|',
      ' ',
      '1',
      'x=y',
    ];
    const values: (string | number | null)[] = [null, 0, -1, 1235, 12.5];
    for (const a of pieces) for (const b of pieces) for (const c of pieces) values.push(a + b + c);
    for (const value of values) expect([value, csvCell(value)]).toEqual([value, rule(value)]);
  });
});
