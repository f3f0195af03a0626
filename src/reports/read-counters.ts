/**
 * Reading a report period from the counters, exactly.
 *
 * A period is `[from, to)` at any instant (`7d` starts mid-day), in a workspace whose counters
 * are kept per local day. It is read as:
 * - every **full** local day inside it from the stored day counters, except days still marked
 *   dirty (data landed and the rollup has not recomputed them yet);
 * - the **partial** days at its edges, the dirty days, and every day when the workspace's
 *   counters were never built for its time zone, from the raw rows of those stretches of time
 *   (counted by the same {@link DayCountersBuilder} the rollup uses).
 * So a period's day-level figures are exact whatever the rollup's lag; the raw part of a read
 * is at most the two edge days in the usual case.
 */
import type { ModelName } from '../attribution/index.js';
import { everyConversion, everyCreditSet } from '../reconcile/read-pages.js';
import { allTouches } from '../store/paging.js';
import type { CreditDimension, DayPartName, DayParts, StoredTouch, Store } from '../store/store.js';
import { emptyPart } from '../store/counters/counter-repo.js';
import { DayCountersBuilder } from './day-counters.js';
import { dayBounds, dayFinder, daysFrom, nextDay, previousDay } from './local-days.js';
import type { Period } from './period.js';

/** Dirty day marks read per report; more than this and every full day is read raw. */
const DIRTY_READ = 1_000;
/** Touches per page of a raw read. */
const PAGE = 50_000;

/** What a period read needs. */
export interface PeriodNeeds {
  /** Day parts to return. */
  parts: readonly DayPartName[];
  /** Count touches in raw stretches (for `groups`, `joins`, `keywords`, `clicks`). */
  touches?: boolean;
  /** Only the touches of this chat (its parts then hold only that chat's rows). */
  touchChatId?: string;
  /** Count conversions in raw stretches (for `totals`). */
  conversions?: boolean;
  /** Count credit sets in raw stretches, for these models and dimensions. */
  credits?: { models: readonly ModelName[]; dimensions: readonly CreditDimension[] };
  /** Sees every touch of the raw stretches (e.g. to collect the people active in them). */
  onRawTouch?: (t: StoredTouch) => void;
}

/** A period read from counters and raw rows. */
export interface PeriodDays {
  /** One entry per local day of the period with anything stored or counted, ascending. */
  days: Array<{ day: string; parts: Partial<DayParts> }>;
  /** The full days of the period (both ends included), or null when it has none. */
  fullDays: { from: string; to: string } | null;
  /** The raw stretches read, `[from, to)` epoch ms, ascending and disjoint. */
  raw: Array<{ from: number; to: number }>;
  /** The counters are built for the workspace's time zone (else every day was read raw). */
  built: boolean;
}

/** Whether a workspace's counters were built in `timeZone` (their days are that zone's days). */
export async function countersBuilt(store: Store, workspace: string, timeZone: string): Promise<boolean> {
  const state = await store.counters.state(workspace);
  return state !== null && state.builtAt !== null && state.timeZone === timeZone;
}

/** Reads a period's day parts (see the header). */
export async function readPeriod(store: Store, workspace: string, timeZone: string, period: Period, needs: PeriodNeeds): Promise<PeriodDays> {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const built = await countersBuilt(store, workspace, timeZone);
  if (!(to > from)) return { days: [], fullDays: null, raw: [], built };
  const dayOf = dayFinder(timeZone);
  const firstDay = dayOf(from);
  const lastDay = dayOf(to - 1);
  const fullFrom = dayBounds(firstDay, timeZone).from === from ? firstDay : nextDay(firstDay);
  const fullTo = dayBounds(lastDay, timeZone).to === to ? lastDay : previousDay(lastDay);
  const fullDays = fullFrom <= fullTo ? { from: fullFrom, to: fullTo } : null;

  // Stretches read raw: the partial edge days, and full days not (or not yet) in the counters.
  const raw: Array<{ from: number; to: number }> = [];
  const rawDays = new Set<string>();
  if (fullDays) {
    if (!built) for (const d of daysFrom(fullDays.from, fullDays.to)) rawDays.add(d);
    else {
      const dirty = await store.counters.dirty(workspace, 'day', DIRTY_READ);
      if (dirty.length >= DIRTY_READ) for (const d of daysFrom(fullDays.from, fullDays.to)) rawDays.add(d);
      else for (const m of dirty) if (m.key >= fullDays.from && m.key <= fullDays.to) rawDays.add(m.key);
    }
    const start = dayBounds(fullDays.from, timeZone).from;
    const end = dayBounds(fullDays.to, timeZone).to;
    if (from < start) raw.push({ from, to: start });
    for (const d of [...rawDays].sort()) raw.push(dayBounds(d, timeZone));
    if (end < to) raw.push({ from: end, to });
  } else raw.push({ from, to });
  const merged: Array<{ from: number; to: number }> = [];
  for (const r of raw) {
    const last = merged[merged.length - 1];
    if (last && last.to === r.from) last.to = r.to;
    else merged.push({ ...r });
  }

  const byDay = new Map<string, Partial<DayParts>>();
  if (fullDays && rawDays.size < daysFrom(fullDays.from, fullDays.to).length) {
    for (const d of await store.counters.days(workspace, fullDays, needs.parts)) if (!rawDays.has(d.day)) byDay.set(d.day, d.parts);
  }
  if (merged.length > 0) {
    const builders = new Map<string, DayCountersBuilder>();
    const builder = (ms: number): DayCountersBuilder => {
      const day = dayOf(ms);
      let b = builders.get(day);
      if (!b) {
        b = new DayCountersBuilder(needs.credits ?? { models: [], dimensions: [] });
        builders.set(day, b);
      }
      return b;
    };
    for (const r of merged) {
      const range = { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() };
      if (needs.touches) {
        for await (const t of allTouches(store, workspace, { ...range, limit: PAGE, ...(needs.touchChatId !== undefined ? { chatId: needs.touchChatId } : {}) })) {
          builder(Date.parse(t.occurredAt)).addTouch(t);
          needs.onRawTouch?.(t);
        }
      }
      if (needs.conversions) for await (const c of everyConversion(store, workspace, range)) builder(Date.parse(c.occurredAt)).addConversion(c);
      if (needs.credits) {
        const models = needs.credits.models;
        for await (const s of everyCreditSet(store, workspace, { ...range, models })) builder(Date.parse(s.conversionAt)).addCreditSet(s);
      }
    }
    for (const [day, b] of builders) {
      const all = b.parts();
      const parts: Partial<DayParts> = {};
      for (const p of needs.parts) (parts as Record<string, unknown>)[p] = all[p] ?? emptyPart(p);
      byDay.set(day, parts);
    }
  }
  const days = [...byDay].sort(([a], [b]) => (a < b ? -1 : 1)).map(([day, parts]) => ({ day, parts }));
  return { days, fullDays, raw: merged, built };
}
