/**
 * Optimization hints: a short list of evidence-based statements, each with its numbers and a
 * confidence note. The rules are pure functions over report rows (no I/O), so each is tested
 * on data whose right answer is known; {@link buildHints} applies them all.
 *
 * No hint rests on fewer than {@link MIN_CONVERSIONS} conversions: with fewer matched
 * conversions in the period there are no hints at all, and each rule has its own floor:
 * - `last-click-gap`: a group or campaign whose share of conversions under the data-driven
 *   model (Markov) and under last click differ by ≥ 10 points (n: the period's matched
 *   conversions);
 * - `roas-below-one`: a campaign whose ROAS is below 1 under every model that has one, with
 *   at least 30 conversions of its own (rows from the campaign report, through a provider);
 * - `keyword-lift`: a keyword whose lift interval lies entirely above 0 (both groups ≥ 30 people);
 * - `engaged-not-clicking`: a group where ≥ 50% of the people who joined wrote there but ≤ 5%
 *   clicked a tracked link, with at least 30 people joined.
 */
import type { LiftRow } from './keyword-lift.js';
import { MIN_CONVERSIONS, type CampaignRoasRow, type Confidence, type Hint } from './optimize-types.js';
import { wilson } from './stats.js';

/** Share gap (0..1) at which last click is said to under- or overvalue a row. */
export const SHARE_GAP = 0.1;
/** Engaged share from which a group counts as engaged… */
export const ENGAGED_AT_LEAST = 0.5;
/** …and clicked share at or under which it counts as not clicking. */
export const CLICKED_AT_MOST = 0.05;
/** Fewest people joined for `engaged-not-clicking`. */
export const MIN_JOINED = 30;
/** Most hints listed. */
export const MAX_HINTS = 8;

/** A row's conversions under Markov and under last click. */
export interface ShareRow {
  key: string;
  label: string;
  markov: number;
  lastTouch: number;
}

const pts = (x: number): number => Math.round(x * 100);
const pct = (x: number): string => `${pts(x)}%`;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * (a) Markov vs last click: shares of the period's conversions per row. `n` is the period's
 * matched conversions. Rows keyed `(none)` are left out (credit without a group or campaign).
 */
export function lastClickGapHints(by: 'group' | 'campaign', rows: readonly ShareRow[], n: number): Hint[] {
  if (n < MIN_CONVERSIONS) return [];
  const markovTotal = rows.reduce((s, r) => s + r.markov, 0);
  const lastTotal = rows.reduce((s, r) => s + r.lastTouch, 0);
  if (markovTotal <= 0 || lastTotal <= 0) return [];
  const out: Hint[] = [];
  for (const r of rows) {
    if (r.key === '(none)') continue;
    const m = r.markov / markovTotal;
    const l = r.lastTouch / lastTotal;
    const gap = m - l;
    if (Math.abs(gap) < SHARE_GAP - 1e-9) continue;
    // Chance movement of each share at this many conversions (95%), taken as independent: conservative.
    const margin = 1.96 * Math.sqrt((m * (1 - m) + l * (1 - l)) / n);
    const confidence: Confidence = Math.abs(gap) >= 2 * margin ? 'high' : Math.abs(gap) >= margin ? 'medium' : 'low';
    const verb = gap > 0 ? 'undervalues' : 'overvalues';
    out.push({
      key: `last-click-gap:${by}:${r.key}`,
      rule: 'last-click-gap',
      subject: r.key,
      subjectLabel: r.label,
      label: `Markov gives ${r.label} ${pct(m)} of conversions, last click ${pct(l)}: last click ${verb} it by ${Math.abs(pts(m) - pts(l))} points (n=${n})`,
      n,
      confidence,
      confidenceNote: `${confidence}: shares move by about ±${pts(margin)} points by chance at n=${n}`,
      numbers: { markov_share: round2(m), last_touch_share: round2(l), difference_points: pts(m) - pts(l) },
    });
  }
  return out;
}

/** (b) Campaigns with ROAS below 1 under every model that has a ROAS (at least one). */
export function roasHints(rows: readonly CampaignRoasRow[]): Hint[] {
  const out: Hint[] = [];
  for (const r of rows) {
    if (r.conversions < MIN_CONVERSIONS) continue;
    const values = Object.values(r.roas).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length === 0 || values.some((v) => v >= 1)) continue;
    const hi = Math.max(...values);
    const lo = Math.min(...values);
    const models = Object.keys(r.roas).length;
    const range = lo === hi ? `${hi.toFixed(1)}` : `${lo.toFixed(1)}–${hi.toFixed(1)}`;
    const confidence: Confidence = r.conversions >= 100 ? 'high' : 'medium';
    out.push({
      key: `roas-below-one:${r.campaign}`,
      rule: 'roas-below-one',
      subject: r.campaign,
      subjectLabel: r.campaign,
      label: `${r.campaign}: ROAS ${range} under every model — cut or change it (n=${r.conversions})`,
      n: r.conversions,
      confidence,
      confidenceNote: `${confidence}: below 1 under all ${values.length} of ${models} models with a ROAS, on ${r.conversions} conversions`,
      numbers: { roas_min: round2(lo), roas_max: round2(hi) },
    });
  }
  return out;
}

/** (c) Keywords whose lift interval is entirely above 0. */
export function liftHints(rows: readonly LiftRow[]): Hint[] {
  const out: Hint[] = [];
  for (const r of rows) {
    if (r.lift === null || r.liftLow === null || !(r.liftLow > 0)) continue;
    const ratio = (x: number | null): string => (x === null ? '∞' : (x + 1).toFixed(1));
    const width = r.liftHigh === null ? Number.POSITIVE_INFINITY : r.liftHigh - r.liftLow;
    const confidence: Confidence = r.liftLow >= 0.5 && width <= r.lift + 1 ? 'high' : 'medium';
    out.push({
      key: `keyword-lift:${r.keyword}`,
      rule: 'keyword-lift',
      subject: r.keyword,
      subjectLabel: r.keyword,
      label: `members who ask ${r.keyword} convert ${ratio(r.lift)}× their controls (${ratio(r.liftLow)}–${ratio(r.liftHigh)}); ${r.treated} vs ${r.controls} people`,
      n: r.treated + r.controls,
      confidence,
      confidenceNote: `${confidence}: 95% bootstrap interval of the ratio ${ratio(r.liftLow)}–${ratio(r.liftHigh)}, all above 1`,
      numbers: { ratio: round2(r.lift + 1), lift: round2(r.lift), lift_low: round2(r.liftLow), lift_high: r.liftHigh === null ? null : round2(r.liftHigh), treated: r.treated, controls: r.controls },
    });
  }
  return out;
}

/** A group's funnel: people who joined, of them engaged (wrote) and clicked. */
export interface EngagementRow {
  key: string;
  label: string;
  joined: number;
  engaged: number;
  clicked: number;
}

/** (d) Groups whose joiners write but do not click. */
export function engagementHints(rows: readonly EngagementRow[]): Hint[] {
  const out: Hint[] = [];
  for (const r of rows) {
    if (r.key === 'all' || r.joined < MIN_JOINED) continue;
    const e = r.engaged / r.joined;
    const c = r.clicked / r.joined;
    if (e < ENGAGED_AT_LEAST || c > CLICKED_AT_MOST) continue;
    const ci = wilson(r.clicked, r.joined) as { low: number; high: number };
    const confidence: Confidence = ci.high <= 2 * CLICKED_AT_MOST ? 'high' : 'medium';
    out.push({
      key: `engaged-not-clicking:${r.key}`,
      rule: 'engaged-not-clicking',
      subject: r.key,
      subjectLabel: r.label,
      label: `${r.label}: ${pct(e)} engaged but ${pct(c)} clicked — post a tracked link (n=${r.joined} joined)`,
      n: r.joined,
      confidence,
      confidenceNote: `${confidence}: click rate ${pct(c)}, 95% interval ${pct(ci.low)}–${pct(ci.high)}`,
      numbers: { joined: r.joined, engaged_rate: round2(e), clicked_rate: round2(c) },
    });
  }
  return out;
}

/** What the rules read for one period. */
export interface HintInputs {
  /** Matched conversions in the period. */
  conversions: number;
  groupShares: readonly ShareRow[];
  campaignShares: readonly ShareRow[];
  /** Campaign ROAS rows; absent: the ROAS rule is skipped. */
  roas?: readonly CampaignRoasRow[];
  lift: readonly LiftRow[];
  groups: readonly EngagementRow[];
}

const LEVEL: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };

/**
 * Every rule over the inputs; none under {@link MIN_CONVERSIONS} matched conversions. Ordered
 * by confidence, then rule order, then subject; at most {@link MAX_HINTS}.
 */
export function buildHints(inputs: HintInputs): Hint[] {
  if (inputs.conversions < MIN_CONVERSIONS) return [];
  const all = [
    ...lastClickGapHints('group', inputs.groupShares, inputs.conversions),
    ...lastClickGapHints('campaign', inputs.campaignShares, inputs.conversions),
    ...(inputs.roas ? roasHints(inputs.roas) : []),
    ...liftHints(inputs.lift),
    ...engagementHints(inputs.groups),
  ];
  const order = (h: Hint): number => ['last-click-gap', 'roas-below-one', 'keyword-lift', 'engaged-not-clicking'].indexOf(h.rule);
  return all
    .map((h, i) => ({ h, i }))
    .sort((a, b) => LEVEL[a.h.confidence] - LEVEL[b.h.confidence] || order(a.h) - order(b.h) || a.i - b.i)
    .slice(0, MAX_HINTS)
    .map((x) => x.h);
}
