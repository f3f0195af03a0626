/**
 * Paths: how converting journeys look (GA4's path reports, on chat touches), from the day
 * counters of the period's conversions (`journeys`, `paths`, `assists` and the credit parts):
 * - time lag: whole days (24 h) from a journey's first step to its conversion, in buckets
 *   0, 1, 2–3, 4–7, 8–14, 15–30, 31+;
 * - path length: steps in the journey, in buckets 1, 2, 3, 4, 5–7, 8+;
 * - top converting paths by group, campaign or keyword (steps' keys in time order, consecutive
 *   repeats collapsed), the 10 with most conversions;
 * - per row of that dimension: assists (converting journeys it was in but not in their last
 *   step), last-touch conversions, the assist ratio (assists ÷ last-touch conversions; null when
 *   it has none), and model sensitivity (its largest minus its smallest share of credited
 *   conversions across the seven models; models not fitted yet are left out).
 * A conversion without steps (matched, nothing in the lookback window) has no path and is not
 * counted here.
 */
import { MODEL_NAMES } from '../attribution/index.js';
import { readPeriod } from '../reports/read-counters.js';
import type { Period } from '../reports/period.js';
import { creditPart } from '../store/counters/counter-repo.js';
import type { DayPartName, PathDimension, Store } from '../store/store.js';
import { round } from './campaign-target.js';

export const LAG_BUCKETS = [
  { bucket: '0', min: 0, max: 0 },
  { bucket: '1', min: 1, max: 1 },
  { bucket: '2-3', min: 2, max: 3 },
  { bucket: '4-7', min: 4, max: 7 },
  { bucket: '8-14', min: 8, max: 14 },
  { bucket: '15-30', min: 15, max: 30 },
  { bucket: '31+', min: 31, max: Infinity },
] as const;

export const LENGTH_BUCKETS = [
  { bucket: '1', min: 1, max: 1 },
  { bucket: '2', min: 2, max: 2 },
  { bucket: '3', min: 3, max: 3 },
  { bucket: '4', min: 4, max: 4 },
  { bucket: '5-7', min: 5, max: 7 },
  { bucket: '8+', min: 8, max: Infinity },
] as const;

/** Top paths listed. */
export const TOP_PATHS = 10;

export interface PathsRow {
  key: string;
  label: string;
  assists: number;
  lastTouch: number;
  assistRatio: number | null;
  sensitivity: number;
}

export interface PathsReport {
  workspace: string;
  period: Period;
  by: PathDimension;
  /** Converting journeys counted. */
  conversions: number;
  timeLag: Array<{ bucket: string; conversions: number }>;
  pathLength: Array<{ bucket: string; conversions: number }>;
  topPaths: Array<{ steps: string[]; labels: string[]; conversions: number; value: number }>;
  rows: PathsRow[];
  currencies: string[];
  notes: string[];
}

const SEP = '\u0000';

/** The paths report of a workspace over a period, by group, campaign or keyword. */
export async function pathsReport(store: Store, workspace: string, timeZone: string, options: { period: Period; by: PathDimension }): Promise<PathsReport> {
  const { by } = options;
  const creditParts = MODEL_NAMES.map((m) => creditPart(m, by));
  const parts: DayPartName[] = ['journeys', 'paths', 'assists', ...creditParts];
  const { days } = await readPeriod(store, workspace, timeZone, options.period, { parts, credits: { models: MODEL_NAMES, dimensions: [by] } });
  const lag = LAG_BUCKETS.map(() => 0);
  const length = LENGTH_BUCKETS.map(() => 0);
  let conversions = 0;
  const paths = new Map<string, { steps: string[]; labels: string[]; conversions: number; value: number }>();
  const assists = new Map<string, { label: string; assists: number }>();
  const credit = MODEL_NAMES.map(() => new Map<string, number>());
  const labels = new Map<string, string>();
  const currencies = new Set<string>();
  for (const { parts: p } of days) {
    for (const j of p.journeys ?? []) {
      conversions += j.conversions;
      const li = LAG_BUCKETS.findIndex((b) => j.lagDays >= b.min && j.lagDays <= b.max);
      const si = LENGTH_BUCKETS.findIndex((b) => j.steps >= b.min && j.steps <= b.max);
      lag[li] = (lag[li] ?? 0) + j.conversions;
      length[si] = (length[si] ?? 0) + j.conversions;
    }
    for (const r of p.paths ?? []) {
      if (r.by !== by) continue;
      currencies.add(r.currency);
      const k = r.steps.join(SEP);
      const e = paths.get(k);
      if (e) {
        e.conversions += r.conversions;
        e.value += r.value;
        e.labels = r.labels;
      } else paths.set(k, { steps: r.steps, labels: r.labels, conversions: r.conversions, value: r.value });
    }
    for (const r of p.assists ?? []) {
      if (r.by !== by) continue;
      const e = assists.get(r.key);
      if (e) {
        e.assists += r.assists;
        e.label = r.label;
      } else assists.set(r.key, { label: r.label, assists: r.assists });
    }
    creditParts.forEach((name, mi) => {
      const m = credit[mi] as Map<string, number>;
      for (const r of p[name] ?? []) {
        m.set(r.key, (m.get(r.key) ?? 0) + r.conversions);
        labels.set(r.key, r.label);
      }
    });
  }
  const totals = credit.map((m) => [...m.values()].reduce((s, v) => s + v, 0));
  const lastIdx = MODEL_NAMES.indexOf('last_touch');
  const keys = new Set([...assists.keys(), ...(credit[lastIdx]?.keys() ?? [])]);
  const rows: PathsRow[] = [...keys].map((key) => {
    const a = assists.get(key)?.assists ?? 0;
    const last = credit[lastIdx]?.get(key) ?? 0;
    const shares = MODEL_NAMES.map((_, mi) => ((totals[mi] ?? 0) > 0 ? (credit[mi]?.get(key) ?? 0) / (totals[mi] as number) : null)).filter((s): s is number => s !== null);
    return {
      key,
      label: assists.get(key)?.label ?? labels.get(key) ?? key,
      assists: a,
      lastTouch: round(last, 6),
      assistRatio: last > 0 ? round(a / last, 4) : null,
      sensitivity: shares.length > 0 ? round(Math.max(...shares) - Math.min(...shares), 4) : 0,
    };
  });
  rows.sort((x, y) => y.assists + y.lastTouch - (x.assists + x.lastTouch) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const topPaths = [...paths.values()]
    .sort((x, y) => y.conversions - x.conversions || y.value - x.value || (x.steps.join(SEP) < y.steps.join(SEP) ? -1 : 1))
    .slice(0, TOP_PATHS)
    .map((p) => ({ steps: p.steps, labels: p.labels, conversions: p.conversions, value: round(p.value, 6) }));
  const notes: string[] = [];
  if (currencies.size > 1) notes.push(`paths' value sums conversions in ${currencies.size} currencies as they are (${[...currencies].sort().join(', ')})`);
  return {
    workspace,
    period: options.period,
    by,
    conversions,
    timeLag: LAG_BUCKETS.map((b, i) => ({ bucket: b.bucket, conversions: lag[i] ?? 0 })),
    pathLength: LENGTH_BUCKETS.map((b, i) => ({ bucket: b.bucket, conversions: length[i] ?? 0 })),
    topPaths,
    rows,
    currencies: [...currencies].sort(),
    notes,
  };
}
