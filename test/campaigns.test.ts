/**
 * Campaign cards, cohorts and paths on the hand-checked community of
 * `support/campaign-data.ts`: every figure below is worked out by hand from those rows. The
 * same figures come out of the counters (after a full build) and out of raw rows (before any
 * build: every day read raw), so the counters' new parts count what the raw rows say.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { createCampaignReports, setSpend, type CampaignReports } from '../src/campaigns/index.js';
import { parsePeriod } from '../src/reports/period.js';
import { rebuildCounters } from '../src/reports/rollup.js';
import { createMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { CW, NOW, SETTINGS, loadCampaignData } from './support/campaign-data.js';

const MARCH = parsePeriod('2026-03-01..2026-03-31', NOW, 'UTC');
const near = (a: number | null | undefined, b: number, digits = 3): void => {
  expect(a).not.toBeNull();
  expect(a as number).toBeCloseTo(b, digits);
};

async function setUp(built: boolean): Promise<{ store: Store; reports: CampaignReports }> {
  const store = createMemoryStore();
  await loadCampaignData(store);
  await store.campaigns.records.put(CW, { workspace: CW, name: 'spring', goal: 'awareness', target: { metric: 'joins', value: 3 }, updatedBy: 'test', updatedAt: NOW.toISOString() });
  await store.campaigns.records.put(CW, { workspace: CW, name: 'kol', goal: 'conversion', target: { metric: 'roas', value: 2 }, updatedBy: 'test', updatedAt: NOW.toISOString() });
  // 1000 over ten days: 100 a day, all inside March.
  await setSpend(store, { workspace: CW, campaign: 'spring', amount: 1000, currency: 'CNY', days: ['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10'], source: 'test', at: NOW });
  if (built) await rebuildCounters({ store, timeZoneOf: () => 'UTC', now: () => NOW }, CW);
  return { store, reports: createCampaignReports(store, () => SETTINGS) };
}

// Figures of distinct people (joins, retention, funnel, cohorts) come from the people's facts the rollup keeps.
describe('campaign cards and cohorts (people from the counters)', () => {
  let reports: CampaignReports;
  beforeEach(async () => {
    ({ reports } = await setUp(true));
  });

  it('spring: joins by platform, day-7/day-30 retention, funnel, revenue, CAC and ROAS under every model, the headline', async () => {
    const r = await reports.cards(CW, { period: MARCH, now: NOW });
    const spring = r.rows.find((c) => c.key === 'spring');
    if (!spring) throw new Error('no spring card');
    expect([spring.goal, spring.joins, spring.joinsByPlatform]).toEqual(['awareness', 3, { telegram: 2, whatsapp: 1 }]);
    // Day 7: p1 (left day 18) and p2 in, p3 (left day 2) out; day 30: only p2.
    expect(spring.retainedD7).toEqual({ share: 0.6667, people: 3 });
    expect(spring.retainedD30).toEqual({ share: 0.3333, people: 3 });
    expect([spring.engaged, spring.clicked, spring.converted, spring.medianDaysToConvert]).toEqual([2, 0, 2, 6.5]);
    // c1 + c2 wholly spring (2 conversions, 400); c3's click is spring's share of 200.
    const want = { first_touch: [2, 400], last_touch: [3, 600], linear: [7 / 3, 1400 / 3], position_based: [2.4, 480], time_decay: [2.5, 500], markov: [2.4, 480], shapley: [7 / 3, 1400 / 3] } as const;
    for (const [m, [conv, rev]] of Object.entries(want)) {
      near(spring.credited[m as keyof typeof want], conv);
      near(spring.revenue[m as keyof typeof want], rev);
      near(spring.cac[m as keyof typeof want], 1000 / conv, 2);
      near(spring.roas[m as keyof typeof want], rev / 1000, 4);
    }
    expect(spring.spend).toBe(1000);
    near(spring.costPerJoin, 333.3333);
    expect(spring.headline).toBe('awareness: 3 joins, ¥333 per join, 33% still in at day 30 — target 3 joins ✔');
    expect(spring.targetMet).toBe(true);
  });

  it('kol: no spend entered shows null (never 0) and the ROAS target is not measurable; summer has a record and nothing else', async () => {
    const r = await reports.cards(CW, { period: MARCH, now: NOW });
    const kol = r.rows.find((c) => c.key === 'kol');
    expect(kol && [kol.joins, kol.engaged, kol.clicked, kol.converted, kol.medianDaysToConvert, kol.spend, kol.cac.linear, kol.roas.linear, kol.retainedD30.share]).toEqual([1, 1, 1, 1, 5, null, null, null, 1]);
    near(kol?.revenue.first_touch, 200);
    near(kol?.revenue.last_touch, 0);
    near(kol?.credited.position_based, 0.6);
    expect(kol?.headline).toBe('conversion: 1 converted, no spend entered — target ROAS 2: not measurable yet');
    expect(r.rows.map((c) => c.key)).toEqual(['spring', 'kol']);
    expect(r.rows.some((c) => c.key === '(none)')).toBe(false);
  });

  it('cohorts by join campaign: share still in and share who wrote, per week since joining', async () => {
    const c = await reports.cohorts(CW, { period: MARCH, by: 'campaign', now: NOW, weeks: 5 });
    const spring = c.rows.find((r) => r.key === 'spring');
    expect(spring?.joined).toBe(3);
    expect(spring?.weeks).toEqual([
      { week: 0, member: 0.6667, active: 0.3333, people: 3 },
      { week: 1, member: 0.6667, active: 0.3333, people: 3 },
      { week: 2, member: 0.3333, active: 0, people: 3 },
      { week: 3, member: 0.3333, active: 0, people: 3 },
      { week: 4, member: 0.3333, active: 0, people: 3 },
    ]);
    expect(c.rows.find((r) => r.key === 'kol')?.weeks.slice(0, 2)).toEqual([
      { week: 0, member: 1, active: 1, people: 1 },
      { week: 1, member: 1, active: 0, people: 1 },
    ]);
    expect(c.rows.find((r) => r.key === '(none)')?.weeks[0]).toEqual({ week: 0, member: 1, active: 1, people: 1 });
  });

  it('cohorts by join week: each person once, in the local week of their first join; weeks not ended yet are left out', async () => {
    const c = await reports.cohorts(CW, { period: MARCH, by: 'week', now: NOW, weeks: 3 });
    expect(c.rows.map((r) => [r.key, r.joined])).toEqual([
      ['2026-03-02', 3],
      ['2026-03-09', 1],
      ['2026-03-23', 1],
    ]);
    expect(c.rows[0]?.weeks[0]).toEqual({ week: 0, member: 0.6667, active: 0.3333, people: 3 });
    // On 2026-04-01 the 03-25 joiner has finished week 0 only.
    const early = await reports.cohorts(CW, { period: MARCH, by: 'week', now: new Date('2026-04-01T09:00:00Z'), weeks: 3 });
    expect(early.rows.find((r) => r.key === '2026-03-23')?.weeks.map((w) => w.week)).toEqual([0]);
  });

});

// Day figures (credit, paths) are exact from the counters and from raw rows alike.
describe.each([
  ['from the counters', true],
  ['from raw rows (counters never built)', false],
])('paths and ROAS %s', (_name, built) => {
  let reports: CampaignReports;
  beforeEach(async () => {
    ({ reports } = await setUp(built));
  });

  it('paths by campaign: time lag, path length, top paths, assists, assist ratio and model sensitivity', async () => {
    const p = await reports.paths(CW, { period: MARCH, by: 'campaign' });
    expect(p.conversions).toBe(3);
    // c1: 3 days, c3: 5 days, c2: 10 days.
    expect(p.timeLag).toEqual([
      { bucket: '0', conversions: 0 },
      { bucket: '1', conversions: 0 },
      { bucket: '2-3', conversions: 1 },
      { bucket: '4-7', conversions: 1 },
      { bucket: '8-14', conversions: 1 },
      { bucket: '15-30', conversions: 0 },
      { bucket: '31+', conversions: 0 },
    ]);
    expect(p.pathLength.filter((b) => b.conversions > 0)).toEqual([
      { bucket: '2', conversions: 2 },
      { bucket: '3', conversions: 1 },
    ]);
    expect(p.topPaths).toEqual([
      { steps: ['spring'], labels: ['spring'], conversions: 2, value: 400 },
      { steps: ['kol', 'spring'], labels: ['kol', 'spring'], conversions: 1, value: 200 },
    ]);
    // spring: last touch of all three; share of credit from 2/3 (first touch) to 1 (last touch).
    expect(p.rows.find((r) => r.key === 'spring')).toEqual({ key: 'spring', label: 'spring', assists: 0, lastTouch: 3, assistRatio: 0, sensitivity: 0.3333 });
    expect(p.rows.find((r) => r.key === 'kol')).toEqual({ key: 'kol', label: 'kol', assists: 1, lastTouch: 0, assistRatio: null, sensitivity: 0.3333 });
  });

  it('paths by keyword and by group: keyword steps, assists of steps without keywords, one group path for c3', async () => {
    const k = await reports.paths(CW, { period: MARCH, by: 'keyword' });
    expect(k.topPaths.map((x) => [x.steps.join('>'), x.conversions])).toEqual([
      ['price', 2],
      ['包邮', 1],
    ]);
    expect(k.rows.find((r) => r.key === 'price')).toMatchObject({ assists: 1, lastTouch: 1, assistRatio: 1 });
    expect(k.rows.find((r) => r.key === '(none)')).toMatchObject({ assists: 2, lastTouch: 1, assistRatio: 2 });
    const g = await reports.paths(CW, { period: MARCH, by: 'group' });
    expect(g.topPaths.map((x) => [x.labels.join('>'), x.conversions, x.value])).toEqual([
      ['深圳 VIP群', 2, 400],
      ['-1002', 1, 200],
    ]);
    expect(g.rows.every((r) => r.assists === 0)).toBe(true);
  });

  it('campaignRoas: per campaign, ROAS and credited conversions under every model (null without spend)', async () => {
    const list = await reports.roas(CW, MARCH);
    expect(list.map((r) => r.campaign)).toEqual(['kol', 'spring']);
    const spring = list.find((r) => r.campaign === 'spring');
    near(spring?.roas.last_touch, 0.6);
    near(spring?.conversions.time_decay, 2.5);
    expect(list.find((r) => r.campaign === 'kol')?.roas.markov).toBeNull();
  });
});

describe('goals and targets as written', () => {
  it('reads targets in every documented form and refuses others; the configuration refuses a bad target by name', async () => {
    const { parseTarget } = await import('../src/campaigns/index.js');
    expect(parseTarget('500joins', 'engagement')).toEqual({ metric: 'joins', value: 500 });
    expect(parseTarget('500 joins', null)).toEqual({ metric: 'joins', value: 500 });
    expect(parseTarget('20%@d28', 'awareness')).toEqual({ metric: 'retention', value: 0.2, day: 28 });
    expect(parseTarget('35% day 7', null)).toEqual({ metric: 'retention', value: 0.35, day: 7 });
    expect(parseTarget('roas 3', null)).toEqual({ metric: 'roas', value: 3 });
    expect(parseTarget('2.5x', null)).toEqual({ metric: 'roas', value: 2.5 });
    expect(parseTarget(150, 'awareness')).toEqual({ metric: 'joins', value: 150 });
    expect(parseTarget('3', 'conversion')).toEqual({ metric: 'roas', value: 3 });
    expect(() => parseTarget('3', 'engagement')).toThrow(/500joins/);
    expect(() => parseTarget('150%', null)).toThrow(/at most 100%/);
    const { loadConfig } = await import('../src/config.js');
    const file = JSON.stringify({ workspaces: [{ id: 'cw', campaigns: [{ name: 'spring', goal: 'awareness', target: 'lots' }] }] });
    expect(() => loadConfig({ MIDFUNNEL_CONFIG: 'w.json', MIDFUNNEL_HASH_KEY: 'k'.repeat(32) }, () => file)).toThrow(/target/);
  });

  it('draws the cohort heat map as a PNG with the cohorts in it', async () => {
    const { store } = await setUp(true);
    const reports = createCampaignReports(store, () => SETTINGS);
    const { renderCohorts } = await import('../src/campaigns/index.js');
    const r = await reports.cohorts(CW, { period: MARCH, by: 'campaign', now: NOW, weeks: 4 });
    const answers = await renderCohorts(r, { timeZone: 'UTC', charts: true });
    const photo = answers.find((a) => a.type === 'photo');
    expect(photo?.type === 'photo' && [...photo.png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    const { loadImage, createCanvas } = await import('@napi-rs/canvas');
    const img = await loadImage(photo?.type === 'photo' ? photo.png : Buffer.alloc(0));
    const c = createCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    // The first cohort's week-0 cell (spring, 67% still in) is shaded blue, not white.
    const [red, green, blue] = ctx.getImageData(32 + 230 + 10, 32 + 40 + 30 + 36 + 5, 1, 1).data;
    expect(blue).toBeGreaterThan(200);
    expect(red).toBeLessThan(150);
    expect(green).toBeLessThan(200);
    expect(answers.find((a) => a.type === 'text')?.type).toBe('text');
  });
});
