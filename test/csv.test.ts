/**
 * CSV on csv-parse / csv-stringify, with what they miss: formula defusing on the way out
 * (issue 9 defect 4: cells starting with `-` and full-width `＝＋－＠` passed unescaped), line
 * numbers and resuming after a broken record on the way in.
 */
import { describe, expect, it } from 'vitest';
import { readCsvRecords } from '../src/csv/csv-records.js';
import { csvCell, defuseFormula, writeCsv } from '../src/csv/write-csv.js';
import { exportCredits } from '../src/reports/export-credits.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import { credits } from './links-conversions-contract.js';

describe('writing CSV', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1+1', "'+1+1"],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ['-', "'-"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['＝1+1', "'＝1+1"],
    ['＋1', "'＋1"],
    ['－1+1', "'－1+1"],
    ['＠x', "'＠x"],
  ])('defuses %j', (cell, expected) => {
    expect(defuseFormula(cell)).toBe(expected);
  });

  it('leaves plain text and numbers written as text alone (a spreadsheet runs nothing in them)', () => {
    for (const cell of ['团购群', 'a=b', '-1001234567890', '+8613800138000', '12.5', '-0.5', '']) expect(defuseFormula(cell)).toBe(cell);
  });

  it('quotes commas, quotes and any line break; CRLF records; booleans as words; a BOM when asked', () => {
    expect(writeCsv([['a,b', 'say "hi"', 'x\ny', 'r\rs', true, false, null, undefined, -3, 0.25]], { bom: true })).toBe('\uFEFF"a,b","say ""hi""","x\ny","r\rs",true,false,,,-3,0.25\r\n');
    expect(csvCell('=HYPERLINK("http://evil")')).toBe('"\'=HYPERLINK(""http://evil"")"');
    expect(csvCell(-5)).toBe('-5');
  });

  it('the credits export defuses group titles and campaigns that start like formulas', async () => {
    const store = createMemoryStore();
    const set = credits('c1', '2026-03-10T00:00:00.000Z');
    set.touches[0] = { ...set.touches[0]!, chatTitle: '-2+3+cmd|calc', campaign: '＝HYPERLINK("x")' };
    set.touches[1] = { ...set.touches[1]!, chatTitle: '@team', keywords: ['+price'] };
    await store.credits.put('a', set);
    const csv = await exportCredits(store, 'a', { period: { from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', label: 'March' } });
    const lines = csv.split('\r\n');
    expect(lines[1]).toBe('c1,2026-03-10T00:00:00.000Z,purchase,30,CNY,tg_id,false,p1,t1,2026-03-01T10:00:00.000Z,join,telegram,-1001,\'-2+3+cmd|calc,"\'＝HYPERLINK(""x"")",,,first_touch,1,30');
    expect(lines[2]).toBe("c1,2026-03-10T00:00:00.000Z,purchase,30,CNY,tg_id,false,p1,t2,2026-03-02T10:00:00.000Z,message,telegram,-1001,'@team,,'+price,shop.example.com/p | abc1234,first_touch,0,0");
    expect(csv.startsWith('\uFEFFconversion_id,')).toBe(true);
  });
});

describe('reading CSV', () => {
  it('gives each record the line it starts on, counting CRLF once and line breaks inside quotes', () => {
    const text = '\uFEFFa,b\r\n\r\n"x\r\ny",2\r\nc,"3\n4"\r\n\r\n\r\nd,5';
    expect([...readCsvRecords(text)]).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['x\r\ny', '2'] },
      { line: 5, fields: ['c', '3\n4'] },
      { line: 9, fields: ['d', '5'] },
    ]);
  });

  it('resumes on the line after a broken record, or stops there', () => {
    const text = 'a,b\nd,"x"y\ne,3\n"open,1\nc,2\n';
    expect([...readCsvRecords(text)]).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'unexpected text after a closing quote (quote the whole field)' },
      { line: 3, fields: ['e', '3'] },
      { line: 4, error: 'a quoted field is never closed (a " is missing)' },
      { line: 5, fields: ['c', '2'] },
    ]);
    expect([...readCsvRecords(text, { onError: 'stop' })]).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'unexpected text after a closing quote (quote the whole field)' },
    ]);
    expect([...readCsvRecords('a;b\n"x;1";2\n', { delimiter: ';' })]).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x;1', '2'] },
    ]);
  });
});
