import { describe, expect, it } from 'vitest';
import { buildHints, engagementHints, lastClickGapHints, liftHints, roasHints, type LiftRow } from '../../src/optimize/index.js';

const liftRow = (o: Partial<LiftRow>): LiftRow => ({ keyword: '包邮', treated: 120, controls: 300, treatedConverted: 30, controlsConverted: 36, treatedRate: 0.25, controlRate: 0.12, lift: 1.1, liftLow: 0.6, liftHigh: 1.7, unmatched: 0, ...o });

describe('hint: last click under/overvalues (Markov vs last-click share)', () => {
  const rows = [
    { key: '-1001', label: '深圳 VIP群', markov: 51.46, lastTouch: 29.88 }, // 31% vs 18%
    { key: '-1002', label: 'Deals EN', markov: 114.54, lastTouch: 136.12 }, // 69% vs 82%
    { key: '(none)', label: '(none)', markov: 0, lastTouch: 0 },
  ];
  it('fires at a gap of 10 points or more, in both directions, with n and a confidence note', () => {
    const h = lastClickGapHints('group', rows, 166);
    expect(h.map((x) => x.label)).toEqual([
      'Markov gives 深圳 VIP群 31% of conversions, last click 18%: last click undervalues it by 13 points (n=166)',
      'Markov gives Deals EN 69% of conversions, last click 82%: last click overvalues it by 13 points (n=166)',
    ]);
    expect(h[0]).toMatchObject({ key: 'last-click-gap:group:-1001', rule: 'last-click-gap', n: 166, numbers: { markov_share: 0.31, last_touch_share: 0.18, difference_points: 13 } });
    expect(h[0]!.confidenceNote).toMatch(/points by chance at n=166/);
  });
  it('stays silent under a 10-point gap, under 30 conversions, and before Markov has credits', () => {
    expect(lastClickGapHints('group', [{ key: 'a', label: 'A', markov: 55, lastTouch: 50 }, { key: 'b', label: 'B', markov: 45, lastTouch: 50 }], 100)).toEqual([]);
    expect(lastClickGapHints('group', rows, 29)).toEqual([]);
    expect(lastClickGapHints('group', rows.map((r) => ({ ...r, markov: 0 })), 166)).toEqual([]);
  });
});

describe('hint: ROAS below 1 under every model', () => {
  const models = { first_touch: 0.8, last_touch: 0.7, linear: 0.8, position_based: 0.8, time_decay: 0.75, markov: 0.9, shapley: 0.85 };
  it('fires for a campaign below 1 under every model that has a ROAS', () => {
    const [h, ...rest] = roasHints([{ campaign: 'kol_anna', conversions: 40, roas: models }, { campaign: 'spring', conversions: 80, roas: { ...models, markov: 1.2 } }]);
    expect(rest).toEqual([]);
    expect(h).toMatchObject({ key: 'roas-below-one:kol_anna', label: 'kol_anna: ROAS 0.7–0.9 under every model — cut or change it (n=40)', n: 40, numbers: { roas_min: 0.7, roas_max: 0.9 } });
  });
  it('stays silent at 1 or above under any model, without spend (null ROAS), or under 30 conversions', () => {
    expect(roasHints([{ campaign: 'a', conversions: 40, roas: { ...models, linear: 1 } }])).toEqual([]);
    expect(roasHints([{ campaign: 'b', conversions: 40, roas: { first_touch: null, last_touch: null } }])).toEqual([]);
    expect(roasHints([{ campaign: 'c', conversions: 29, roas: models }])).toEqual([]);
  });
});

describe('hint: keyword lift', () => {
  it('fires when the interval lies entirely above 0, as a ratio with its interval', () => {
    const [h] = liftHints([liftRow({})]);
    expect(h).toMatchObject({ key: 'keyword-lift:包邮', label: 'members who ask 包邮 convert 2.1× their controls (1.6–2.7); 120 vs 300 people', n: 420, numbers: { ratio: 2.1, lift_low: 0.6, lift_high: 1.7 } });
  });
  it('stays silent when the interval reaches 0 or below', () => {
    expect(liftHints([liftRow({ lift: 0.4, liftLow: 0, liftHigh: 0.9 }), liftRow({ lift: 0.3, liftLow: -0.1, liftHigh: 0.8 }), liftRow({ lift: null, liftLow: null, liftHigh: null })])).toEqual([]);
  });
});

describe('hint: engaged but not clicking', () => {
  it('fires for a group where most joiners write but few click', () => {
    const [h] = engagementHints([{ key: '-1003', label: 'Deals EN', joined: 100, engaged: 80, clicked: 2 }]);
    expect(h).toMatchObject({ key: 'engaged-not-clicking:-1003', label: 'Deals EN: 80% engaged but 2% clicked — post a tracked link (n=100 joined)', numbers: { joined: 100, engaged_rate: 0.8, clicked_rate: 0.02 } });
    expect(h!.confidenceNote).toMatch(/95% interval 1%–7%/);
  });
  it('stays silent when clicks are fine, engagement is low, or fewer than 30 joined', () => {
    expect(engagementHints([{ key: 'a', label: 'A', joined: 100, engaged: 80, clicked: 10 }, { key: 'b', label: 'B', joined: 100, engaged: 30, clicked: 1 }, { key: 'c', label: 'C', joined: 29, engaged: 29, clicked: 0 }, { key: 'all', label: 'all', joined: 500, engaged: 400, clicked: 1 }])).toEqual([]);
  });
});

describe('buildHints', () => {
  const inputs = {
    conversions: 166,
    groupShares: [{ key: '-1001', label: '深圳 VIP群', markov: 51.46, lastTouch: 29.88 }, { key: '-1002', label: 'Deals EN', markov: 114.54, lastTouch: 136.12 }],
    campaignShares: [],
    lift: [liftRow({})],
    groups: [{ key: '-1003', label: 'Deals EN', joined: 100, engaged: 80, clicked: 2 }],
  };
  it('applies every rule, skips ROAS without a provider, and gives nothing under 30 conversions', () => {
    const all = buildHints(inputs);
    expect(all.map((h) => h.rule).sort()).toEqual(['engaged-not-clicking', 'keyword-lift', 'last-click-gap', 'last-click-gap']);
    expect(buildHints({ ...inputs, roas: [{ campaign: 'kol_anna', conversions: 40, roas: { linear: 0.8 } }] }).some((h) => h.rule === 'roas-below-one')).toBe(true);
    expect(buildHints({ ...inputs, conversions: 29 })).toEqual([]);
  });
});
