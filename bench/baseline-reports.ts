/**
 * The reports as they were before counters (the baseline `bench/reports.ts` prints beside the
 * counter-based ones): every report streamed raw credit sets, conversions or touches of its
 * period through Node. Kept verbatim apart from names, for the same-run comparison only.
 */
import { rowsOfTouch } from '../src/reports/day-counters.js';
import { MODEL_NAMES, isModelName, type ModelName } from '../src/attribution/index.js';
import { everyConversion, everyCreditSet } from '../src/reconcile/read-pages.js';
import type { SourceStep } from '../src/profile/profile-stats.js';
import { localDay } from '../src/reports/period.js';
import type { Period } from '../src/reports/period.js';
import type { Amount, AttributionReport, FunnelReport, FunnelRow, GroupStatsReport, ModelComparison, ReportDimension } from '../src/reports/report-types.js';
import { REPORT_DIMENSIONS } from '../src/reports/report-types.js';
import { allTouches } from '../src/store/paging.js';
import type { Store, StoredTouch } from '../src/store/store.js';

const DAY_MS = 86_400_000;
/** Touches per page of a scan. */
const PAGE = 50_000;

/** A report cannot be made as asked (unknown model or dimension); the message lists the valid ones. */
class ReportError extends Error {
  override name = 'ReportError';
}

const NONE_KEY = '(none)';

// The rows a credited touch counts toward are the product's own rule (`rowsOfTouch`): the
// baseline differs in how it reads (raw credit sets streamed), not in what it counts.

function checkDimension(by: string): ReportDimension {
  if (!(REPORT_DIMENSIONS as readonly string[]).includes(by)) throw new ReportError(`unknown dimension '${by}'; use one of ${REPORT_DIMENSIONS.join(', ')}`);
  return by as ReportDimension;
}

function checkModel(model: string): ModelName {
  if (!isModelName(model)) throw new ReportError(`unknown model '${model}'; models: ${MODEL_NAMES.join(', ')}`);
  return model;
}

/** An amount that also sums value per currency (a map only once a second currency shows up). */
class Tally {
  conversions = 0;
  value = 0;
  #base: string | undefined;
  #baseValue = 0;
  #others: Map<string, number> | undefined;
  add(conversions: number, value: number, currency: string): void {
    this.conversions += conversions;
    this.value += value;
    if (this.#base === undefined || currency === this.#base) {
      this.#base = currency;
      this.#baseValue += value;
    } else {
      this.#others ??= new Map();
      this.#others.set(currency, (this.#others.get(currency) ?? 0) + value);
    }
  }
  amount(multiCurrency: boolean): Amount {
    const a: Amount = { conversions: round(this.conversions), value: round(this.value) };
    if (multiCurrency) {
      const all = new Map(this.#others ?? []);
      if (this.#base !== undefined) all.set(this.#base, this.#baseValue);
      a.byCurrency = Object.fromEntries([...all].sort(([x], [y]) => (x < y ? -1 : 1)).map(([c, v]) => [c, round(v)]));
    }
    return a;
  }
}

/** Rounds to 9 decimals, so floating-point noise (0.1 + 0.2) does not show in reports. */
function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

interface Totals {
  totals: AttributionReport['totals'];
  currencies: string[];
}

/** Totals over every conversion of the period. */
async function periodTotals(store: Store, workspace: string, period: Period): Promise<Totals> {
  let conversions = 0;
  let value = 0;
  let matched = 0;
  let lowConfidence = 0;
  let pending = 0;
  const unattributed = new Tally();
  const currencies = new Set<string>();
  for await (const c of everyConversion(store, workspace, { from: period.from, to: period.to })) {
    conversions++;
    value += c.value;
    currencies.add(c.currency);
    if (c.status === 'matched') {
      matched++;
      if (c.match?.lowConfidence) lowConfidence++;
    } else {
      if (c.status === 'pending') pending++;
      unattributed.add(1, c.value, c.currency);
    }
  }
  const list = [...currencies].sort();
  return {
    totals: {
      conversions,
      value: round(value),
      matched,
      unattributed: unattributed.amount(list.length > 1),
      matchRate: conversions === 0 ? 0 : round(matched / conversions),
      lowConfidence,
      pending,
    },
    currencies: list,
  };
}

interface Row {
  key: string;
  label: string;
  /** One tally per model, in the order of the `models` asked for. */
  tallies: Tally[];
}

/** Sums credits per row for the given models over the period's credit sets (the hot loop of every report). */
async function creditRows(store: Store, workspace: string, period: Period, by: ReportDimension, models: readonly ModelName[]): Promise<{ rows: Map<string, Row>; missing: Map<ModelName, number> }> {
  const rows = new Map<string, Row>();
  const missingCounts = models.map(() => 0);
  const rowOf = (key: string, label: string): Row => {
    let r = rows.get(key);
    if (!r) {
      r = { key, label, tallies: models.map(() => new Tally()) };
      rows.set(key, r);
    }
    return r;
  };
  for await (const set of everyCreditSet(store, workspace, { from: period.from, to: period.to, models })) {
    const credits = models.map((m) => set.models[m]);
    credits.forEach((c, mi) => {
      if (!c) missingCounts[mi] = (missingCounts[mi] ?? 0) + 1;
    });
    if (set.touches.length === 0) {
      const r = rowOf(NONE_KEY, NONE_KEY);
      models.forEach((_, mi) => r.tallies[mi]?.add(1, set.value, set.currency));
      continue;
    }
    const addTo = (r: Row, i: number, share: number): void => {
      for (let mi = 0; mi < credits.length; mi++) {
        const c = credits[mi];
        if (c) r.tallies[mi]?.add((c.conversions[i] ?? 0) * share, (c.value[i] ?? 0) * share, set.currency);
      }
    };
    set.touches.forEach((t, i) => {
      for (const x of rowsOfTouch(t, by)) addTo(rowOf(x.key, x.label), i, x.share);
    });
  }
  const missing = new Map<ModelName, number>();
  models.forEach((m, mi) => {
    if ((missingCounts[mi] ?? 0) > 0) missing.set(m, missingCounts[mi] as number);
  });
  return { rows, missing };
}

function missingNotes(missing: Map<ModelName, number>): string[] {
  return [...missing].map(([m, n]) => `${m}: ${n} conversion${n === 1 ? '' : 's'} not credited yet (the data-driven models are fitted after the first conversions; run a refit)`);
}

function currencyNotes(currencies: string[]): string[] {
  return currencies.length > 1 ? [`conversions in ${currencies.length} currencies (${currencies.join(', ')}): value sums them as they are; see byCurrency`] : [];
}

function byValue(a: { key: string; value: number; conversions: number }, b: { key: string; value: number; conversions: number }): number {
  return b.value - a.value || b.conversions - a.conversions || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export async function baselineAttribution(store: Store, workspace: string, options: { period: Period; by: ReportDimension; model: string }): Promise<AttributionReport> {
  const model = checkModel(options.model);
  const by = checkDimension(options.by);
  const models: ModelName[] = model === 'last_touch' ? ['last_touch'] : [model, 'last_touch'];
  const [{ totals, currencies }, { rows, missing }] = await Promise.all([periodTotals(store, workspace, options.period), creditRows(store, workspace, options.period, by, models)]);
  const multi = currencies.length > 1;
  const out = [...rows.values()].map((r) => {
    const credited = (r.tallies[0] as Tally).amount(multi);
    const lastTouch = (r.tallies[models.length - 1] as Tally).amount(multi);
    const difference: Amount = { conversions: round(credited.conversions - lastTouch.conversions), value: round(credited.value - lastTouch.value) };
    if (multi) {
      const keys = new Set([...Object.keys(credited.byCurrency ?? {}), ...Object.keys(lastTouch.byCurrency ?? {})]);
      difference.byCurrency = Object.fromEntries([...keys].sort().map((c) => [c, round((credited.byCurrency?.[c] ?? 0) - (lastTouch.byCurrency?.[c] ?? 0))]));
    }
    return { key: r.key, label: r.label, credited, lastTouch, difference };
  });
  out.sort((a, b) => byValue({ key: a.key, ...a.credited }, { key: b.key, ...b.credited }));
  const report: AttributionReport = { workspace, period: options.period, by, model, rows: out, totals, currencies };
  const notes = [...missingNotes(missing), ...currencyNotes(currencies)];
  if (notes.length > 0) report.notes = notes;
  return report;
}

export async function baselineCompareModels(store: Store, workspace: string, options: { period: Period; by: ReportDimension }): Promise<ModelComparison> {
  const by = checkDimension(options.by);
  const [{ totals, currencies }, { rows, missing }] = await Promise.all([periodTotals(store, workspace, options.period), creditRows(store, workspace, options.period, by, MODEL_NAMES)]);
  const multi = currencies.length > 1;
  const out = [...rows.values()].map((r) => ({
    key: r.key,
    label: r.label,
    byModel: Object.fromEntries(MODEL_NAMES.map((m, mi) => [m, (r.tallies[mi] as Tally).amount(multi)])),
  }));
  out.sort((a, b) => byValue({ key: a.key, ...(a.byModel.last_touch as Amount) }, { key: b.key, ...(b.byModel.last_touch as Amount) }));
  const report: ModelComparison = { workspace, period: options.period, by, models: [...MODEL_NAMES], rows: out, totals, currencies };
  const notes = [...missingNotes(missing), ...currencyNotes(currencies)];
  if (notes.length > 0) report.notes = notes;
  return report;
}



interface Member {
  joinAt: number;
  chats: Set<string>;
  engaged: boolean;
  clicked: boolean;
}

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function baselineFunnel(store: Store, workspace: string, options: { period: Period; by: 'group' | 'campaign'; key?: string }): Promise<Omit<FunnelReport, 'rows'> & { rows: Array<Omit<FunnelRow, 'value'>> }> {
  const { period, by } = options;
  const cohorts = new Map<string, { label: string; members: Map<string, Member> }>();
  const cohortsOf = new Map<string, string[]>();
  for await (const t of allTouches(store, workspace, { kinds: ['join'], from: period.from, to: period.to, limit: PAGE })) {
    if (t.kind !== 'join' || t.profileId === null) continue;
    const key = by === 'group' ? t.chat.id : (t.details.campaign ?? NONE_KEY);
    if (options.key !== undefined && key !== options.key) continue;
    let cohort = cohorts.get(key);
    if (!cohort) {
      cohort = { label: by === 'group' ? (t.chat.title ?? t.chat.id) : key, members: new Map() };
      cohorts.set(key, cohort);
    }
    if (by === 'group' && t.chat.title !== undefined) cohort.label = t.chat.title;
    const at = Date.parse(t.occurredAt);
    const m = cohort.members.get(t.profileId);
    if (m) m.chats.add(t.chat.id);
    else {
      cohort.members.set(t.profileId, { joinAt: at, chats: new Set([t.chat.id]), engaged: false, clicked: false });
      cohortsOf.set(t.profileId, [...(cohortsOf.get(t.profileId) ?? []), key]);
    }
  }
  if (cohorts.size > 0) {
    for await (const t of allTouches(store, workspace, { kinds: ['message', 'link_click'], from: period.from, to: period.to, limit: PAGE })) {
      if (t.profileId === null) continue;
      const keys = cohortsOf.get(t.profileId);
      if (!keys) continue;
      const at = Date.parse(t.occurredAt);
      for (const key of keys) {
        const m = cohorts.get(key)?.members.get(t.profileId);
        if (!m || at < m.joinAt) continue;
        if (t.kind === 'link_click') m.clicked = true;
        else if (m.chats.has(t.chat.id)) m.engaged = true;
      }
    }
  }
  const conversionsOf = new Map<string, number[]>();
  if (cohorts.size > 0) {
    for await (const c of everyConversion(store, workspace, { from: period.from, to: period.to, status: 'matched' })) {
      const pid = c.match?.profileId;
      if (!pid || !cohortsOf.has(pid)) continue;
      conversionsOf.set(pid, [...(conversionsOf.get(pid) ?? []), Date.parse(c.occurredAt)]);
      // A group link's click stays anonymous; the conversion carrying its click id says whose it was.
      if (c.clickId !== undefined) {
        const click = await store.clicks.get(workspace, c.clickId);
        if (click) {
          for (const key of cohortsOf.get(pid) ?? []) {
            const m = cohorts.get(key)?.members.get(pid);
            if (m && Date.parse(click.at) >= m.joinAt) m.clicked = true;
          }
        }
      }
    }
  }
  const rows: Array<Omit<FunnelRow, 'value'>> = [...cohorts].map(([key, cohort]) => {
    let engaged = 0;
    let clicked = 0;
    const days: number[] = [];
    for (const [pid, m] of cohort.members) {
      if (m.engaged) engaged++;
      if (m.clicked) clicked++;
      const first = (conversionsOf.get(pid) ?? []).filter((at) => at >= m.joinAt).sort((a, b) => a - b)[0];
      if (first !== undefined) days.push((first - m.joinAt) / DAY_MS);
    }
    const joined = cohort.members.size;
    const rate = (n: number): number => (joined === 0 ? 0 : round(n / joined));
    const med = medianOf(days);
    return {
      key,
      label: cohort.label,
      joined,
      engaged,
      clicked,
      converted: days.length,
      engagedRate: rate(engaged),
      clickedRate: rate(clicked),
      convertedRate: rate(days.length),
      medianDaysToConvert: med === null ? null : round(med),
    };
  });
  rows.sort((a, b) => b.joined - a.joined || b.converted - a.converted || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { workspace, period, by, rows };
}


/** Periods longer than this list only days with activity. */
const MAX_FILLED_DAYS = 400;

export async function baselineGroupStats(store: Store, workspace: string, timeZone: string, options: { period: Period; chatId?: string }): Promise<GroupStatsReport> {
  const { period } = options;
  const campaigns = new Map<string | null, { joins: number; leaves: number }>();
  const tally = (c: string | null): { joins: number; leaves: number } => {
    let e = campaigns.get(c);
    if (!e) {
      e = { joins: 0, leaves: 0 };
      campaigns.set(c, e);
    }
    return e;
  };
  const days = new Map<string, { day: string; messages: number; keywordHits: number; joins: number; leaves: number }>();
  // Local days by 15-minute slot (every UTC offset is a multiple of 15 minutes): one
  // time-zone conversion per slot instead of one per touch.
  const SLOT = 15 * 60_000;
  const daysOfSlots = new Map<number, string>();
  const dayOf = (iso: string): { day: string; messages: number; keywordHits: number; joins: number; leaves: number } => {
    const slot = Math.floor(Date.parse(iso) / SLOT);
    let day = daysOfSlots.get(slot);
    if (day === undefined) {
      day = localDay(slot * SLOT, timeZone);
      daysOfSlots.set(slot, day);
    }
    let d = days.get(day);
    if (!d) {
      d = { day, messages: 0, keywordHits: 0, joins: 0, leaves: 0 };
      days.set(day, d);
    }
    return d;
  };
  const keywords = new Map<string, number>();
  const active = new Set<string>();
  /** Campaign of each person's latest join seen so far, per group. */
  const joinedVia = new Map<string, string | null>();
  const leavesToResolve: StoredTouch[] = [];

  const query = { from: period.from, to: period.to, limit: PAGE, ...(options.chatId !== undefined ? { chatId: options.chatId } : {}) };
  for await (const t of allTouches(store, workspace, query)) {
    if (t.chat.type !== 'group' && t.chat.type !== 'channel') continue;
    if (t.profileId !== null) active.add(t.profileId);
    const d = dayOf(t.occurredAt);
    switch (t.kind) {
      case 'message': {
        d.messages++;
        const hits = t.details.keywords ?? [];
        d.keywordHits += hits.length;
        for (const k of hits) keywords.set(k, (keywords.get(k) ?? 0) + 1);
        break;
      }
      case 'join': {
        d.joins++;
        const c = t.details.campaign ?? null;
        tally(c).joins++;
        if (t.profileId !== null) joinedVia.set(`${t.profileId}\u0000${t.chat.id}`, c);
        break;
      }
      case 'leave': {
        d.leaves++;
        const key = `${t.profileId}\u0000${t.chat.id}`;
        if (t.profileId !== null && joinedVia.has(key)) tally(joinedVia.get(key) ?? null).leaves++;
        else leavesToResolve.push(t);
        break;
      }
      default:
        break;
    }
  }
  // Leaves of people who joined before the period: the campaign of their latest earlier join
  // into that group, from their profile's source path (one point read per person, in
  // parallel batches, rather than a scan of every earlier join).
  const leavers = [...new Set(leavesToResolve.map((t) => t.profileId).filter((p): p is string => p !== null))];
  const sources = new Map<string, SourceStep[]>();
  for (let i = 0; i < leavers.length; i += 50) {
    const batch = leavers.slice(i, i + 50);
    const profiles = await Promise.all(batch.map((id) => store.profiles.get(workspace, id)));
    profiles.forEach((p, k) => sources.set(batch[k] as string, p?.stats.sourcePath ?? []));
  }
  for (const t of leavesToResolve) {
    let campaign: string | null = null;
    for (const step of sources.get(t.profileId ?? '') ?? []) {
      if (step.kind === 'join' && step.chatId === t.chat.id && step.at <= t.occurredAt) campaign = step.campaign ?? null;
    }
    tally(campaign).leaves++;
  }

  const span = (Date.parse(period.to) - Date.parse(period.from)) / DAY_MS;
  if (span <= MAX_FILLED_DAYS) {
    for (let t = Date.parse(period.from); t < Date.parse(period.to); t += DAY_MS / 2) dayOf(new Date(t).toISOString());
    dayOf(new Date(Date.parse(period.to) - 1).toISOString());
  }
  const report: GroupStatsReport = {
    workspace,
    period,
    joinsByCampaign: [...campaigns]
      .map(([campaign, e]) => ({ campaign, ...e }))
      .sort((a, b) => b.joins - a.joins || b.leaves - a.leaves || String(a.campaign).localeCompare(String(b.campaign))),
    activeMembers: active.size,
    days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
    topKeywords: [...keywords]
      .map(([keyword, count]) => ({ keyword, count }))
      .sort((a, b) => b.count - a.count || (a.keyword < b.keyword ? -1 : 1))
      .slice(0, 20),
  };
  if (options.chatId !== undefined) report.chatId = options.chatId;
  return report;
}
