/**
 * Horizontal grouped bar chart: one group of bars per row (a group, campaign, keyword…),
 * one bar per series (the model's credit beside last touch; or every model).
 */
import { GRID, INK, MUTED, PALETTE, cleanLabel, fitText, formatNumber, surface, toPng } from './draw.js';

export interface BarChartOptions {
  title: string;
  /** Second line: period, model, totals. */
  subtitle?: string;
  /** Series names, in the order of each row's `values`. */
  series: readonly string[];
  rows: ReadonlyArray<{ label: string; values: readonly number[] }>;
  /** Most rows drawn; the rest are counted in a footnote. Default 12. */
  maxRows?: number;
  /** Formats the value printed after each bar; default {@link formatNumber}. */
  format?: (n: number) => string;
  /** Line under the chart (e.g. what the numbers are). */
  footnote?: string;
}

const WIDTH = 960;
const PAD = 32;
const LABEL_WIDTH = 250;
const VALUE_SPACE = 90;
const BAR = 20;
const BAR_GAP = 4;
const ROW_GAP = 18;

/** Renders the chart as a PNG. Negative and non-finite values draw as zero-length bars. */
export async function renderBarChart(options: BarChartOptions): Promise<Buffer> {
  const maxRows = options.maxRows ?? 12;
  const rows = options.rows.slice(0, maxRows);
  const hidden = options.rows.length - rows.length;
  const nSeries = Math.max(1, options.series.length);
  const rowHeight = nSeries * (BAR + BAR_GAP) - BAR_GAP + ROW_GAP;
  const top = PAD + 40 + (options.subtitle ? 30 : 0) + 40;
  const footer = (hidden > 0 || options.footnote ? 36 : 0) + PAD;
  const height = top + Math.max(1, rows.length) * rowHeight + footer;
  const s = surface(WIDTH, height);
  const { ctx } = s;
  const format = options.format ?? formatNumber;

  ctx.fillStyle = INK;
  ctx.font = s.font(28, 'bold');
  ctx.fillText(fitText(ctx, cleanLabel(options.title), WIDTH - 2 * PAD), PAD, PAD + 16);
  let y = PAD + 40;
  if (options.subtitle) {
    ctx.fillStyle = MUTED;
    ctx.font = s.font(18);
    ctx.fillText(fitText(ctx, cleanLabel(options.subtitle), WIDTH - 2 * PAD), PAD, y + 12);
    y += 30;
  }
  // Legend.
  ctx.font = s.font(16);
  let x = PAD;
  for (const [i, name] of options.series.entries()) {
    ctx.fillStyle = PALETTE[i % PALETTE.length] ?? INK;
    ctx.fillRect(x, y + 6, 16, 16);
    ctx.fillStyle = INK;
    const label = cleanLabel(name);
    ctx.fillText(label, x + 22, y + 14);
    x += 22 + ctx.measureText(label).width + 24;
  }

  const barLeft = PAD + LABEL_WIDTH + 12;
  const barSpace = WIDTH - barLeft - PAD - VALUE_SPACE;
  const max = Math.max(0, ...rows.flatMap((r) => r.values.map((v) => (Number.isFinite(v) ? v : 0))));
  y = top;
  if (rows.length === 0) {
    ctx.fillStyle = MUTED;
    ctx.font = s.font(18);
    ctx.fillText('No data in this period', PAD, y + rowHeight / 2);
  }
  for (const row of rows) {
    const blockHeight = rowHeight - ROW_GAP;
    ctx.fillStyle = INK;
    ctx.font = s.font(18);
    ctx.fillText(fitText(ctx, cleanLabel(row.label), LABEL_WIDTH), PAD, y + blockHeight / 2);
    ctx.fillStyle = GRID;
    ctx.fillRect(barLeft - 1, y - 4, 1, blockHeight + 8);
    for (let i = 0; i < nSeries; i++) {
      const raw = row.values[i] ?? 0;
      const v = Number.isFinite(raw) && raw > 0 ? raw : 0;
      const w = max > 0 ? Math.max(v > 0 ? 2 : 0, (v / max) * barSpace) : 0;
      const by = y + i * (BAR + BAR_GAP);
      ctx.fillStyle = PALETTE[i % PALETTE.length] ?? INK;
      ctx.fillRect(barLeft, by, w, BAR);
      ctx.fillStyle = MUTED;
      ctx.font = s.font(15);
      ctx.fillText(format(Number.isFinite(raw) ? raw : 0), barLeft + w + 8, by + BAR / 2 + 1);
    }
    y += rowHeight;
  }
  const notes = [hidden > 0 ? `+${hidden} more not shown` : '', options.footnote ?? ''].filter(Boolean).join(' · ');
  if (notes) {
    ctx.fillStyle = MUTED;
    ctx.font = s.font(15);
    ctx.fillText(fitText(ctx, cleanLabel(notes), WIDTH - 2 * PAD), PAD, y + 10);
  }
  return toPng(s);
}
