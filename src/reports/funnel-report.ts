/**
 * The funnel per group or campaign, over people who joined in the period, from the people's
 * facts the rollup keeps (`store.counters`, see `person-facts.ts`), in DISTINCT PEOPLE:
 * joined → engaged (a message in the group they joined, after joining)
 * → clicked (any tracked-link click of theirs after joining, including an anonymous group-link
 * click that a conversion's click id later tied to them) → converted (a conversion matched to
 * them after joining), each before the end of the period; rates are over the joined; the median
 * days from joining to the first conversion after it, among those who converted; and the value
 * of their conversions from joining to the end of the period.
 *
 * A person's joining is their first join in the period: into that group (by group), or through
 * that campaign (by campaign: their first join with that campaign, into any group; engaged
 * when they wrote in a group they joined through it, after that join). A person is in as many
 * cohorts as they joined in the period, but counted once in each, and once in the `all` row:
 * their first join in the period, engaged in any group they joined, clicked and converted after
 * that first join. Before this file read facts, the manager's "all" was the sum of the rows,
 * which counted a person in two groups twice.
 */
import type { MemberJoin, Store } from '../store/store.js';
import { periodTotals, round } from './attribution-report.js';
import { NONE_KEY } from './day-counters.js';
import type { Period } from './period.js';
import { countersBuilt, readPeriod } from './read-counters.js';
import { FUNNEL_ALL_KEY, type FunnelReport, type FunnelRow } from './report-types.js';

const DAY_MS = 86_400_000;
/** Dirty people counted for the freshness note. */
const PENDING_READ = 1_000;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/**
 * One person in one cohort: their joining (the earliest of their joins in the period that
 * count toward it, with what followed it), and whether they wrote after any of those joins in
 * the group joined. Times stay canonical ISO text (fixed width, UTC), which orders as the
 * instants do, so the funnel over 100,000 joins parses a date only for those who converted.
 */
interface Entry {
  join: MemberJoin;
  engaged: boolean;
}

/** Sums a cohort person by person. */
class Cohort {
  joined = 0;
  engaged = 0;
  clicked = 0;
  converted = 0;
  value = 0;
  days: number[] = [];
  label: string;
  #labelAt = '';
  constructor(label: string) {
    this.label = label;
  }

  /** Adds a person; `to` is the period's end (ISO); `label` the group's title (by group). */
  add(e: Entry, to: string, label?: string): void {
    const j = e.join;
    this.joined++;
    if (e.engaged) this.engaged++;
    if (j.clickedAt !== null && j.clickedAt < to) this.clicked++;
    let first: string | undefined;
    for (const c of j.conversions) {
      if (c.at >= to) break;
      first ??= c.at;
      this.value += c.value;
    }
    if (first !== undefined) {
      this.converted++;
      this.days.push((Date.parse(first) - Date.parse(j.at)) / DAY_MS);
    }
    // The group's title as on its latest join (ties: the greater title, so any order gives one answer).
    if (label !== undefined && (j.at > this.#labelAt || (j.at === this.#labelAt && label > this.label))) {
      this.label = label;
      this.#labelAt = j.at;
    }
  }

  row(key: string): FunnelRow {
    const rate = (n: number): number => (this.joined === 0 ? 0 : round(n / this.joined));
    const med = median(this.days);
    return {
      key,
      label: this.label,
      joined: this.joined,
      engaged: this.engaged,
      clicked: this.clicked,
      converted: this.converted,
      engagedRate: rate(this.engaged),
      clickedRate: rate(this.clicked),
      convertedRate: rate(this.converted),
      medianDaysToConvert: med === null ? null : round(med),
      value: round(this.value),
    };
  }
}

/** Keeps the earlier join, and whether any of them engaged. */
function merge(map: Map<string, Entry>, key: string, j: MemberJoin, engaged: boolean): void {
  const e = map.get(key);
  if (!e) map.set(key, { join: j, engaged });
  else {
    if (j.at < e.join.at) e.join = j;
    e.engaged ||= engaged;
  }
}

export async function funnelReport(store: Store, workspace: string, timeZone: string, options: { period: Period; by: 'group' | 'campaign'; key?: string }): Promise<FunnelReport> {
  const { period, by } = options;
  const to = new Date(Date.parse(period.to)).toISOString();
  // Joins come in any order: a person's joining into a cohort is the earliest of their joins in
  // the period that count toward it; they engaged when they wrote after any of them (a later
  // join into the same group adds nothing there: whoever wrote after it wrote after the first).
  const byCohort = new Map<string, Entry>();
  const byPerson = new Map<string, Entry>();
  const currencies = new Set<string>();
  const query = { from: period.from, to: period.to, ...(by === 'group' && options.key !== undefined ? { chatId: options.key } : {}) };
  for await (const page of store.counters.joinsIn(workspace, query)) {
    for (const j of page) {
      const key = by === 'group' ? j.chatId : (j.campaign ?? NONE_KEY);
      if (options.key !== undefined && key !== options.key) continue;
      const engaged = j.engagedAt !== null && j.engagedAt < to;
      merge(byCohort, `${key}\u0000${j.profileId}`, j, engaged);
      merge(byPerson, j.profileId, j, engaged);
    }
  }
  const cohorts = new Map<string, Cohort>();
  for (const [k, e] of byCohort) {
    const key = k.slice(0, k.indexOf('\u0000'));
    let c = cohorts.get(key);
    if (!c) {
      c = new Cohort(key);
      cohorts.set(key, c);
    }
    c.add(e, to, by === 'group' ? (e.join.chatTitle ?? e.join.chatId) : undefined);
  }
  const all = new Cohort(by === 'group' ? 'all groups' : 'all campaigns');
  for (const e of byPerson.values()) {
    all.add(e, to);
    for (const c of e.join.conversions) if (c.at < to) currencies.add(c.currency);
  }
  const rows = [...cohorts].map(([key, c]) => c.row(key));
  rows.sort((a, b) => b.joined - a.joined || b.converted - a.converted || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  rows.push(all.row(FUNNEL_ALL_KEY));
  const [{ days }, pending, built] = await Promise.all([
    readPeriod(store, workspace, timeZone, period, { parts: ['totals'], conversions: true }),
    store.counters.dirty(workspace, 'person', PENDING_READ),
    countersBuilt(store, workspace, timeZone),
  ]);
  const report: FunnelReport = { workspace, period, by, rows, currencies: [...currencies].sort(), totals: periodTotals(days).totals };
  const notes = peopleNotes(built, pending.length);
  if (notes.length > 0) report.notes = notes;
  return report;
}

/** Notes on how current the people's facts are. */
export function peopleNotes(built: boolean, pending: number): string[] {
  if (!built) return ['the counters of this workspace are being built: figures of distinct people are incomplete until then (usually a minute)'];
  if (pending === 0) return [];
  const n = pending >= PENDING_READ ? `${PENDING_READ}+` : String(pending);
  return [`the latest activity of ${n} ${pending === 1 ? 'person is' : 'people are'} still being rolled up: figures of distinct people follow within seconds`];
}
