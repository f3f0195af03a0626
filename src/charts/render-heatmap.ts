/**
 * Heat map: rows (cohorts) by columns (weeks since joining); each cell's colour is its main
 * share (0..1), with the share printed in it and a second, smaller figure under it (e.g. the
 * share active). Cells without a figure stay blank.
 */
import { GRID, INK, MUTED, cleanLabel, fitText, surface, toPng } from './draw.js';

export interface HeatmapOptions {
  title: string;
  subtitle?: string;
  columns: readonly string[];
  rows: ReadonlyArray<{ label: string; note?: string; cells: ReadonlyArray<{ value: number; second?: number } | null> }>;
  /** What the second figure is (printed under the chart), e.g. `small: share active`. */
  legend?: string;
}

const PAD = 32;
const LABEL_WIDTH = 230;
const CELL_W = 96;
const CELL_H = 56;
/** Most cohort rows drawn. */
export const HEATMAP_MAX_ROWS = 20;

const pct = (v: number): string => `${Math.round(v * 100)}%`;

/** Blue of a share: white at 0, deep blue at 1. */
function shade(v: number): string {
  const t = Math.max(0, Math.min(1, v));
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * t);
  return `rgb(${mix(239, 29)}, ${mix(246, 78)}, ${mix(255, 216)})`;
}

/** Renders the heat map as a PNG. */
export async function renderHeatmap(o: HeatmapOptions): Promise<Buffer> {
  const rows = o.rows.slice(0, HEATMAP_MAX_ROWS);
  const top = PAD + 40 + (o.subtitle ? 30 : 0) + 36;
  const width = PAD * 2 + LABEL_WIDTH + Math.max(1, o.columns.length) * CELL_W;
  const height = top + Math.max(1, rows.length) * CELL_H + (o.legend ? 40 : 0) + PAD;
  const s = surface(width, height);
  const { ctx } = s;
  ctx.fillStyle = INK;
  ctx.font = s.font(26, 'bold');
  ctx.fillText(fitText(ctx, cleanLabel(o.title), width - 2 * PAD), PAD, PAD + 16);
  if (o.subtitle) {
    ctx.fillStyle = MUTED;
    ctx.font = s.font(17);
    ctx.fillText(fitText(ctx, cleanLabel(o.subtitle), width - 2 * PAD), PAD, PAD + 50);
  }
  ctx.textAlign = 'center';
  ctx.fillStyle = MUTED;
  ctx.font = s.font(16);
  o.columns.forEach((c, i) => ctx.fillText(c, PAD + LABEL_WIDTH + i * CELL_W + CELL_W / 2, top - 16));
  rows.forEach((r, ri) => {
    const y = top + ri * CELL_H;
    ctx.textAlign = 'left';
    ctx.fillStyle = INK;
    ctx.font = s.font(18);
    ctx.fillText(fitText(ctx, cleanLabel(r.label), LABEL_WIDTH - 12), PAD, y + CELL_H / 2 - (r.note ? 9 : 0));
    if (r.note) {
      ctx.fillStyle = MUTED;
      ctx.font = s.font(13);
      ctx.fillText(fitText(ctx, cleanLabel(r.note), LABEL_WIDTH - 12), PAD, y + CELL_H / 2 + 12);
    }
    ctx.textAlign = 'center';
    r.cells.slice(0, o.columns.length).forEach((cell, ci) => {
      const x = PAD + LABEL_WIDTH + ci * CELL_W;
      ctx.strokeStyle = GRID;
      ctx.strokeRect(x + 0.5, y + 0.5, CELL_W - 1, CELL_H - 1);
      if (!cell) return;
      ctx.fillStyle = shade(cell.value);
      ctx.fillRect(x + 1, y + 1, CELL_W - 2, CELL_H - 2);
      const dark = cell.value > 0.55;
      ctx.fillStyle = dark ? '#ffffff' : INK;
      ctx.font = s.font(18, 'bold');
      ctx.fillText(pct(cell.value), x + CELL_W / 2, y + CELL_H / 2 - (cell.second !== undefined ? 8 : 0));
      if (cell.second !== undefined) {
        ctx.fillStyle = dark ? '#e5e7eb' : MUTED;
        ctx.font = s.font(13);
        ctx.fillText(pct(cell.second), x + CELL_W / 2, y + CELL_H / 2 + 13);
      }
    });
  });
  if (o.legend) {
    ctx.textAlign = 'left';
    ctx.fillStyle = MUTED;
    ctx.font = s.font(15);
    ctx.fillText(fitText(ctx, cleanLabel(o.legend), width - 2 * PAD), PAD, top + rows.length * CELL_H + 24);
  }
  return toPng(s);
}
