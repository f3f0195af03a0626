/**
 * Plain-text report of an attribution result: channels as rows, models as columns, each
 * model followed by its difference from the baseline model (`last_touch`). Columns are
 * aligned by display width, so Chinese channel names (2 columns per character) line up.
 */
import type { AttributionResult } from './attribute.js';
import { MODEL_NAMES, type ModelName } from './journey.js';

/** Options of `formatAttributionTable`. */
export interface FormatTableOptions {
  /** Model the others are compared with; default `last_touch`. No difference columns if absent from the result. */
  readonly baseline?: ModelName;
  /** Models to show, in `MODEL_NAMES` order; default every model in the result. */
  readonly models?: readonly ModelName[];
  /** Decimals of every figure; default 2. */
  readonly decimals?: number;
}

/** True for code points a terminal draws two columns wide (East Asian Wide/Fullwidth, emoji). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** True for code points drawn with no width (combining marks, zero-width joiners, variation selectors). */
function isZeroWidth(cp: number): boolean {
  return (
    (cp >= 0x0300 && cp <= 0x036f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0x20d0 && cp <= 0x20ff)
  );
}

/** Columns a terminal uses to draw `text`: CJK and other wide characters count 2. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (isZeroWidth(cp) || cp < 0x20) continue;
    width += isWide(cp) ? 2 : 1;
  }
  return width;
}

function pad(text: string, width: number, alignRight: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return alignRight ? fill + text : text + fill;
}

function fixed(n: number, decimals: number): string {
  const s = n.toFixed(decimals);
  return Number(s) === 0 ? (0).toFixed(decimals) : s;
}

function signed(n: number, decimals: number): string {
  const s = fixed(n, decimals);
  return Number(s) > 0 ? `+${s}` : s;
}

function renderGrid(rows: string[][], rightAligned: boolean[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, displayWidth(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => pad(cell, widths[i] as number, rightAligned[i] ?? true))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Formats a result as aligned text: a summary line, a conversions table, a value table (when
 * any value was recorded), then the notes. The baseline column comes first; every other
 * model's column is followed by a `Δ` column (model − baseline). Rows are sorted by the baseline's
 * conversions (descending), then by name.
 */
export function formatAttributionTable(result: AttributionResult, options: FormatTableOptions = {}): string {
  const decimals = options.decimals ?? 2;
  const wanted = new Set(options.models ?? MODEL_NAMES);
  const baselineName = options.baseline ?? 'last_touch';
  const baseline = result.models[baselineName];
  // The baseline comes first so each Δ column reads against the column it is measured from.
  const models = MODEL_NAMES.filter((m) => wanted.has(m) && result.models[m] !== undefined).sort(
    (a, b) => Number(b === baselineName) - Number(a === baselineName),
  );
  const { total } = result;
  const lines: string[] = [
    `journeys ${total.journeys}  conversions ${fixed(total.conversions, decimals)}  value ${fixed(total.value, decimals)}`,
  ];
  const sorted = [...result.channels].sort((a, b) => {
    const d = (baseline?.[b]?.conversions ?? 0) - (baseline?.[a]?.conversions ?? 0);
    return d !== 0 ? d : a < b ? -1 : a > b ? 1 : 0;
  });
  const sections: Array<['conversions' | 'value', number]> = [['conversions', total.conversions]];
  if (total.value !== 0) sections.push(['value', total.value]);
  for (const [field, sum] of sections) {
    if (models.length === 0 || result.channels.length === 0) break;
    const header = [field === 'conversions' ? 'channel' : 'channel (value)'];
    const right = [false];
    for (const m of models) {
      header.push(m);
      right.push(true);
      if (baseline !== undefined && m !== baselineName) {
        header.push('Δ');
        right.push(true);
      }
    }
    const grid: string[][] = [header];
    const addRow = (label: string, get: (m: ModelName) => number, base: number): void => {
      const row = [label];
      for (const m of models) {
        const v = get(m);
        row.push(fixed(v, decimals));
        if (baseline !== undefined && m !== baselineName) row.push(signed(v - base, decimals));
      }
      grid.push(row);
    };
    for (const ch of sorted) {
      addRow(ch, (m) => result.models[m]?.[ch]?.[field] ?? 0, baseline?.[ch]?.[field] ?? 0);
    }
    addRow('total', () => sum, sum);
    const rendered = renderGrid(grid, right);
    const rule = '-'.repeat(Math.max(...rendered.map(displayWidth)));
    lines.push('', ...rendered.slice(0, 1), rule, ...rendered.slice(1, -1), rule, ...rendered.slice(-1));
  }
  if (baseline !== undefined && models.length > 1 && result.channels.length > 0) lines.push(`Δ: the model minus ${baselineName}`);
  if (result.notes.length > 0) lines.push('');
  for (const note of result.notes) lines.push(`note: ${note}`);
  return lines.join('\n') + '\n';
}
