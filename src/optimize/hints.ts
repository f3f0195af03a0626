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
import type { Lang } from '../i18n/index.js';
import type { LiftRow } from './keyword-lift.js';
import { MIN_CONVERSIONS, type CampaignRoasRow, type Confidence, type Hint, type HintFacts } from './optimize-types.js';
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
const ratio = (x: number | null): string => (x === null ? '∞' : (x + 1).toFixed(1));
const CONFIDENCE_ZH: Record<Confidence, string> = { high: '高', medium: '中', low: '低' };

/**
 * A hint's sentence and confidence note in `lang` (default English), worded from its
 * structured facts; names (groups, campaigns, keywords) as written. A hint without facts
 * keeps the words it came with.
 */
export function hintText(h: Pick<Hint, 'subjectLabel' | 'n' | 'confidence' | 'label' | 'confidenceNote' | 'facts'>, lang: Lang = 'en'): { label: string; confidenceNote: string } {
  const f = h.facts;
  if (!f) return { label: h.label, confidenceNote: h.confidenceNote };
  const { subjectLabel: name, n, confidence } = h;
  const zh = lang === 'zh';
  const c = zh ? CONFIDENCE_ZH[confidence] : confidence;
  switch (f.rule) {
    case 'last-click-gap': {
      const gap = Math.abs(pts(f.markov) - pts(f.lastTouch));
      const up = f.markov - f.lastTouch > 0;
      return zh
        ? {
            label: `Markov 模型给 ${name} ${pct(f.markov)} 的转化，最后点击给 ${pct(f.lastTouch)}：最后点击${up ? '低估' : '高估'}了它 ${gap} 个百分点（n=${n}）`,
            confidenceNote: `${c}：n=${n} 时，占比随机波动约 ±${pts(f.margin)} 个百分点`,
          }
        : {
            label: `Markov gives ${name} ${pct(f.markov)} of conversions, last click ${pct(f.lastTouch)}: last click ${up ? 'undervalues' : 'overvalues'} it by ${gap} points (n=${n})`,
            confidenceNote: `${c}: shares move by about ±${pts(f.margin)} points by chance at n=${n}`,
          };
    }
    case 'roas-below-one': {
      const range = f.low === f.high ? `${f.high.toFixed(1)}` : `${f.low.toFixed(1)}–${f.high.toFixed(1)}`;
      return zh
        ? {
            label: `${name}：在每个归因模型下 ROAS 都只有 ${range}，建议停投或调整（n=${n}）`,
            confidenceNote: `${c}：${f.models} 个模型中有 ROAS 的 ${f.withRoas} 个全部低于 1，基于 ${n} 个转化`,
          }
        : {
            label: `${name}: ROAS ${range} under every model — cut or change it (n=${n})`,
            confidenceNote: `${c}: below 1 under all ${f.withRoas} of ${f.models} models with a ROAS, on ${n} conversions`,
          };
    }
    case 'keyword-lift':
      return zh
        ? {
            label: `问到 ${name} 的成员转化率是对照组的 ${ratio(f.lift)} 倍（${ratio(f.liftLow)}–${ratio(f.liftHigh)}）；${f.treated} 人对比 ${f.controls} 人`,
            confidenceNote: `${c}：该倍数的 95% bootstrap 区间为 ${ratio(f.liftLow)}–${ratio(f.liftHigh)}，全部高于 1`,
          }
        : {
            label: `members who ask ${name} convert ${ratio(f.lift)}× their controls (${ratio(f.liftLow)}–${ratio(f.liftHigh)}); ${f.treated} vs ${f.controls} people`,
            confidenceNote: `${c}: 95% bootstrap interval of the ratio ${ratio(f.liftLow)}–${ratio(f.liftHigh)}, all above 1`,
          };
    case 'engaged-not-clicking':
      return zh
        ? {
            label: `${name}：${pct(f.engaged)} 的入群成员发过言，但只有 ${pct(f.clicked)} 点击过链接——发一条可追踪链接吧（n=${n} 人入群）`,
            confidenceNote: `${c}：点击率 ${pct(f.clicked)}，95% 区间 ${pct(f.clickedLow)}–${pct(f.clickedHigh)}`,
          }
        : {
            label: `${name}: ${pct(f.engaged)} engaged but ${pct(f.clicked)} clicked — post a tracked link (n=${n} joined)`,
            confidenceNote: `${c}: click rate ${pct(f.clicked)}, 95% interval ${pct(f.clickedLow)}–${pct(f.clickedHigh)}`,
          };
  }
}

/** A hint worded in English from its facts. */
function hint(h: Omit<Hint, 'label' | 'confidenceNote' | 'facts'> & { facts: HintFacts }): Hint {
  const { label, confidenceNote } = hintText({ ...h, label: '', confidenceNote: '' });
  return { key: h.key, rule: h.rule, subject: h.subject, subjectLabel: h.subjectLabel, label, n: h.n, confidence: h.confidence, confidenceNote, numbers: h.numbers, facts: h.facts };
}

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
    out.push(
      hint({
        key: `last-click-gap:${by}:${r.key}`,
        rule: 'last-click-gap',
        subject: r.key,
        subjectLabel: r.label,
        n,
        confidence,
        numbers: { markov_share: round2(m), last_touch_share: round2(l), difference_points: pts(m) - pts(l) },
        facts: { rule: 'last-click-gap', by, markov: m, lastTouch: l, margin },
      }),
    );
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
    const confidence: Confidence = r.conversions >= 100 ? 'high' : 'medium';
    out.push(
      hint({
        key: `roas-below-one:${r.campaign}`,
        rule: 'roas-below-one',
        subject: r.campaign,
        subjectLabel: r.campaign,
        n: r.conversions,
        confidence,
        numbers: { roas_min: round2(lo), roas_max: round2(hi) },
        facts: { rule: 'roas-below-one', low: lo, high: hi, withRoas: values.length, models },
      }),
    );
  }
  return out;
}

/** (c) Keywords whose lift interval is entirely above 0. */
export function liftHints(rows: readonly LiftRow[]): Hint[] {
  const out: Hint[] = [];
  for (const r of rows) {
    if (r.lift === null || r.liftLow === null || !(r.liftLow > 0)) continue;
    const width = r.liftHigh === null ? Number.POSITIVE_INFINITY : r.liftHigh - r.liftLow;
    const confidence: Confidence = r.liftLow >= 0.5 && width <= r.lift + 1 ? 'high' : 'medium';
    out.push(
      hint({
        key: `keyword-lift:${r.keyword}`,
        rule: 'keyword-lift',
        subject: r.keyword,
        subjectLabel: r.keyword,
        n: r.treated + r.controls,
        confidence,
        numbers: { ratio: round2(r.lift + 1), lift: round2(r.lift), lift_low: round2(r.liftLow), lift_high: r.liftHigh === null ? null : round2(r.liftHigh), treated: r.treated, controls: r.controls },
        facts: { rule: 'keyword-lift', lift: r.lift, liftLow: r.liftLow, liftHigh: r.liftHigh, treated: r.treated, controls: r.controls },
      }),
    );
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
    out.push(
      hint({
        key: `engaged-not-clicking:${r.key}`,
        rule: 'engaged-not-clicking',
        subject: r.key,
        subjectLabel: r.label,
        n: r.joined,
        confidence,
        numbers: { joined: r.joined, engaged_rate: round2(e), clicked_rate: round2(c) },
        facts: { rule: 'engaged-not-clicking', engaged: e, clicked: c, clickedLow: ci.low, clickedHigh: ci.high },
      }),
    );
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
