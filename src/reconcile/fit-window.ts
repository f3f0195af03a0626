/**
 * Which data a fit of the data-driven models belongs to (pure; no I/O).
 *
 * One fit per workspace and calendar month of conversions, in UTC: the conversions of month
 * M are credited with fit(M), fitted over every journey (converting or not) in
 * [start of M − 90 days, end of M). So a fit is anchored on the conversions it serves, never
 * on the wall clock: last quarter's orders, or a history imported today, get the same fit
 * whenever they are reconciled.
 *
 * Months are UTC so a conversion's month depends only on its instant, not on a workspace's
 * time-zone setting (which may change); reports still cut periods in the workspace's zone,
 * and a period's conversions simply use the fits of the UTC months they fall in.
 */

const DAY_MS = 86_400_000;

/** Days of journeys before a month that its fit reads; default 90. */
export const DEFAULT_FIT_DAYS = 90;

/** Most months one request names (a period of ten years). */
export const MAX_FIT_MONTHS = 120;

/** The `YYYY-MM` (UTC) month an instant (ISO text or epoch ms) falls in. */
export function monthOf(at: string | number): string {
  const d = new Date(typeof at === 'number' ? at : Date.parse(at));
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a time: ${String(at)}`);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Epoch ms of the first instant of a `YYYY-MM` month (UTC). */
export function monthStart(month: string): number {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m) throw new RangeError(`a month is written YYYY-MM, got ${JSON.stringify(month)}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
}

/** The month after `month`. */
export function nextMonth(month: string): string {
  const start = new Date(monthStart(month));
  return monthOf(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** Inclusive start and exclusive end (ISO) of a month's conversions. */
export function monthBounds(month: string): { from: string; to: string } {
  return { from: new Date(monthStart(month)).toISOString(), to: new Date(monthStart(nextMonth(month))).toISOString() };
}

/** The journeys a month's fit reads: [start of month − `days`, end of month). */
export function fitWindow(month: string, days = DEFAULT_FIT_DAYS): { from: string; to: string } {
  return { from: new Date(monthStart(month) - days * DAY_MS).toISOString(), to: monthBounds(month).to };
}

/** Months from `first` to `last`, both included, in order. */
export function monthRange(first: string, last: string): string[] {
  const out: string[] = [];
  for (let m = first; m <= last; m = nextMonth(m)) {
    out.push(m);
    if (out.length > 10_000) throw new RangeError(`too many months from ${first} to ${last}`);
  }
  return out;
}

/** Months whose conversions fall in [from, to) (ISO), in order. */
export function monthsOfPeriod(period: { from: string; to: string }): string[] {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  if (!(to > from)) return [];
  return monthRange(monthOf(from), monthOf(to - 1));
}

/**
 * The months whose fit windows hold an instant: a journey (touch or conversion) at `at` feeds
 * the fits of its own month and of every month that starts up to `days` later.
 */
export function monthsFedBy(at: string | number, days = DEFAULT_FIT_DAYS): string[] {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return monthRange(monthOf(ms), monthOf(ms + days * DAY_MS));
}
