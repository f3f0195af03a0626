/**
 * Keyword lift: do members who mention a keyword convert more than members like them who do
 * not? Pure (no I/O) over the people's facts the rollup keeps (`PersonFacts`), read by
 * {@link readKeywordLift}.
 *
 * For each keyword mentioned (first time) in the period:
 * - **treated**: people whose first mention of it falls in the period; their anchor is that
 *   mention;
 * - **controls**: people who never mentioned it, in the same stratum as treated people: same
 *   campaign of their first join (`(none)` without one), same join week (Monday-start, in the
 *   workspace's time zone), same activity decile (distinct active days in groups, ranked over
 *   every person with a join). In each stratum the controls (by profile id) are matched in
 *   turn to the treated (by mention time) and take their matched member's anchor;
 * - converted: a matched conversion within `windowDays` (30) after the anchor;
 * - rates: the treated rate over matched treated people; the control rate weighted by stratum
 *   (each stratum counts as many times as it has treated people), so both groups have the same
 *   make-up; lift = treated rate / control rate − 1;
 * - interval: 95% percentile bootstrap, resampling both groups within each stratum, from a
 *   generator seeded by the keyword (the same figures on every run, in any order);
 * - shown only where both groups have at least `minGroup` (30) people.
 * Treated people whose stratum has no control are left out (counted in `unmatched`).
 */
import type { PersonFacts } from '../store/store.js';
import { dayFinder } from '../reports/local-days.js';
import { quantile, seededRandom, seedOf } from './stats.js';

const DAY_MS = 86_400_000;

/** What lift needs of one person. */
export interface LiftPerson {
  profileId: string;
  /** Their first join into any group (ISO). */
  joinAt: string;
  campaign: string | null;
  /** Distinct local days active in groups. */
  activity: number;
  /** First mention per keyword (ISO). */
  mentions: ReadonlyMap<string, string>;
  /** Their matched conversions (ISO), ascending. */
  conversions: readonly string[];
}

/** The people of facts who joined a group at least once. */
export function liftPeople(facts: Iterable<PersonFacts>): LiftPerson[] {
  const out: LiftPerson[] = [];
  for (const f of facts) {
    let first: { at: string; campaign: string | null } | undefined;
    for (const m of f.memberships) for (const j of m.joins) if (!first || j.at < first.at) first = { at: j.at, campaign: j.campaign };
    if (!first) continue;
    out.push({
      profileId: f.profileId,
      joinAt: first.at,
      campaign: first.campaign,
      activity: f.activeDays.length,
      mentions: new Map((f.keywords ?? []).map((k) => [k.keyword, k.at])),
      conversions: f.conversions.map((c) => c.at),
    });
  }
  return out;
}

export interface LiftOptions {
  /** The period of first mentions, `[from, to)` ISO. */
  from: string;
  to: string;
  /** Time zone of join weeks. */
  timeZone: string;
  /** Days after the anchor a conversion counts in; default 30. */
  windowDays?: number;
  /** Fewest people in each group for a keyword to be shown; default 30. */
  minGroup?: number;
  /** Bootstrap resamples; default 1,000. */
  resamples?: number;
  /** Base seed of the bootstrap; default 20260301. */
  seed?: number;
}

export interface LiftRow {
  keyword: string;
  /** Matched treated people and their controls. */
  treated: number;
  controls: number;
  treatedConverted: number;
  controlsConverted: number;
  treatedRate: number;
  /** Stratum-weighted control conversion rate. */
  controlRate: number;
  /** treatedRate / controlRate − 1; null when no control converted. */
  lift: number | null;
  /** 95% bootstrap interval; `liftHigh` null when unbounded (controls converting 0 in many resamples). */
  liftLow: number | null;
  liftHigh: number | null;
  /** Treated people left out because no control shared their stratum. */
  unmatched: number;
}

export interface LiftResult {
  /** Keywords with both groups at or above `minGroup`, highest lift first. */
  rows: LiftRow[];
  /** Keywords mentioned in the period but with too few people in a group. */
  tooFew: Array<{ keyword: string; treated: number; controls: number }>;
}

/** Monday (`YYYY-MM-DD`) of a local day's week. */
function weekOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const dow = d.getUTCDay() || 7;
  return new Date(d.getTime() - (dow - 1) * DAY_MS).toISOString().slice(0, 10);
}

/** Whether any conversion is in (anchor, anchor + window]. */
function convertedAfter(conversions: readonly string[], anchorMs: number, windowMs: number): boolean {
  for (const c of conversions) {
    const t = Date.parse(c);
    if (t > anchorMs && t <= anchorMs + windowMs) return true;
  }
  return false;
}

/** A Binomial(n, p) draw: exact for small variance, the normal approximation above it. */
function binomialDraw(n: number, p: number, rand: () => number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  const v = n * p * (1 - p);
  if (v > 25) {
    const u1 = Math.max(rand(), 1e-12);
    const u2 = rand();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.min(n, Math.max(0, Math.round(n * p + z * Math.sqrt(v))));
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
}

interface Stratum {
  treated: number;
  treatedConv: number;
  controls: number;
  controlsConv: number;
}

function ratesOf(strata: readonly Stratum[]): { t: number; c: number } {
  let T = 0;
  let tc = 0;
  let cw = 0;
  for (const s of strata) {
    T += s.treated;
    tc += s.treatedConv;
    cw += s.treated * (s.controlsConv / s.controls);
  }
  return T === 0 ? { t: 0, c: 0 } : { t: tc / T, c: cw / T };
}

/** Keyword lift over `people` (see the header). */
export function keywordLift(people: readonly LiftPerson[], options: LiftOptions): LiftResult {
  const windowMs = (options.windowDays ?? 30) * DAY_MS;
  const minGroup = options.minGroup ?? 30;
  const B = options.resamples ?? 1_000;
  const dayOf = dayFinder(options.timeZone);
  // Activity deciles: the share of people less active than this one, in tenths.
  const sortedActivity = people.map((p) => p.activity).sort((a, b) => a - b);
  const below = (v: number): number => {
    let lo = 0;
    let hi = sortedActivity.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sortedActivity[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const stratumOf = new Map<string, string>();
  for (const p of people) {
    const decile = Math.min(9, Math.floor((10 * below(p.activity)) / people.length));
    stratumOf.set(p.profileId, `${p.campaign ?? '\u0000none'}\u0001${weekOf(dayOf(Date.parse(p.joinAt)))}\u0001${decile}`);
  }
  const byId = (a: LiftPerson, b: LiftPerson): number => (a.profileId < b.profileId ? -1 : a.profileId > b.profileId ? 1 : 0);
  const ordered = [...people].sort(byId);
  const keywords = new Set<string>();
  for (const p of people) for (const [k, at] of p.mentions) if (at >= options.from && at < options.to) keywords.add(k);

  const rows: LiftRow[] = [];
  const tooFew: LiftResult['tooFew'] = [];
  for (const keyword of [...keywords].sort()) {
    const treatedBy = new Map<string, Array<{ p: LiftPerson; at: string }>>();
    const controlsBy = new Map<string, LiftPerson[]>();
    for (const p of ordered) {
      const s = stratumOf.get(p.profileId) as string;
      const at = p.mentions.get(keyword);
      if (at === undefined) {
        const list = controlsBy.get(s);
        if (list) list.push(p);
        else controlsBy.set(s, [p]);
      } else if (at >= options.from && at < options.to) {
        const list = treatedBy.get(s);
        if (list) list.push({ p, at });
        else treatedBy.set(s, [{ p, at }]);
      }
    }
    const strata: Stratum[] = [];
    let unmatched = 0;
    for (const [s, treated] of [...treatedBy].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const controls = controlsBy.get(s);
      if (!controls || controls.length === 0) {
        unmatched += treated.length;
        continue;
      }
      treated.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : byId(a.p, b.p)));
      const st: Stratum = { treated: treated.length, treatedConv: 0, controls: controls.length, controlsConv: 0 };
      for (const t of treated) if (convertedAfter(t.p.conversions, Date.parse(t.at), windowMs)) st.treatedConv++;
      controls.forEach((c, i) => {
        const anchor = (treated[i % treated.length] as { at: string }).at;
        if (convertedAfter(c.conversions, Date.parse(anchor), windowMs)) st.controlsConv++;
      });
      strata.push(st);
    }
    const T = strata.reduce((s, x) => s + x.treated, 0);
    const C = strata.reduce((s, x) => s + x.controls, 0);
    if (T < minGroup || C < minGroup) {
      tooFew.push({ keyword, treated: T, controls: C });
      continue;
    }
    const { t, c } = ratesOf(strata);
    const rand = seededRandom(seedOf(keyword, options.seed ?? 20260301));
    const lifts: number[] = [];
    for (let b = 0; b < B; b++) {
      const re = strata.map((s) => ({
        treated: s.treated,
        treatedConv: binomialDraw(s.treated, s.treatedConv / s.treated, rand),
        controls: s.controls,
        controlsConv: binomialDraw(s.controls, s.controlsConv / s.controls, rand),
      }));
      const r = ratesOf(re);
      lifts.push(r.c > 0 ? r.t / r.c - 1 : r.t > 0 ? Number.POSITIVE_INFINITY : Number.NaN);
    }
    const finite = lifts.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const low = quantile(finite, 0.025);
    const high = quantile(finite, 0.975);
    rows.push({
      keyword,
      treated: T,
      controls: C,
      treatedConverted: strata.reduce((s, x) => s + x.treatedConv, 0),
      controlsConverted: strata.reduce((s, x) => s + x.controlsConv, 0),
      treatedRate: t,
      controlRate: c,
      lift: c > 0 ? t / c - 1 : null,
      liftLow: Number.isFinite(low) ? low : null,
      liftHigh: Number.isFinite(high) ? high : null,
      unmatched,
    });
  }
  rows.sort((a, b) => (b.lift ?? Number.MAX_VALUE) - (a.lift ?? Number.MAX_VALUE) || (a.keyword < b.keyword ? -1 : 1));
  return { rows, tooFew };
}
