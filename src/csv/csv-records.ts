/**
 * CSV text → records with the line each starts on, on csv-parse (RFC 4180: quoted fields,
 * `""` for a quote, line breaks inside quotes, CRLF / LF / CR line ends, a UTF-8 BOM; blank
 * lines skipped; rows may differ in length, callers check).
 *
 * What csv-parse does not do, kept here:
 * - line numbers that count line breaks inside quoted fields the way a text editor shows
 *   them (each record's first physical line, CRLF counted once);
 * - carrying on after a broken record (a quote never closed, text after a closing quote):
 *   `onError: 'resume'` reports it with its line and reads on from the next line, so one bad
 *   line never hides the rest of a file; `'stop'` reports it and ends.
 */
import { CsvError, parse } from 'csv-parse/sync';

export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

export interface ReadCsvOptions {
  /** Field delimiter; default `,`. */
  delimiter?: string;
  /** After a broken record: read on from the line after the one it starts on (default), or stop. */
  onError?: 'resume' | 'stop';
  /** Ignore spaces and tabs at the end of fields, after a closing quote too; default false. */
  trimEnd?: boolean;
}

/** Byte offsets where each line starts (a line ends at LF, CRLF or a lone CR). */
function lineStarts(bytes: Buffer): number[] {
  const starts = [0];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x0a || (c === 0x0d && bytes[i + 1] !== 0x0a)) starts.push(i + 1);
  }
  return starts;
}

/** 1-based line of a byte offset. */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** The first offset at or after `from` that is not a line break (where the next record starts). */
function skipBreaks(bytes: Buffer, from: number): number {
  let i = from;
  while (i < bytes.length && (bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return i;
}

/** The message of a record whose quoted field never closes. */
export const UNCLOSED_QUOTE = 'a quoted field is never closed (a " is missing)';

/** What csv-parse said, as a reader would put it. */
function describe(err: unknown): string {
  const code = err instanceof CsvError ? err.code : undefined;
  if (code === 'CSV_QUOTE_NOT_CLOSED') return UNCLOSED_QUOTE;
  if (code === 'CSV_INVALID_CLOSING_QUOTE') return 'unexpected text after a closing quote (quote the whole field)';
  if (code === 'INVALID_OPENING_QUOTE') return 'a quote inside an unquoted field (quote the whole field and double the quote)';
  return err instanceof Error ? err.message.split('\n')[0] ?? 'unreadable record' : 'unreadable record';
}

/** Reads every record of `text`; broken records come back as errors (see {@link ReadCsvOptions}). */
export function* readCsvRecords(text: string, options: ReadCsvOptions = {}): Generator<CsvRecord> {
  const bytes = Buffer.from(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, 'utf8');
  const starts = lineStarts(bytes);
  let base = 0;
  while (base < bytes.length) {
    const records: Array<{ line: number; fields: string[] }> = [];
    let end = base;
    let failure: unknown;
    try {
      parse(bytes.subarray(base), {
        delimiter: options.delimiter ?? ',',
        relax_column_count: true,
        skip_empty_lines: true,
        rtrim: options.trimEnd ?? false,
        // Records are collected here (with where they end), not by csv-parse.
        on_record: (record, context) => {
          records.push({ line: lineAt(starts, skipBreaks(bytes, end)), fields: record });
          end = base + context.bytes;
          return null;
        },
      });
    } catch (err) {
      failure = err;
    }
    yield* records;
    if (failure === undefined) return;
    // The broken record starts where the last good one ended (after any blank lines).
    const line = lineAt(starts, skipBreaks(bytes, end));
    yield { line, error: describe(failure) };
    if (options.onError === 'stop' || line >= starts.length) return;
    base = starts[line] as number;
  }
}
