/**
 * Marking counters dirty as data lands, and asking for their rollup. The landing points call:
 *
 * - the profile worker, for every touch it stored (or found stored: a re-delivery marks again,
 *   harmlessly): {@link CounterMarks.markTouchLanded} — its local day, its person, and the
 *   people this touch merged into that person;
 * - the reconciler, after each run of a conversion: {@link CounterMarks.markCreditsChanged}
 *   with the conversion's time and its person before and after the run (their facts hold their
 *   conversions); a bulk re-credit marks each re-credited conversion's time, or the whole
 *   stretch with {@link CounterMarks.markPeriodChanged};
 * - erasure: {@link CounterMarks.markPeopleChanged} with the erased profiles (the rollup then
 *   recounts the days their touches and conversions were on).
 * `afterReconcile` maps a reconcile job's result onto these for the reconcile worker's
 * `onProcessed` hook.
 *
 * Marks are written in batches (calls that arrive while a batch is being written join the
 * next one), then one rollup per workspace is asked for. A failed batch rejects the calls that
 * await it and is tried again, three times in all, then logged (`markTouchLanded` never
 * throws); a mark lost that way (or in a crash between a touch being stored and its batch being
 * written, within `batchMs`) is repaired by the rollup's periodic full build. A mark written
 * twice only makes a unit be recomputed once more.
 */
import type { Logger } from '../logger.js';
import type { CounterUnit, Store } from '../store/store.js';
import { dayFinder, daysFrom } from './local-days.js';

/** Default wait before marks are written, so a burst of touches is one write: 50 ms. */
export const DEFAULT_MARK_BATCH_MS = 50;
/** Attempts at writing a batch before its void marks are given up (and logged). */
const ATTEMPTS = 3;

export interface CounterMarks {
  /**
   * A touch was stored for `result.profileId` (null: anonymous), merging `result.merged` into
   * it: marks the touch's local day and those people, in the next batch. Never throws.
   */
  markTouchLanded(workspace: string, touch: { occurredAt: string }, result?: { profileId: string | null; merged?: readonly string[] }): void;
  /**
   * Conversions' credits or outcomes changed: marks the local days of `conversionAt`, and the
   * people in `profileIds` (matched before or after). Resolves once written; rejects when the
   * store or Redis fails (a job then retries).
   */
  markCreditsChanged(workspace: string, change: { conversionAt: string | readonly string[]; profileIds?: ReadonlyArray<string | null | undefined> }): Promise<void>;
  /** People whose rows changed (erased, merged): marks them. Resolves once written. */
  markPeopleChanged(workspace: string, profileIds: readonly string[]): Promise<void>;
  /** Everything of a stretch of time changed (e.g. a month re-credited in bulk): marks every local day it overlaps. */
  markPeriodChanged(workspace: string, period: { from: string; to: string }): Promise<void>;
  /** The reconcile worker's `onProcessed` hook: marks what a reconcile or refit job changed. Never throws. */
  afterReconcile(workspace: string, result: unknown): void;
  /** Writes every pending mark now. */
  flush(): Promise<void>;
}

export interface CounterMarksOptions {
  store: Store;
  /** Asks for a rollup of the workspace (`RollupQueue.requestRollup`). */
  requestRollup: (workspace: string) => Promise<void>;
  /** The workspace's time zone: days are its local days. */
  timeZoneOf: (workspace: string) => string;
  log: Logger;
  /** Wait before void marks are written; default {@link DEFAULT_MARK_BATCH_MS}. */
  batchMs?: number;
}

type Waiter = { resolve: () => void; reject: (err: unknown) => void };

export function createCounterMarks(options: CounterMarksOptions): CounterMarks {
  const batchMs = options.batchMs ?? DEFAULT_MARK_BATCH_MS;
  let pending = new Map<string, Map<string, CounterUnit>>();
  /** Conversions whose time must be read before their day can be marked. */
  let lookups = new Map<string, Set<string>>();
  let attempts = 0;
  let waiters: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let writing: Promise<void> | undefined;

  const add = (workspace: string, units: Iterable<CounterUnit>): void => {
    let set = pending.get(workspace);
    if (!set) {
      set = new Map();
      pending.set(workspace, set);
    }
    for (const u of units) set.set(`${u.kind}\u0000${u.key}`, u);
  };
  const dayUnit = (workspace: string, iso: string): CounterUnit | null => {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : { kind: 'day', key: dayFinder(options.timeZoneOf(workspace))(ms) };
  };
  const people = (ids: Iterable<string | null | undefined>): CounterUnit[] => [...ids].filter((id): id is string => typeof id === 'string' && id.length > 0).map((key) => ({ kind: 'person', key }));

  const writeBatch = async (): Promise<void> => {
    const batch = pending;
    const find = lookups;
    const batchWaiters = waiters;
    pending = new Map();
    lookups = new Map();
    waiters = [];
    try {
      for (const [workspace, ids] of find) {
        const found = await Promise.all([...ids].map((id) => options.store.conversions.get(workspace, id)));
        const units = found.map((c) => (c ? dayUnit(workspace, c.occurredAt) : null)).filter((u): u is CounterUnit => u !== null);
        const set = batch.get(workspace) ?? new Map<string, CounterUnit>();
        for (const u of units) set.set(`${u.kind}\u0000${u.key}`, u);
        batch.set(workspace, set);
      }
      for (const [workspace, units] of batch) {
        if (units.size === 0) continue;
        await options.store.counters.markDirty(workspace, [...units.values()]);
        await options.requestRollup(workspace);
      }
      attempts = 0;
      for (const w of batchWaiters) w.resolve();
    } catch (err) {
      for (const w of batchWaiters) w.reject(err);
      const message = err instanceof Error ? err.message : String(err);
      if (++attempts < ATTEMPTS) {
        // Put the marks back for another try (callers who wait got the error too; a mark written twice is harmless).
        for (const [workspace, units] of batch) add(workspace, units.values());
        for (const [workspace, ids] of find) for (const id of ids) lookupLater(workspace, id);
        options.log.warn({ err: message, attempt: attempts }, 'writing counter marks failed; trying again');
      } else {
        attempts = 0;
        options.log.error({ err: message, workspaces: [...batch.keys()] }, 'writing counter marks failed; the periodic full build will repair the counters');
      }
    }
  };

  const lookupLater = (workspace: string, conversionId: string): void => {
    let set = lookups.get(workspace);
    if (!set) {
      set = new Set();
      lookups.set(workspace, set);
    }
    set.add(conversionId);
  };

  const run = (): void => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    if (writing) return;
    writing = writeBatch().finally(() => {
      writing = undefined;
      if (pending.size > 0 || lookups.size > 0) schedule(waiters.length > 0, attempts > 0 ? batchMs * 2 ** attempts : batchMs);
    });
  };

  function schedule(now: boolean, wait = batchMs): void {
    if (writing) return;
    if (now) {
      if (!immediate) immediate = setImmediate(run);
      return;
    }
    if (!timer && !immediate) timer = setTimeout(run, wait);
  }

  const markNow = (workspace: string, units: readonly CounterUnit[]): Promise<void> => {
    if (units.length === 0) return Promise.resolve();
    add(workspace, units);
    const done = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
    schedule(true);
    return done;
  };

  const marks: CounterMarks = {
    markTouchLanded(workspace, touch, result) {
      try {
        const day = dayUnit(workspace, touch.occurredAt);
        const units = [...(day ? [day] : []), ...people([result?.profileId, ...(result?.merged ?? [])])];
        if (units.length === 0) return;
        add(workspace, units);
        schedule(false);
      } catch (err) {
        options.log.warn({ workspace, err: err instanceof Error ? err.message : String(err) }, 'a touch could not be marked for the counters');
      }
    },
    markCreditsChanged(workspace, change) {
      const times = typeof change.conversionAt === 'string' ? [change.conversionAt] : change.conversionAt;
      const days = times.map((t) => dayUnit(workspace, t)).filter((u): u is CounterUnit => u !== null);
      return markNow(workspace, [...days, ...people(change.profileIds ?? [])]);
    },
    markPeopleChanged(workspace, profileIds) {
      return markNow(workspace, people(profileIds));
    },
    markPeriodChanged(workspace, period) {
      const from = Date.parse(period.from);
      const to = Date.parse(period.to);
      if (!(to > from)) return Promise.resolve();
      const dayOf = dayFinder(options.timeZoneOf(workspace));
      return markNow(workspace, daysFrom(dayOf(from), dayOf(to - 1)).map((key) => ({ kind: 'day', key })));
    },
    afterReconcile(workspace, result) {
      try {
        for (const m of marksOfReconcile(result)) {
          if (m.conversionId !== undefined && m.conversionAt === undefined) lookupLater(workspace, m.conversionId);
          const day = m.conversionAt !== undefined ? dayUnit(workspace, m.conversionAt) : null;
          add(workspace, [...(day ? [day] : []), ...people(m.profileIds ?? [])]);
          if (m.period) {
            const dayOf = dayFinder(options.timeZoneOf(workspace));
            add(workspace, daysFrom(dayOf(Date.parse(m.period.from)), dayOf(Date.parse(m.period.to) - 1)).map((key) => ({ kind: 'day' as const, key })));
          }
        }
        schedule(false);
      } catch (err) {
        options.log.warn({ workspace, err: err instanceof Error ? err.message : String(err) }, 'a reconcile result could not be marked for the counters');
      }
    },
    async flush() {
      while (writing || pending.size > 0 || lookups.size > 0) {
        if (writing) await writing;
        else run();
      }
    },
  };
  return marks;
}

/** What a reconcile job's result says changed. */
interface ReconcileMark {
  conversionId?: string;
  conversionAt?: string;
  profileIds?: Array<string | null | undefined>;
  period?: { from: string; to: string };
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

/** The UTC calendar month `YYYY-MM` as [from, to). */
function monthPeriod(month: string): { from: string; to: string } | undefined {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { from: new Date(Date.UTC(y, mo - 1, 1)).toISOString(), to: new Date(Date.UTC(y, mo, 1)).toISOString() };
}

/**
 * Reads a reconcile job's result (read structurally, so this keeps working as the reconciler's
 * result type grows): a conversion run marks its time (read from the store when the result does
 * not carry it) and its person before and after, and the people it merged; a month refit marks
 * the month (UTC, as fits are kept), a refit of several months each of them.
 */
export function marksOfReconcile(result: unknown): ReconcileMark[] {
  if (!isObject(result)) return [];
  if (result.kind === 'reconcile' && typeof result.conversionId === 'string' && result.status !== 'missing') {
    const match = isObject(result.match) ? str(result.match.profileId) : undefined;
    const merged = Array.isArray(result.mergedProfiles) ? result.mergedProfiles.filter((p): p is string => typeof p === 'string') : [];
    const at = str(result.conversionAt);
    return [{ conversionId: result.conversionId, ...(at !== undefined ? { conversionAt: at } : {}), profileIds: [match, str(result.previousProfileId), ...merged] }];
  }
  if (result.kind === 'refit-month' && typeof result.month === 'string') {
    const period = monthPeriod(result.month);
    return period && result.recredited !== 0 ? [{ period }] : [];
  }
  if (result.kind === 'refit' && Array.isArray(result.months)) {
    const out: ReconcileMark[] = [];
    for (const m of result.months) {
      if (!isObject(m) || typeof m.month !== 'string' || m.recredited === 0) continue;
      const period = monthPeriod(m.month);
      if (period) out.push({ period });
    }
    return out;
  }
  return [];
}
