import { describe, expect, it } from 'vitest';
import { parseIsoTime, parseJourneysJsonl, parsePathsCsv, type JourneyTable } from '../../src/attribution/index.js';

function ok(result: ReturnType<typeof parsePathsCsv>): JourneyTable {
  if (!result.ok) throw new Error(`expected success, got line ${result.line}: ${result.message}`);
  return result.table;
}

/** Paths of a table as `A>B` strings with their counts. */
function rows(table: JourneyTable): Array<[string, number, number, number]> {
  const out: Array<[string, number, number, number]> = [];
  for (let r = 0; r < table.rowCount; r++) {
    const names: string[] = [];
    for (let i = table.rowStart[r]!; i < table.rowStart[r + 1]!; i++) names.push(table.channels[table.touchChannel[i]!]!);
    out.push([names.join('>'), table.conversions[r]!, table.value[r]!, table.nulls[r]!]);
  }
  return out;
}

describe('parsePathsCsv', () => {
  it('reads the ChannelAttribution layout with spaces around ">"', () => {
    const table = ok(parsePathsCsv('path,total_conversions,total_conversion_value,total_null\nA > B,2,20.5,3\nB,0,0,4\n'));
    expect(rows(table)).toEqual([
      ['A>B', 2, 20.5, 3],
      ['B', 0, 0, 4],
    ]);
    expect(table.kind).toBe('paths');
    expect(table.touchTime).toBeNull();
    // journeys = Σ (conversions + nulls) = 5 + 4
    expect(table.journeys).toBe(9);
  });

  it('handles a BOM, CRLF, blank lines, quotes with commas, doubled quotes and line breaks, any column order and case', () => {
    const text = '\uFEFFTotal_Null,Path,Total_Conversions\r\n\r\n1,"tg/deals, 深圳 > wa/""vip""",2\r\n2,"multi\r\nline > B",1\r\n\r\n';
    expect(rows(ok(parsePathsCsv(text)))).toEqual([
      ['tg/deals, 深圳>wa/"vip"', 2, 0, 1],
      ['multi\r\nline>B', 1, 0, 2],
    ]);
  });

  it('credits an empty converting path to (none) and ignores rows of no journeys', () => {
    const table = ok(parsePathsCsv('path,total_conversions,total_null\n,3,1\nA,0,0\n'));
    expect(rows(table)).toEqual([['(none)', 3, 0, 1]]);
  });

  it('gives an empty table for empty text or a header alone', () => {
    for (const text of ['', '\uFEFF', '\n\n', 'path,total_conversions\n']) {
      const table = ok(parsePathsCsv(text));
      expect(table.rowCount).toBe(0);
      expect(table.journeys).toBe(0);
    }
  });

  it.each([
    ['path,total_null\nA,1\n', 1, /missing column "total_conversions"/],
    ['conv\nA\n', 1, /missing column "path"/],
    ['path,path,total_conversions\nA,A,1\n', 1, /appears twice/],
    ['path,total_conversions\nA,1\nB,two\n', 3, /total_conversions: not a number: "two"/],
    ['path,total_conversions\nA,0x10\n', 2, /not a number/],
    ['path,total_conversions\nA,\n', 2, /total_conversions: empty/],
    ['path,total_conversions,total_null\nA,1,-2\n', 2, /total_null: must not be negative/],
    ['path,total_conversions\n\n\nA,1,2\n', 4, /expected 2 fields as in the header, found 3/],
    ['path,total_conversions\nA>>B,1\n', 2, /empty channel name/],
    ['path,total_conversions\n"A>B,1\n', 2, /unterminated quoted field/],
    ['path,total_conversions\n"A"x,1\n', 2, /after a closing quote/],
  ])('reports %j at line %i', (text, line, message) => {
    const result = parsePathsCsv(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.line).toBe(line);
      expect(result.message).toMatch(message);
    }
  });

  it('counts lines inside quoted fields when reporting a later error', () => {
    const result = parsePathsCsv('path,total_conversions\n"A\n>B",1\nC,x\n');
    expect(result).toMatchObject({ ok: false, line: 4 });
  });
});

describe('parseJourneysJsonl', () => {
  const line = (o: unknown) => JSON.stringify(o);

  it('reads journeys, sorts touches by time and applies the lookback', () => {
    const text = [
      line({
        touches: [
          { channel: 'b', at: '2026-03-10T00:00:00Z' },
          { channel: 'a', at: '2026-03-01T00:00:00+08:00' },
          { channel: 'old', at: '2026-01-01' },
          { channel: 'late', at: '2026-03-20T00:00:00Z' },
        ],
        conversion: { at: '2026-03-12T00:00:00Z', value: 12.5 },
      }),
      '',
      line({ touches: [{ channel: 'old', at: '2025-01-01T00:00:00Z' }], conversion: null }),
    ].join('\n');
    const table = ok(parseJourneysJsonl(text, { lookbackDays: 30 }));
    expect(rows(table)).toEqual([
      ['a>b', 1, 12.5, 0],
      ['old', 0, 0, 1],
    ]);
    expect(table.journeys).toBe(2);
    expect(table.touchTime?.[0]).toBe(Date.UTC(2026, 1, 28, 16));
  });

  it('accepts a BOM, CRLF and blank lines, and a conversion without a value (0)', () => {
    const text = '\uFEFF' + line({ touches: [{ channel: 'A', at: '2026-03-01T00:00:00Z' }], conversion: { at: '2026-03-02' } }) + '\r\n\r\n';
    expect(rows(ok(parseJourneysJsonl(text)))).toEqual([['A', 1, 0, 0]]);
  });

  it('gives an empty table for empty text', () => {
    expect(ok(parseJourneysJsonl('')).journeys).toBe(0);
    expect(ok(parseJourneysJsonl('\n  \n')).rowCount).toBe(0);
  });

  it.each([
    ['{"touches":[],"conversion":null}\n{"touches":[', 2, /not valid JSON/],
    ['[1]', 1, /expected a JSON object/],
    ['{"conversion":null}', 1, /touches: expected an array/],
    ['{"touches":[5],"conversion":null}', 1, /touches\[0\]: expected an object/],
    ['{"touches":[{"channel":"","at":"2026-03-01"}],"conversion":null}', 1, /touches\[0\]\.channel: expected a non-empty string/],
    ['{"touches":[{"channel":"A","at":"yesterday"}],"conversion":null}', 1, /touches\[0\]\.at: not an ISO 8601 date-time.*"yesterday"/],
    ['{"touches":[{"channel":"A","at":1700000000}],"conversion":null}', 1, /touches\[0\]\.at/],
    ['{"touches":[]}', 1, /conversion: missing/],
    ['{"touches":[],"conversion":5}', 1, /conversion: expected an object/],
    ['{"touches":[],"conversion":{"at":"2026-02-30T00:00:00Z"}}', 1, /conversion\.at/],
    ['{"touches":[],"conversion":{"at":"2026-03-01","value":-1}}', 1, /conversion\.value: expected a number ≥ 0/],
    ['{"touches":[],"conversion":{"at":"2026-03-01","value":"12"}}', 1, /conversion\.value/],
  ])('reports %j at line %i', (text, lineNo, message) => {
    const result = parseJourneysJsonl(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.line).toBe(lineNo);
      expect(result.message).toMatch(message);
    }
  });
});

describe('parseIsoTime', () => {
  it('reads dates (UTC midnight), offsets, fractions and zone-less times (as UTC)', () => {
    expect(parseIsoTime('2026-03-01')).toBe(Date.UTC(2026, 2, 1));
    expect(parseIsoTime('2026-03-01T10:00:00Z')).toBe(Date.UTC(2026, 2, 1, 10));
    expect(parseIsoTime('2026-03-01T10:00:00.250+08:00')).toBe(Date.UTC(2026, 2, 1, 2, 0, 0, 250));
    expect(parseIsoTime('2026-03-01T10:00:00-0530')).toBe(Date.UTC(2026, 2, 1, 15, 30));
    expect(parseIsoTime('2026-03-01 10:00')).toBe(Date.UTC(2026, 2, 1, 10));
    expect(parseIsoTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
  });

  it('rejects impossible or malformed times', () => {
    for (const bad of ['2026-02-29', '2026-13-01', '2026-03-01T24:00:00Z', '2026-03-01T10:60Z', '03/01/2026', '', '2026-03-01T10:00:00+25:00']) {
      expect(parseIsoTime(bad), bad).toBeNaN();
    }
  });
});
