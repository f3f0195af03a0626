/**
 * Refitting one month's data-driven models and re-crediting that month's conversions with the
 * new fit, in bulk, inside the refit's own job (no job per conversion).
 *
 * 1. Read the month's `marks` (data changes reported so far), then its fit window's journeys
 *    (`journeysForFit`), and build the fit (its id is a hash of those journeys).
 * 2. Store it and make it the month's current fit, unless a refit that read later data already
 *    did (`fits.setCurrent` compares `marks`): a slow refit never replaces a newer one.
 * 3. Page through the month's credit sets; those credited with another fit (or none) are
 *    re-credited in batches, each batch under the conversions' locks (the reconciler's own
 *    locks, so a reconcile run and the bulk never interleave on one conversion) and only while
 *    the fit is still the month's current one. Credits deleted meanwhile (an erasure) stay
 *    deleted (`credits.replaceExisting`).
 * 4. When every set was re-credited, record it (`fits.setCredited`): the month is clean.
 *
 * A month without credit sets has nothing to credit: it is recorded as fitted with no fit.
 */
import type { Locker } from '../lock.js';
import type { CreditSet, Store } from '../store/store.js';
import { buildFit, creditConversion, journeysForFit, loadFit, type FitCache, type LoadedFit } from './fit-models.js';
import { DEFAULT_FIT_DAYS, fitWindow, monthBounds } from './fit-window.js';
import { everyCreditSet } from './read-pages.js';
import { conversionKey } from './reconcile-queue.js';

/** Conversions re-credited under one batch of locks; default 200. */
export const RECREDIT_BATCH = 200;

export interface RefitDeps {
  store: Store;
  locker: Locker;
  /** Lock key of a conversion (`conversionLockKey` with the queue prefix), as the reconciler takes it. */
  conversionLockKey: (workspace: string, conversionKey: string) => string;
  fits: FitCache;
  /** Days of journeys before the month that its fit reads; default 90. */
  fitDays?: number;
  /** Conversions per re-credit batch; default {@link RECREDIT_BATCH}. */
  batch?: number;
  now?: () => Date;
}

/** What refitting one month did. */
export interface RefitMonthResult {
  month: string;
  /**
   * `fitted`: a new fit became current; `unchanged`: the data gave the current fit again;
   * `empty`: no conversion of the month has credits, nothing to fit; `stale`: a refit that
   * read later data set the month's fit first (this one was dropped); `clean`: not refitted,
   * the month's fit is up to date (scheduled refits skip those).
   */
  status: 'fitted' | 'unchanged' | 'empty' | 'stale' | 'clean';
  fitId: string | null;
  previousFitId: string | null;
  /** Journeys (converting or not) and conversions the fit was made from. */
  journeys: number;
  conversions: number;
  /** Conversions of the month re-credited with the fit. */
  recredited: number;
}

/**
 * Re-credits the month's credit sets that carry another fit than `fit`, in batches under the
 * conversions' locks. Stops (complete: false) as soon as `fit` is no longer the month's
 * current fit: the refit that replaced it re-credits the month itself.
 */
export async function recreditMonth(deps: RefitDeps, workspace: string, month: string, fit: LoadedFit): Promise<{ recredited: number; complete: boolean }> {
  const { store } = deps;
  const size = deps.batch ?? RECREDIT_BATCH;
  const now = (): string => (deps.now?.() ?? new Date()).toISOString();
  let recredited = 0;
  let pending: string[] = [];
  const flush = async (): Promise<boolean> => {
    const ids = pending;
    pending = [];
    return deps.locker.withLocks(
      ids.map((id) => deps.conversionLockKey(workspace, conversionKey(id))),
      async () => {
        if ((await store.fits.month(workspace, month))?.fitId !== fit.id) return false;
        const sets = await store.credits.getMany(workspace, ids);
        const computedAt = now();
        const next: CreditSet[] = [];
        for (const s of sets) {
          if (s.fitId === fit.id) continue;
          next.push({ ...s, models: creditConversion(s.touches, { at: s.conversionAt, value: s.value }, fit), fitId: fit.id, computedAt });
        }
        recredited += await store.credits.replaceExisting(workspace, next);
        return true;
      },
    );
  };
  for await (const set of everyCreditSet(store, workspace, { ...monthBounds(month), models: [] })) {
    if (set.fitId === fit.id) continue;
    pending.push(set.conversionId);
    if (pending.length >= size && !(await flush())) return { recredited, complete: false };
  }
  if (pending.length > 0 && !(await flush())) return { recredited, complete: false };
  return { recredited, complete: true };
}

/** Refits one month and re-credits its conversions (see the header). */
export async function refitMonth(deps: RefitDeps, workspace: string, month: string): Promise<RefitMonthResult> {
  const { store } = deps;
  const now = (deps.now?.() ?? new Date()).toISOString();
  const before = await store.fits.month(workspace, month);
  const marks = before?.marks ?? 0;
  const previousFitId = before?.fitId ?? null;
  const bounds = monthBounds(month);
  const any = await store.credits.list(workspace, { ...bounds, limit: 1, models: [] });
  if (any.length === 0) {
    const set = await store.fits.setCurrent(workspace, { month, fitId: null, fittedAt: now, journeys: 0, conversions: 0, marks });
    if (set) await store.fits.setCredited(workspace, month, null);
    return { month, status: set ? 'empty' : 'stale', fitId: null, previousFitId, journeys: 0, conversions: 0, recredited: 0 };
  }
  const window = fitWindow(month, deps.fitDays ?? DEFAULT_FIT_DAYS);
  const stored = buildFit({ workspace, month, createdAt: now, ...window }, await journeysForFit(store, workspace, window));
  await store.fits.put(workspace, stored);
  const summary = { fitId: stored.id, previousFitId, journeys: stored.journeys, conversions: stored.conversions };
  if (!(await store.fits.setCurrent(workspace, { month, fitId: stored.id, fittedAt: now, journeys: stored.journeys, conversions: stored.conversions, marks }))) {
    return { month, status: 'stale', ...summary, recredited: 0 };
  }
  const fit = loadFit(stored);
  deps.fits.remember(workspace, fit);
  const { recredited, complete } = await recreditMonth(deps, workspace, month, fit);
  if (complete) await store.fits.setCredited(workspace, month, stored.id);
  return { month, status: previousFitId === stored.id ? 'unchanged' : 'fitted', ...summary, recredited };
}
