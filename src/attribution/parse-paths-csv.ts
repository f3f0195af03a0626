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
 */
import { JourneyTableBuilder } from './journey.js';
import type { ParseResult } from './parse-result.js';

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

interface CsvRecord {
  readonly line: number;
  readonly fields: string[];
}

type RecordOrError = CsvRecord | { readonly line: number; readonly error: string };

/** Splits CSV text into records, skipping blank lines; stops at the first malformed record. */
function* readRecords(text: string): Generator<RecordOrError> {
  const len = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < len) {
    const recordLine = line;
    const fields: string[] = [];
    let anyQuoted = false;
    for (;;) {
      let field: string;
      if (text.charCodeAt(i) === 0x22) {
        anyQuoted = true;
        i++;
        field = '';
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            yield { line: recordLine, error: 'unterminated quoted field (a " is never closed)' };
            return;
          }
          const chunk = text.slice(i, q);
          for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === 0x0a) line++;
          field += chunk;
          if (text.charCodeAt(q + 1) === 0x22) {
            field += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        while (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09) i++;
        const next = text.charCodeAt(i);
        if (i < len && next !== 0x2c && next !== 0x0a && next !== 0x0d) {
          yield { line, error: `unexpected ${JSON.stringify(text[i])} after a closing quote (quote the whole field)` };
          return;
        }
      } else {
        let j = i;
        while (j < len) {
          const c = text.charCodeAt(j);
          if (c === 0x2c || c === 0x0a || c === 0x0d) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (i >= len) break;
      const c = text.charCodeAt(i);
      if (c === 0x2c) {
        i++;
        continue;
      }
      i += c === 0x0d && text.charCodeAt(i + 1) === 0x0a ? 2 : 1;
      line++;
      break;
    }
    if (!anyQuoted && fields.length === 1 && (fields[0] as string).trim() === '') continue;
    yield { line: recordLine, fields };
  }
}

/**
 * Parses a paths CSV into a table (kind `paths`). Empty text (or a header alone) gives an
 * empty table. Never throws: a bad line comes back as `{ ok: false, line, message }`.
 */
export function parsePathsCsv(text: string): ParseResult {
  const builder = new JourneyTableBuilder('paths');
  let columns: { path: number; conversions: number; value: number; nulls: number; count: number } | null = null;
  for (const rec of readRecords(text)) {
    if ('error' in rec) return { ok: false, line: rec.line, message: rec.error };
    const { line, fields } = rec;
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
