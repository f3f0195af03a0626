/**
 * What managers and reports see of the data-driven fits: per month, the fit its conversions
 * are credited with, when it was fitted, from how many journeys, and whether a refit is due
 * (`fitStatus`, for `/models`); asking for a refit (`requestRefit`, for `/refit` and the CLI);
 * and the note a report shows when some conversions lack Markov/Shapley credits
 * (`missingFitNote`), which says what is going on and tells people to refit only when that helps.
 */
import type { FitMonth, Store } from '../store/store.js';
import { MAX_FIT_MONTHS, monthBounds, monthOf, monthRange, monthsOfPeriod } from './fit-window.js';
import type { ReconcileQueue } from './reconcile-queue.js';
import type { RefitMonthResult } from './refit-month.js';

/** One month's fit as managers see it. */
export interface FitMonthStatus {
  /** `YYYY-MM` (UTC): the fit credits the conversions of this month. */
  month: string;
  /** Null when the month was never fitted, or has no conversion with credits. */
  fitId: string | null;
  fittedAt: string | null;
  /** Journeys (converting or not) of the fit window, and conversions among them. */
  journeys: number;
  conversions: number;
  /** True when data changed since the fit was made, or its re-credit has not finished: a refit is queued or due. */
  dirty: boolean;
}

/** A month needs a refit when data changed after its fit was read, or its bulk re-credit did not finish. */
export function fitMonthDirty(m: Pick<FitMonth, 'marks' | 'fittedMarks' | 'fitId' | 'creditedFitId'>): boolean {
  return m.marks > m.fittedMarks || m.fitId !== m.creditedFitId;
}

/** Per month (in order), the fit of a workspace's conversions; `months` (`YYYY-MM`, inclusive–exclusive) narrows it. */
export async function fitStatus(store: Store, workspace: string, months: { from?: string; to?: string } = {}): Promise<FitMonthStatus[]> {
  const list = await store.fits.months(workspace, months);
  return list.map((m) => ({ month: m.month, fitId: m.fitId, fittedAt: m.fittedAt, journeys: m.journeys, conversions: m.conversions, dirty: fitMonthDirty(m) }));
}

/** What `requestRefit` queued. */
export interface RefitRequest {
  jobId: string;
  /** The months asked for (`YYYY-MM`), or null for every month with conversions. */
  months: string[] | null;
}

/** Thrown when a refit request names too many months or an empty period. */
export class RefitRequestError extends Error {
  override name = 'RefitRequestError';
}

/**
 * Queues one job that refits every month with conversions, or the months of `period` (its
 * conversions' UTC months), and re-credits their conversions. The job's result lists, per
 * month, what it did (`ReconcileQueue.waitForResult`).
 * @throws RefitRequestError when the period holds no month or more than {@link MAX_FIT_MONTHS}.
 */
export async function requestRefit(queue: Pick<ReconcileQueue, 'requestRefit'>, workspace: string, period?: { from: string; to: string }, cause = `ondemand-${Date.now()}`): Promise<RefitRequest> {
  if (!period) return { jobId: await queue.requestRefit(workspace, cause), months: null };
  const months = monthsOfPeriod(period);
  if (months.length === 0) throw new RefitRequestError('the period is empty: nothing to refit');
  if (months.length > MAX_FIT_MONTHS) throw new RefitRequestError(`the period spans ${months.length} months; refit at most ${MAX_FIT_MONTHS} at once, or every month (no period)`);
  return { jobId: await queue.requestRefit(workspace, cause, months), months };
}

/**
 * Months a refit job goes through. Without `force`, the daily safety net: months that are
 * dirty, or have credits but were never fitted. With `force`: every month from the earliest
 * credited conversion to the current one, and every month with a fit record.
 */
export async function monthsToRefit(store: Store, workspace: string, options: { force: boolean; now: Date }): Promise<{ refit: string[]; clean: Array<Pick<FitMonth, 'month' | 'fitId' | 'journeys' | 'conversions'>> }> {
  const records = await store.fits.months(workspace);
  const byMonth = new Map(records.map((m) => [m.month, m]));
  const [earliest] = await store.credits.list(workspace, { limit: 1, models: [] });
  const candidates = new Set(records.map((m) => m.month));
  if (earliest) {
    // Conversions may be dated a little ahead of the clock (the shop's clock): one day of slack.
    const last = monthOf(Math.max(options.now.getTime() + 86_400_000, Date.parse(earliest.conversionAt)));
    for (const m of monthRange(monthOf(earliest.conversionAt), last)) candidates.add(m);
  }
  const refit: string[] = [];
  const clean: Array<Pick<FitMonth, 'month' | 'fitId' | 'journeys' | 'conversions'>> = [];
  for (const month of [...candidates].sort()) {
    const record = byMonth.get(month);
    if (options.force || (record ? fitMonthDirty(record) : await hasCredits(store, workspace, month))) refit.push(month);
    else clean.push(record ?? { month, fitId: null, journeys: 0, conversions: 0 });
  }
  return { refit, clean };
}

async function hasCredits(store: Store, workspace: string, month: string): Promise<boolean> {
  return (await store.credits.list(workspace, { ...monthBounds(month), limit: 1, models: [] })).length > 0;
}

/**
 * The note a report adds when `missing` conversions of the period have no Markov/Shapley
 * credits, from the period's fit status: being refitted (queued, clears by itself), or no fit
 * covers them and nothing is queued (then a refit helps: `/refit`). Empty when none is missing.
 */
export function missingFitNote(model: string, missing: number, status: readonly FitMonthStatus[], period: { from: string; to: string }): string[] {
  if (missing <= 0) return [];
  const months = new Set(monthsOfPeriod(period));
  const inPeriod = status.filter((s) => months.has(s.month));
  const what = `${model}: ${missing} conversion${missing === 1 ? '' : 's'} not credited yet`;
  const refitting = inPeriod.filter((s) => s.dirty).map((s) => s.month);
  if (refitting.length > 0) return [`${what}: the models of ${refitting.join(', ')} are being refitted after new data; the credits appear by themselves once that is done`];
  return [`${what}: no fit covers them and none is queued; /refit (or midfunnel conversions refit) fits them now`];
}

/** What a refit did, one line per month, for the CLI and chat answers. */
export function formatRefitMonths(months: ReadonlyArray<Pick<RefitMonthResult, 'month' | 'status' | 'fitId' | 'journeys' | 'conversions' | 'recredited'>>): string {
  if (months.length === 0) return 'no month to refit: no conversion has credits yet\n';
  const what: Record<RefitMonthResult['status'], string> = {
    fitted: 'fitted',
    unchanged: 'unchanged (same data, same fit)',
    empty: 'nothing to fit (no credited conversion)',
    stale: 'skipped (a refit from newer data won)',
    clean: 'up to date',
  };
  const lines = months.map((m) => {
    const counts = m.fitId ? `, ${m.journeys} journeys, ${m.conversions} converting, ${m.recredited} conversions re-credited` : '';
    return `${m.month}  ${what[m.status]}${m.fitId ? ` ${m.fitId}` : ''}${counts}`;
  });
  return `${lines.join('\n')}\n`;
}
