/**
 * Keeping fits current as data lands: a data change in a month's fit window marks that month
 * dirty (`fits.markDirty`: its `marks` + 1) and queues a debounced refit of it (one delayed job
 * per workspace and month, deduplicated; a mark while that refit runs queues one more run after
 * it, see `ReconcileQueue.requestMonthRefits`).
 *
 * Who marks:
 * - the reconcile worker, when a run changed a conversion's journey (or its conversion time
 *   or value, or whether it is matched): the months whose fit windows hold the conversion;
 *   and, when the conversion's month has no fit yet, that month;
 * - the touch trigger, when a touch lands (non-converting journeys feed the fits too): the
 *   months whose fit windows hold the touch's time (`markFitsDirty`).
 *
 * Marks are written in batches: calls that arrive while a batch is being written join the
 * next one. A lost mark (a crash before its batch is written) is caught by the daily refit,
 * which refits every month that is dirty or has credits without a fit.
 */
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { DEFAULT_FIT_DAYS, monthsFedBy } from './fit-window.js';

/** Default wait before a marked month is refitted (marks meanwhile join the same refit): 5 minutes. */
export const DEFAULT_REFIT_DELAY_MS = 5 * 60_000;
/** Default wait before touch marks are written, so a burst of touches is one write: 100 ms. */
export const DEFAULT_MARK_BATCH_MS = 100;

/** What queues month refits (`ReconcileQueue`). */
export interface MonthRefitRequester {
  requestMonthRefits(workspace: string, months: readonly string[], delayMs: number): Promise<void>;
}

export interface FitMarks {
  /**
   * Marks months dirty and queues their refits; resolves once written (calls in flight at the
   * same time share one write). Rejects when the store or Redis fails (a job then retries).
   */
  markMonths(workspace: string, months: readonly string[]): Promise<void>;
  /**
   * Touches landed (ISO times): marks the months whose fit windows hold them, in the next batch
   * (within {@link DEFAULT_MARK_BATCH_MS}). Never throws; a failed batch is logged.
   */
  markFitsDirty(workspace: string, touchTimes: readonly string[]): void;
  /** Writes every pending mark now. */
  flush(): Promise<void>;
}

export interface FitMarksOptions {
  store: Store;
  queue: MonthRefitRequester;
  log: Logger;
  /** Wait before a marked month is refitted; default {@link DEFAULT_REFIT_DELAY_MS}. */
  refitDelayMs?: number;
  /** Wait before touch marks are written; default {@link DEFAULT_MARK_BATCH_MS}. */
  batchMs?: number;
  /** Days of journeys before a month that its fit reads; default 90. */
  fitDays?: number;
}

export function createFitMarks(options: FitMarksOptions): FitMarks {
  const delay = options.refitDelayMs ?? DEFAULT_REFIT_DELAY_MS;
  const batchMs = options.batchMs ?? DEFAULT_MARK_BATCH_MS;
  const days = options.fitDays ?? DEFAULT_FIT_DAYS;
  let pending = new Map<string, Set<string>>();
  let waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let writing: Promise<void> | undefined;

  const add = (workspace: string, months: Iterable<string>): void => {
    const set = pending.get(workspace) ?? new Set<string>();
    for (const m of months) set.add(m);
    pending.set(workspace, set);
  };

  /** Writes one batch: everything pending now; later calls wait for the next one. */
  const writeBatch = async (): Promise<void> => {
    const batch = pending;
    const batchWaiters = waiters;
    pending = new Map();
    waiters = [];
    try {
      for (const [workspace, months] of batch) {
        const list = [...months].sort();
        await options.store.fits.markDirty(workspace, list);
        await options.queue.requestMonthRefits(workspace, list, delay);
      }
      for (const w of batchWaiters) w.resolve();
    } catch (err) {
      for (const w of batchWaiters) w.reject(err);
      if (batchWaiters.length === 0) options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'marking fits dirty failed; the daily refit will catch up');
    }
  };

  const run = (): void => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    if (writing) return;
    writing = writeBatch().finally(() => {
      writing = undefined;
      if (pending.size > 0) schedule(waiters.length > 0);
    });
  };

  function schedule(now: boolean): void {
    if (writing) return;
    if (now) {
      if (!immediate) immediate = setImmediate(run);
      return;
    }
    if (!timer && !immediate) timer = setTimeout(run, batchMs);
  }

  return {
    markMonths(workspace, months) {
      if (months.length === 0) return Promise.resolve();
      add(workspace, months);
      const done = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      schedule(true);
      return done;
    },
    markFitsDirty(workspace, touchTimes) {
      const months = new Set<string>();
      for (const t of touchTimes) {
        if (Number.isNaN(Date.parse(t))) continue;
        for (const m of monthsFedBy(t, days)) months.add(m);
      }
      if (months.size === 0) return;
      add(workspace, months);
      schedule(false);
    },
    async flush() {
      while (writing || pending.size > 0) {
        if (writing) await writing;
        else run();
      }
    },
  };
}
