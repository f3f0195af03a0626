/**
 * The rollup: keeps a workspace's counters (`store.counters`) equal to what its raw rows say.
 *
 * - **Incremental** ({@link rollUp}): every dirty unit is recomputed from its raw rows and its
 *   stored counters REPLACED: a day from that local day's touches, conversions and credit sets;
 *   a person from all their touches, matched conversions and tied clicks. Per unit: read its
 *   marks, read the rows, store with `version` = those marks, then mark it clean only if no
 *   mark came meanwhile. Order-independent and crash-safe by construction: re-delivered
 *   touches and re-credited conversions change the rows, never add to a counter, and a crash
 *   anywhere leaves the unit dirty for the next run.
 * - **Full build** ({@link rebuildCounters}): every unit from one pass over every row; run when
 *   the workspace was never built, its time zone changed (days are local days), a rebuild was
 *   asked for ({@link requestRebuild}), too many people are dirty to recompute one by one, or
 *   the last build is older than `rebuildEveryMs` (the safety net for a mark lost in a crash
 *   between a touch being stored and its mark being written). It holds a compact copy of every
 *   touch while it runs (about 150 bytes each).
 *
 * A person whose rows are gone (erased, merged into another profile) gets empty facts, and the
 * days of their old touches and conversions are marked dirty: the next round recounts them.
 */
import { everyConversion, everyCreditSet } from '../reconcile/read-pages.js';
import { allTouches } from '../store/paging.js';
import type { ConversionRecord, CounterMark, CounterUnit, CounterUnitKind, DayParts, PersonFacts, Store } from '../store/store.js';
import { retentionHorizon } from '../privacy/retention.js';
import { DAY_PARTS, emptyFacts, emptyPart, isEmptyFacts } from '../store/counters/counter-repo.js';
import { DayCountersBuilder } from './day-counters.js';
import { dayBounds, dayFinder } from './local-days.js';
import { factTouch, personFacts, type FactTouch, type PersonRows } from './person-facts.js';

const DAY_MS = 86_400_000;
/** Touches per page when reading raw rows. */
const PAGE = 50_000;

export interface RollupOptions {
  store: Store;
  /** The workspace's time zone (IANA name); days are its local days. */
  timeZoneOf: (workspace: string) => string;
  now?: () => Date;
  /** Dirty days recomputed per round; default 100. */
  daysPerRound?: number;
  /** Dirty people recomputed per round; default 500. */
  peoplePerRound?: number;
  /** People recomputed at once; default 8. */
  peopleConcurrency?: number;
  /** More dirty people than this at the start of a run: a full build reads everything once instead; default 20,000. */
  rebuildAbove?: number;
  /** A full build at least this often; default 7 days. */
  rebuildEveryMs?: number;
  /** Rounds per run before it yields (`more: true`: run again); default 20. */
  maxRounds?: number;
  /**
   * The workspace's `retentionDays` (raw touches and clicks older than that are deleted): the
   * days up to the retention horizon are never recomputed, so their counters stay. Absent:
   * every day is recomputed from its rows.
   */
  retentionDaysOf?: (workspace: string) => number | undefined;
}

/** The parts of a day counted from touches and clicks (deleted after the retention horizon). */
const TOUCH_PARTS = ['groups', 'joins', 'keywords', 'clicks'] as const;

/**
 * A day at or before the retention horizon: its conversion and credit parts are recomputed
 * (old orders still arrive, refits re-credit old months), its touch parts are kept as stored.
 */
async function keepTouchParts(store: Store, workspace: string, day: string, recomputed: Partial<DayParts>): Promise<Partial<DayParts>> {
  const [stored] = await store.counters.days(workspace, { from: day, to: day }, TOUCH_PARTS);
  if (!stored) return recomputed;
  const out: Partial<DayParts> = { ...recomputed };
  for (const part of TOUCH_PARTS) if (stored.parts[part] !== undefined) Object.assign(out, { [part]: stored.parts[part] });
  return out;
}

/** The last local day whose touch counters are frozen (its raw rows are, or are being, deleted), or null. */
function frozenThrough(o: RollupOptions, workspace: string, dayOf: (ms: number) => string): string | null {
  const days = o.retentionDaysOf?.(workspace);
  if (days === undefined) return null;
  return dayOf(Date.parse(retentionHorizon(days, o.now?.() ?? new Date())));
}

/** What one run did. */
export interface RollupResult {
  /** A full build ran. */
  rebuilt: boolean;
  /** Days and people recomputed. */
  days: number;
  people: number;
  /** Dirty units are left (the run stopped after `maxRounds`): run again. */
  more: boolean;
}

/**
 * Lets timers run: a long build on a store that answers at once (the in-memory one) would
 * otherwise starve them, and BullMQ renews a running job's lock on a timer.
 */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs `fn` over `items`, at most `limit` at once; results in item order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
      if (i % 1_000 === 999) await breathe();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Asks for a full build of a workspace's counters at its next rollup run. */
export async function requestRebuild(store: Store, workspace: string, timeZone: string): Promise<void> {
  const state = await store.counters.state(workspace);
  await store.counters.setState(workspace, { workspace, timeZone: state?.timeZone ?? timeZone, builtAt: state?.builtAt ?? null, rebuildRequested: true });
}

/** Whether the workspace's counters need a full build now (see the header). */
async function needsRebuild(o: RollupOptions, workspace: string): Promise<boolean> {
  const state = await o.store.counters.state(workspace);
  if (!state || state.rebuildRequested || state.builtAt === null || state.timeZone !== o.timeZoneOf(workspace)) return true;
  const now = (o.now?.() ?? new Date()).getTime();
  if (now - Date.parse(state.builtAt) > (o.rebuildEveryMs ?? 7 * DAY_MS)) return true;
  const above = o.rebuildAbove ?? 20_000;
  return (await o.store.counters.dirty(workspace, 'person', above + 1)).length > above;
}

/** Recomputes one local day from its raw rows. */
export async function dayFromRows(store: Store, workspace: string, timeZone: string, day: string): Promise<DayCountersBuilder> {
  const { from, to } = dayBounds(day, timeZone);
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const b = new DayCountersBuilder();
  for await (const t of allTouches(store, workspace, { ...range, limit: PAGE })) b.addTouch(t);
  for await (const c of everyConversion(store, workspace, range)) b.addConversion(c);
  for await (const s of everyCreditSet(store, workspace, range)) b.addCreditSet(s);
  return b;
}

/** One person's raw rows: their touches, matched conversions, and the clicks those carried. */
export async function personRows(store: Store, workspace: string, profileId: string): Promise<PersonRows> {
  const touches: FactTouch[] = [];
  for await (const t of allTouches(store, workspace, { profileId, limit: PAGE })) touches.push(factTouch(t));
  const conversions: ConversionRecord[] = [];
  for await (const c of everyConversion(store, workspace, { profileId, status: 'matched' })) conversions.push(c);
  return { touches, conversions, tiedClicks: await tiedClicks(store, workspace, conversions) };
}

/** Times of the clicks whose ids these conversions carried. */
async function tiedClicks(store: Store, workspace: string, conversions: ReadonlyArray<Pick<ConversionRecord, 'clickId'>>): Promise<string[]> {
  const ids = [...new Set(conversions.map((c) => c.clickId).filter((id): id is string => id !== undefined))];
  const clicks = await Promise.all(ids.map((id) => store.clicks.get(workspace, id)));
  return clicks.filter((c) => c !== null).map((c) => c.at);
}

/** Days a person's old facts counted in: recount them when the person is gone. */
function daysOf(old: PersonFacts | undefined, timeZone: string): string[] {
  if (!old || isEmptyFacts(old)) return [];
  const dayOf = dayFinder(timeZone);
  return [...new Set([...old.touchDays, ...old.conversions.map((c) => dayOf(Date.parse(c.at)))])];
}

/**
 * Brings a workspace's counters up to date: a full build when one is due (see the header),
 * else every dirty unit, round by round, at most `maxRounds` rounds.
 */
export async function rollUp(o: RollupOptions, workspace: string): Promise<RollupResult> {
  if (await needsRebuild(o, workspace)) {
    const r = await rebuildCounters(o, workspace);
    return { ...r, rebuilt: true, more: (await o.store.counters.dirty(workspace, 'day', 1)).length + (await o.store.counters.dirty(workspace, 'person', 1)).length > 0 };
  }
  const { store } = o;
  const tz = o.timeZoneOf(workspace);
  const stamp = (): string => (o.now?.() ?? new Date()).toISOString();
  const result: RollupResult = { rebuilt: false, days: 0, people: 0, more: false };
  for (let round = 0; round < (o.maxRounds ?? 20); round++) {
    const people = await store.counters.dirty(workspace, 'person', o.peoplePerRound ?? 500);
    const days = await store.counters.dirty(workspace, 'day', o.daysPerRound ?? 100);
    if (people.length === 0 && days.length === 0) return result;
    const clean: CounterMark[] = [];
    if (people.length > 0) {
      const old = new Map((await store.counters.people(workspace, people.map((p) => p.key))).map((f) => [f.profileId, f]));
      const cascade: CounterUnit[] = [];
      await mapLimit(people, o.peopleConcurrency ?? 8, async (mark) => {
        const rows = await personRows(store, workspace, mark.key);
        const facts = personFacts(workspace, mark.key, tz, rows, { version: mark.marks, computedAt: stamp() });
        if (isEmptyFacts(facts)) for (const day of daysOf(old.get(mark.key), tz)) cascade.push({ kind: 'day', key: day });
        if (await store.counters.putPerson(workspace, facts)) clean.push(mark);
      });
      if (cascade.length > 0) await store.counters.markDirty(workspace, cascade);
      result.people += people.length;
    }
    const frozen = frozenThrough(o, workspace, dayFinder(tz));
    await mapLimit(days, 2, async (mark) => {
      const b = await dayFromRows(store, workspace, tz, mark.key);
      const parts = frozen !== null && mark.key <= frozen ? await keepTouchParts(store, workspace, mark.key, b.parts()) : b.parts();
      if (await store.counters.putDay(workspace, { workspace, timeZone: tz, day: mark.key, version: mark.marks, computedAt: stamp(), parts })) clean.push(mark);
    });
    result.days += days.length;
    await store.counters.markClean(workspace, clean);
    await breathe();
  }
  result.more = (await store.counters.dirty(workspace, 'day', 1)).length + (await store.counters.dirty(workspace, 'person', 1)).length > 0;
  return result;
}

/** Every mark of a kind, by key. */
async function allMarks(store: Store, workspace: string, kind: CounterUnitKind): Promise<Map<string, CounterMark>> {
  const out = new Map<string, CounterMark>();
  let afterKey: string | undefined;
  for (;;) {
    const page = await store.counters.marks(workspace, kind, { limit: 10_000, ...(afterKey !== undefined ? { afterKey } : {}) });
    for (const m of page) out.set(m.key, m);
    const last = page[page.length - 1];
    if (page.length < 10_000 || !last) return out;
    afterKey = last.key;
  }
}

/** Every touch of a workspace, in time order, one week of time per read. */
async function* everyTouch(store: Store, workspace: string, now: number) {
  const [first] = await store.touches.list(workspace, { limit: 1 });
  if (!first) return;
  const WEEK = 7 * DAY_MS;
  let from = Date.parse(first.occurredAt);
  for (;;) {
    const end = Math.max(now + DAY_MS, from + WEEK);
    for (; from < end; from += WEEK) {
      yield* allTouches(store, workspace, { from: new Date(from).toISOString(), to: new Date(from + WEEK).toISOString(), limit: PAGE });
      await breathe();
    }
    // Touches dated ahead of the clock (rare: a skewed clock): carry on from the next one.
    const [later] = await store.touches.list(workspace, { from: new Date(from).toISOString(), limit: 1 });
    if (!later) return;
    from = Date.parse(later.occurredAt);
  }
}

/**
 * Recomputes every unit of a workspace from one pass over all its rows and replaces what is
 * stored (units without rows anymore get empty counters); then records the build in the state.
 */
export async function rebuildCounters(o: RollupOptions, workspace: string): Promise<{ days: number; people: number }> {
  const { store } = o;
  const tz = o.timeZoneOf(workspace);
  const computedAt = (o.now?.() ?? new Date()).toISOString();
  const state = await store.counters.state(workspace);
  if (state && state.timeZone !== tz) await store.counters.clearDays(workspace);
  // Marks first, rows after: a mark that lands during the build stays for the next run.
  const dayMarks = await allMarks(store, workspace, 'day');
  const personMarks = await allMarks(store, workspace, 'person');
  const dayOf = dayFinder(tz);
  const days = new Map<string, DayCountersBuilder>();
  const builder = (day: string): DayCountersBuilder => {
    let b = days.get(day);
    if (!b) {
      b = new DayCountersBuilder();
      days.set(day, b);
    }
    return b;
  };
  const people = new Map<string, { touches: FactTouch[]; conversions: ConversionRecord[] }>();
  const person = (id: string): { touches: FactTouch[]; conversions: ConversionRecord[] } => {
    let p = people.get(id);
    if (!p) {
      p = { touches: [], conversions: [] };
      people.set(id, p);
    }
    return p;
  };
  for await (const t of everyTouch(store, workspace, Date.parse(computedAt))) {
    builder(dayOf(Date.parse(t.occurredAt))).addTouch(t);
    if (t.profileId !== null) person(t.profileId).touches.push(factTouch(t));
  }
  let rows = 0;
  for await (const c of everyConversion(store, workspace, {})) {
    builder(dayOf(Date.parse(c.occurredAt))).addConversion(c);
    const pid = c.status === 'matched' ? c.match?.profileId : null;
    if (pid) person(pid).conversions.push(c);
    if (++rows % 5_000 === 0) await breathe();
  }
  for await (const s of everyCreditSet(store, workspace, {})) {
    builder(dayOf(Date.parse(s.conversionAt))).addCreditSet(s);
    if (++rows % 5_000 === 0) await breathe();
  }

  const clean: CounterMark[] = [];
  const version = (marks: Map<string, CounterMark>, key: string): number => marks.get(key)?.marks ?? 0;
  const stored = new Set(await store.counters.dayList(workspace));
  const emptyParts = Object.fromEntries(DAY_PARTS.map((p) => [p, emptyPart(p)]));
  const frozen = state && state.timeZone === tz ? frozenThrough(o, workspace, dayOf) : null;
  for (const day of new Set([...days.keys(), ...stored, ...dayMarks.keys()])) {
    const built = days.get(day)?.parts() ?? emptyParts;
    const parts = frozen !== null && day <= frozen ? await keepTouchParts(store, workspace, day, built) : built;
    if (await store.counters.putDay(workspace, { workspace, timeZone: tz, day, version: version(dayMarks, day), computedAt, parts })) {
      const m = dayMarks.get(day);
      if (m) clean.push(m);
    }
  }
  // Every person with rows, facts stored or marks: those without rows get empty facts.
  const ids = new Set([...people.keys(), ...personMarks.keys()]);
  let afterId: string | undefined;
  for (;;) {
    const page = await store.counters.personIds(workspace, { limit: 10_000, ...(afterId !== undefined ? { afterId } : {}) });
    for (const id of page) ids.add(id);
    const last = page[page.length - 1];
    if (page.length < 10_000 || !last) break;
    afterId = last;
  }
  await mapLimit([...ids], o.peopleConcurrency ?? 8, async (id) => {
    const rows = people.get(id);
    const stamp = { version: version(personMarks, id), computedAt };
    const facts = rows ? personFacts(workspace, id, tz, { ...rows, tiedClicks: await tiedClicks(store, workspace, rows.conversions) }, stamp) : emptyFacts(workspace, id, tz, stamp.version, computedAt);
    if (await store.counters.putPerson(workspace, facts)) {
      const m = personMarks.get(id);
      if (m) clean.push(m);
    }
  });
  await store.counters.markClean(workspace, clean);
  const now = await store.counters.state(workspace);
  await store.counters.setState(workspace, { workspace, timeZone: tz, builtAt: computedAt, rebuildRequested: now?.rebuildRequested === true && state?.rebuildRequested !== true });
  return { days: days.size, people: people.size };
}
