/**
 * Parses aggregated paths in the CSV layout ChannelAttribution uses: a header row with
 * `path`, `total_conversions`, optional `total_conversion_value`, optional `total_null`
 * (names matched case-insensitively, other columns ignored); channels in `path` separated by
 * `>` with optional spaces. RFC 4180 quoting ("a, b" and "" for a quote, line breaks inside
 * quotes), a UTF-8 BOM, CRLF or LF line ends and blank lines are all accepted.
 *
 * Each row stands for `total_conversions + total_null` journeys. A missing value column means
 * value 0; a missing null column means no non-converting journeys; an empty optional cell is 0.
 * An empty path that converted is credited to `(none)`.
 *
 * Records come from csv-parse (`src/csv/csv-records.ts`); reading stops at the first broken one.
 */
import { UNCLOSED_QUOTE, readCsvRecords } from '../csv/csv-records.js';
import { JourneyTableBuilder } from './journey.js';
import type { ParseResult } from './parse-result.js';

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a paths CSV into a table (kind `paths`). Empty text (or a header alone) gives an
 * empty table. Never throws: a bad line comes back as `{ ok: false, line, message }`.
 */
export function parsePathsCsv(text: string): ParseResult {
  const builder = new JourneyTableBuilder('paths');
  let columns: { path: number; conversions: number; value: number; nulls: number; count: number } | null = null;
  for (const rec of readCsvRecords(text, { onError: 'stop', trimEnd: true })) {
    if ('error' in rec) return { ok: false, line: rec.line, message: rec.error === UNCLOSED_QUOTE ? 'unterminated quoted field (a " is never closed)' : rec.error };
    const { line, fields } = rec;
    // A line of only spaces is blank too.
    if (fields.length === 1 && (fields[0] as string).trim() === '') continue;
    if (columns === null) {
      const names = fields.map((f) => f.trim().toLowerCase());
      for (let k = 0; k < names.length; k++) {
        if (names[k] !== '' && names.indexOf(names[k] as string) !== k) {
          return { ok: false, line, message: `column "${names[k]}" appears twice in the header` };
        }
      }
      for (const required of ['path', 'total_conversions']) {
        if (!names.includes(required)) {
          return {
            ok: false,
            line,
            message: `missing column "${required}" (the header needs path, total_conversions and optionally total_conversion_value, total_null; found: ${fields.join(', ')})`,
          };
        }
      }
      columns = {
        path: names.indexOf('path'),
        conversions: names.indexOf('total_conversions'),
        value: names.indexOf('total_conversion_value'),
        nulls: names.indexOf('total_null'),
        count: names.length,
      };
      continue;
    }
    if (fields.length !== columns.count) {
      return { ok: false, line, message: `expected ${columns.count} fields as in the header, found ${fields.length}` };
    }
    const rawPath = (fields[columns.path] as string).trim();
    const path = rawPath === '' ? [] : rawPath.split('>').map((c) => c.trim());
    if (path.some((c) => c === '')) {
      return { ok: false, line, message: `path: empty channel name in ${JSON.stringify(rawPath)} (channels are separated by ">")` };
    }
    const numbers: number[] = [];
    for (const [column, index, required] of [
      ['total_conversions', columns.conversions, true],
      ['total_conversion_value', columns.value, false],
      ['total_null', columns.nulls, false],
    ] as const) {
      if (index < 0) {
        numbers.push(0);
        continue;
      }
      const raw = (fields[index] as string).trim();
      if (raw === '') {
        if (required) return { ok: false, line, message: `${column}: empty (expected a number ≥ 0)` };
        numbers.push(0);
        continue;
      }
      const n = NUMBER.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return { ok: false, line, message: `${column}: not a number: ${JSON.stringify(raw)}` };
      if (n < 0) return { ok: false, line, message: `${column}: must not be negative, got ${raw}` };
      numbers.push(n);
    }
    const [conversions, value, nulls] = numbers as [number, number, number];
    builder.addPath(path, conversions, value, nulls);
  }
  return { ok: true, table: builder.build() };
}
