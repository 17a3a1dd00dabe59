import { describe, expect, it } from 'vitest';
import { csvCell } from './csv.ts';

describe('CSV cells', () => {
  it('keeps text a spreadsheet would run as a formula from running (CSV injection)', () => {
    for (const bad of ['=HYPERLINK("http://x","鲁P")', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1'])
      expect(csvCell(bad).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('=A1,"x"')).toBe(`"'=A1,""x"""`);
  });

  it('writes plain text, numbers, lists and empties as they are', () => {
    expect(csvCell('鲁PA3N82')).toBe('鲁PA3N82');
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(['梁水镇', '李庄'])).toBe('梁水镇 李庄');
    expect(csvCell(null)).toBe('');
    expect(csvCell('a "b", c')).toBe('"a ""b"", c"');
  });
});
