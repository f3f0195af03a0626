/**
 * Server-side PNG charts: valid PNGs of a sensible size, Chinese labels drawn as real
 * glyphs with the bundled font (a missing glyph draws the same empty box for every
 * character, so two labels with the same characters in another order would render
 * identically), and labels cleaned of what the font cannot draw.
 */
import { GlobalFonts, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { CHART_FONT_FAMILY, cleanLabel, ensureChartFont, renderBarChart, renderFunnelChart } from '../src/charts/index.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function size(png: Buffer): Promise<{ width: number; height: number }> {
  const img = await loadImage(png);
  return { width: img.width, height: img.height };
}

const bar = (label: string) => renderBarChart({ title: 'Credited conversions by group', series: ['linear', 'last touch'], rows: [{ label, values: [3, 1] }] });

describe('charts', () => {
  it('registers the bundled CJK font once', () => {
    expect(ensureChartFont()).toBe(CHART_FONT_FAMILY);
    expect(ensureChartFont()).toBe(CHART_FONT_FAMILY);
    expect(GlobalFonts.has(CHART_FONT_FAMILY)).toBe(true);
  });

  it('draws Chinese labels as glyphs, not empty boxes', async () => {
    const a = await bar('团购群');
    const b = await bar('群购团');
    const c = await bar('团购群');
    expect(a.equals(c)).toBe(true);
    expect(a.equals(b)).toBe(false);
  });

  it('renders a grouped bar chart as a PNG whose height grows with its rows, capped by maxRows', async () => {
    const rows = Array.from({ length: 20 }, (_, i) => ({ label: `品牌粉丝群 ${i}`, values: [20 - i, i] }));
    const small = await renderBarChart({ title: 't', series: ['linear', 'last touch'], rows: rows.slice(0, 2) });
    const big = await renderBarChart({ title: 't', subtitle: '30d', series: ['linear', 'last touch'], rows, maxRows: 12 });
    const capped = await renderBarChart({ title: 't', subtitle: '30d', series: ['linear', 'last touch'], rows: rows.slice(0, 12), maxRows: 12 });
    expect(small.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const s = await size(small);
    const g = await size(big);
    expect(s.width).toBe(960);
    expect(g.height).toBeGreaterThan(s.height);
    // 20 rows with maxRows 12 draw 12 rows plus a footnote line.
    expect(g.height).toBe((await size(capped)).height + 36);
  });

  it('renders a funnel and copes with empty and odd values', async () => {
    const f = await renderFunnelChart({ title: '漏斗 · 团购群', steps: [{ label: 'joined', value: 0 }, { label: 'engaged', value: Number.NaN }, { label: 'clicked', value: -1 }, { label: 'converted', value: 0 }] });
    expect(f.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const empty = await renderBarChart({ title: 'nothing', series: ['a'], rows: [] });
    expect((await size(empty)).width).toBe(960);
  });

  it('cleans labels of emoji and control characters the font cannot draw', () => {
    expect(cleanLabel('🎉 团购群\u200d Deals 👍🏽\n')).toBe('团购群 Deals');
    expect(cleanLabel('🔥🔥')).toBe('(none)');
  });
});
