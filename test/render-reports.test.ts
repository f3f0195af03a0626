/**
 * Chat renderings of the reports: charts show money where a manager asks about it (credited
 * value beside last touch, every model's value), the funnel's chart is the `all` row (each
 * person once, not the sum of overlapping cohorts) with the revenue they brought, and the
 * tables carry the funnel's value column and the `all` row. The chart functions are replaced
 * by recorders here, to read what would be drawn.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BarChartOptions, FunnelChartOptions } from '../src/charts/index.js';

const drawn: { bars: BarChartOptions[]; funnels: FunnelChartOptions[] } = { bars: [], funnels: [] };
vi.mock('../src/charts/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/charts/index.js')>();
  return {
    ...real,
    renderBarChart: async (o: BarChartOptions) => (drawn.bars.push(o), Buffer.from('png')),
    renderFunnelChart: async (o: FunnelChartOptions) => (drawn.funnels.push(o), Buffer.from('png')),
  };
});

const { renderAttribution, renderComparison, renderFunnel, renderGroupStats } = await import('../src/commands/render-reports.js');
const { fakeReports } = await import('./support/fake-reports.js');
const { formatAmount } = await import('../src/charts/index.js');

const period = { from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T00:00:00.000Z', label: '30d' };
const text = (answers: Array<{ type: string; text?: string }>): string => answers.find((a) => a.type === 'text')?.text ?? '';

describe('report renderings', () => {
  it('attribution and the models side by side chart credited value by default, conversions on request', async () => {
    const reports = fakeReports();
    const r = await reports.attribution('acme', { period, by: 'group', model: 'linear' });
    drawn.bars.length = 0;
    await renderAttribution(r, { timeZone: 'UTC' });
    expect(drawn.bars[0]?.title).toBe('Credited value by group');
    expect(drawn.bars[0]?.rows.map((x) => x.values)).toEqual([
      [6_000, 4_000],
      [5_400, 7_400],
    ]);
    expect(drawn.bars[0]?.subtitle).toContain('42 conversions worth 12,300 CNY');
    expect(drawn.bars[0]?.format?.(1_234_567)).toBe('1.2M');
    await renderAttribution(r, { timeZone: 'UTC', view: 'conversions' });
    expect(drawn.bars[1]?.title).toBe('Credited conversions by group');
    expect(drawn.bars[1]?.rows.map((x) => x.values)).toEqual([
      [20.5, 12],
      [16.5, 25],
    ]);
    const cmp = await reports.compareModels('acme', { period, by: 'group' });
    await renderComparison(cmp, { timeZone: 'UTC' });
    expect(drawn.bars[2]?.rows[0]?.values).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000]);
  });

  it('the funnel chart is the all row, each person once, with their revenue; the table ends with it', async () => {
    const rows = [
      { key: '-1001', label: '团购群', joined: 300, engaged: 200, clicked: 80, converted: 130, engagedRate: 0.67, clickedRate: 0.27, convertedRate: 0.43, medianDaysToConvert: 5, value: 26_000 },
      { key: '-1002', label: 'VIP', joined: 407, engaged: 150, clicked: 60, converted: 165, engagedRate: 0.37, clickedRate: 0.15, convertedRate: 0.41, medianDaysToConvert: 3, value: 33_000 },
      { key: 'all', label: 'all groups', joined: 400, engaged: 260, clicked: 100, converted: 166, engagedRate: 0.65, clickedRate: 0.25, convertedRate: 0.415, medianDaysToConvert: 4, value: 41_500 },
    ];
    drawn.funnels.length = 0;
    const answers = await renderFunnel({ workspace: 'acme', period, by: 'group', rows, currencies: ['CNY'], notes: ['the latest activity of 3 people are still being rolled up'] }, { timeZone: 'UTC' });
    expect(drawn.funnels[0]?.steps.map((s) => s.value)).toEqual([400, 260, 100, 166]);
    expect(drawn.funnels[0]?.revenue).toBe('revenue 41,500 CNY');
    expect(drawn.funnels[0]?.footnote).toBe('median 4 days from joining to converting');
    const t = text(answers);
    expect(t).toMatch(/VIP\s+407\s+150 37%\s+60 15%\s+165 41%\s+3\s+33,000/);
    expect(t).toMatch(/all \(people\)\s+400\s+260 65%\s+100 25%\s+166 42%\s+4\s+41,500/);
    expect(t).toContain('Note: the latest activity of 3 people are still being rolled up');
    // A report without an all row (an older answer) still draws its single row.
    await renderFunnel({ workspace: 'acme', period, by: 'group', rows: [rows[0] as (typeof rows)[number]] }, { timeZone: 'UTC' });
    expect(drawn.funnels[1]?.steps[0]?.value).toBe(300);
  });

  it('group stats show link clicks and notes', async () => {
    const g = await fakeReports().groupStats('acme', { period });
    const t = text(await renderGroupStats({ ...g, clicks: 17, notes: ['n1'] }, { timeZone: 'UTC', charts: false }));
    expect(t).toContain('link clicks 17');
    expect(t).toContain('Note: n1');
  });

  it('prints money compactly beside bars', () => {
    expect([formatAmount(999), formatAmount(12_345.6), formatAmount(250_400), formatAmount(1_250_000), formatAmount(42_000_000), formatAmount(Number.NaN)]).toEqual(['999', '12,346', '250k', '1.3M', '42M', '–']);
  });
});
