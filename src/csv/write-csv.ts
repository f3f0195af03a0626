/**
 * CSV for spreadsheets, on csv-stringify: UTF-8 with a BOM (so Excel reads Chinese), CRLF
 * line ends, a field quoted when it holds a comma, a quote or any line break.
 *
 * What csv-stringify does not do, kept here: cells a spreadsheet would run as a formula
 * (starting with `=`, `+`, `-`, `@`, a tab or a carriage return, or their full-width forms
 * `＝ ＋ － ＠`) get a `'` in front, so an exported group name like `=HYPERLINK(…)` stays
 * text. A plain number written as text (`-1001234567890`, a Telegram group id) is left
 * alone: a spreadsheet reads it as a number and runs nothing.
 */
import { stringify } from 'csv-stringify/sync';

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const PLAIN_NUMBER = /^[+-]?\d+(?:\.\d+)?$/;

/** The text of a cell that no spreadsheet will run as a formula. */
export function defuseFormula(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/** Rows → CSV text: every string defused, booleans as `true`/`false`, null and undefined empty. */
export function writeCsv(rows: ReadonlyArray<readonly CsvValue[]>, options: { bom?: boolean } = {}): string {
  return stringify(
    rows.map((r) => [...r]),
    {
      bom: options.bom ?? false,
      record_delimiter: 'windows',
      quoted_match: /[\r\n]/,
      cast: { string: defuseFormula, boolean: (v) => (v ? 'true' : 'false') },
    },
  );
}

/** One CSV cell: quoted when needed, formula-looking text defused. */
export function csvCell(value: CsvValue): string {
  return writeCsv([[value]]).replace(/\r\n$/, '');
}
