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
});
