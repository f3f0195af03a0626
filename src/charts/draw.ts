/** Drawing helpers shared by the charts: canvas set-up, label clean-up, truncation, colours. */
import { createCanvas, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { ensureChartFont } from './fonts.js';

/** Series colours, in order: the model's credit first, then last touch, then the rest. */
export const PALETTE = ['#2563eb', '#9ca3af', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#ec4899', '#14b8a6'] as const;
export const INK = '#111827';
export const MUTED = '#6b7280';
export const GRID = '#e5e7eb';
export const BACKGROUND = '#ffffff';

/** Longest side of a chart in pixels (Telegram recompresses photos above 1280 px). */
export const MAX_CHART_SIDE = 1280;

export interface Surface {
  canvas: Canvas;
  ctx: SKRSContext2D;
  font: (px: number, weight?: 'normal' | 'bold') => string;
}

/** A white canvas with the bundled font registered. */
export function surface(width: number, height: number): Surface {
  const family = ensureChartFont();
  const canvas = createCanvas(Math.min(Math.round(width), MAX_CHART_SIDE), Math.min(Math.round(height), MAX_CHART_SIDE * 2));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = BACKGROUND;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.textBaseline = 'middle';
  return { canvas, ctx, font: (px, weight = 'normal') => `${weight === 'bold' ? 'bold ' : ''}${px}px "${family}"` };
}

// Emoji and their joiners/variation selectors: the bundled font has none, and a missing
// glyph would draw as an empty box.
const NO_GLYPH = /[\p{Extended_Pictographic}\u200d\ufe0e\ufe0f\u{1f3fb}-\u{1f3ff}\u{e0020}-\u{e007f}]/gu;
const CONTROL = /[\p{Cc}\p{Cf}]/gu;

/** A label as charts show it: no emoji or control characters, spaces collapsed, `(none)` when empty. */
export function cleanLabel(label: string): string {
  const s = label.replace(NO_GLYPH, '').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return s.length > 0 ? s : '(none)';
}

/** `text` cut with `…` so it fits `maxWidth` in the current font. */
export function fitText(ctx: SKRSContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(chars.slice(0, mid).join('') + '…').width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join('') + '…';
}

/** Default number format: whole numbers as they are, others with one decimal; thousands grouped. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const rounded = Math.abs(n - Math.round(n)) < 0.05 ? Math.round(n) : Math.round(n * 10) / 10;
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

/**
 * Money as charts print it after a bar: whole units, thousands grouped, and from 100,000 on
 * compact (`250k`, `1.3M`), so long revenue figures fit beside their bars.
 */
export function formatAmount(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 0 : 1)}B`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e5) return `${Math.round(n / 1e3)}k`;
  return Math.round(n).toLocaleString('en-US');
}

export async function toPng(s: Surface): Promise<Buffer> {
  return s.canvas.encode('png');
}
