/** Funnel chart: joined → engaged → clicked → converted, with counts and rates, and the revenue the converted brought. */
import { INK, MUTED, PALETTE, cleanLabel, fitText, formatNumber, surface, toPng } from './draw.js';

export interface FunnelChartOptions {
  title: string;
  subtitle?: string;
  steps: ReadonlyArray<{ label: string; value: number }>;
  /** A bold line under the steps: what the converted people brought (e.g. `revenue 12,345 CNY`). */
  revenue?: string;
  /** Line under the chart (e.g. median days to convert). */
  footnote?: string;
}

const WIDTH = 960;
const PAD = 32;
const STEP = 64;
const LABEL_WIDTH = 170;
const RATE_WIDTH = 250;

function percent(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const p = (part / whole) * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

/** Renders the funnel as a PNG: bar widths are each step's share of the first step. */
export async function renderFunnelChart(options: FunnelChartOptions): Promise<Buffer> {
  const top = PAD + 40 + (options.subtitle ? 30 : 0) + 16;
  const height = top + Math.max(1, options.steps.length) * STEP + (options.revenue ? 40 : 0) + (options.footnote ? 40 : 0) + PAD;
  const s = surface(WIDTH, height);
  const { ctx } = s;
  ctx.fillStyle = INK;
  ctx.font = s.font(28, 'bold');
  ctx.fillText(fitText(ctx, cleanLabel(options.title), WIDTH - 2 * PAD), PAD, PAD + 16);
  if (options.subtitle) {
    ctx.fillStyle = MUTED;
    ctx.font = s.font(18);
    ctx.fillText(fitText(ctx, cleanLabel(options.subtitle), WIDTH - 2 * PAD), PAD, PAD + 52);
  }
  const first = Math.max(0, options.steps[0]?.value ?? 0);
  const barLeft = PAD + LABEL_WIDTH;
  const barSpace = WIDTH - barLeft - PAD - RATE_WIDTH;
  let y = top;
  let previous = first;
  for (const [i, step] of options.steps.entries()) {
    const v = Number.isFinite(step.value) && step.value > 0 ? step.value : 0;
    const w = first > 0 ? Math.max(v > 0 ? 2 : 0, (v / first) * barSpace) : 0;
    ctx.fillStyle = INK;
    ctx.font = s.font(20);
    ctx.fillText(fitText(ctx, cleanLabel(step.label), LABEL_WIDTH - 12), PAD, y + STEP / 2 - 4);
    ctx.fillStyle = PALETTE[i % PALETTE.length] ?? INK;
    ctx.fillRect(barLeft + (barSpace - w) / 2, y + 8, w, STEP - 24);
    ctx.fillStyle = INK;
    ctx.font = s.font(20, 'bold');
    ctx.fillText(formatNumber(v), barLeft + barSpace + 16, y + STEP / 2 - 12);
    ctx.fillStyle = MUTED;
    ctx.font = s.font(15);
    ctx.fillText(i === 0 ? '100%' : `${percent(v, first)} of first · ${percent(v, previous)} of previous`, barLeft + barSpace + 16, y + STEP / 2 + 12);
    previous = v;
    y += STEP;
  }
  if (options.revenue) {
    ctx.fillStyle = INK;
    ctx.font = s.font(20, 'bold');
    ctx.fillText(fitText(ctx, cleanLabel(options.revenue), WIDTH - 2 * PAD), PAD, y + 20);
    y += 40;
  }
  if (options.footnote) {
    ctx.fillStyle = MUTED;
    ctx.font = s.font(16);
    ctx.fillText(fitText(ctx, cleanLabel(options.footnote), WIDTH - 2 * PAD), PAD, y + 20);
  }
  return toPng(s);
}
