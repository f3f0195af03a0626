/**
 * Report periods as people type them: `7d`, `30d`, `90d` (any `<n>d` up to 3660, also
 * `<n>h` and `<n>w`), or a date range `2026-01-01..2026-01-31` (both days included, in
 * the workspace's time zone). Shared by the CLI and the bot commands.
 */

export interface Period {
  /** Inclusive start (ISO, UTC). */
  from: string;
  /** Exclusive end (ISO, UTC). */
  to: string;
  /** How the user wrote it, for report titles. */
  label: string;
}

export class PeriodError extends Error {
  override name = 'PeriodError';
}

export const PERIOD_USAGE = 'periods: 7d, 30d, 90d, or 2026-01-01..2026-01-31';

/** One formatter per time zone: building one costs far more than using it. */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds of the UTC offset of `timeZone` at `instant` (positive east of Greenwich). */
function zoneOffsetMs(instant: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    offsetFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(instant));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** UTC instant of local midnight starting `day` (YYYY-MM-DD) in `timeZone`. */
export function startOfLocalDay(day: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) throw new PeriodError(`'${day}' is not a date like 2026-01-31`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const guess = Date.UTC(y, mo - 1, d);
  const check = new Date(guess);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
    throw new PeriodError(`'${day}' is not a calendar date`);
  }
  // Two passes settle daylight-saving transitions.
  let t = guess - zoneOffsetMs(guess, timeZone);
  t = guess - zoneOffsetMs(t, timeZone);
  return t;
}

/**
 * UTC instant of a local wall-clock time in `timeZone`: `day` is YYYY-MM-DD, then hours,
 * minutes and seconds. A time skipped by a daylight-saving jump resolves to the instant
 * the clock reads it after the jump.
 */
export function instantOfLocalTime(day: string, hours: number, minutes: number, seconds: number, timeZone: string): number {
  startOfLocalDay(day, timeZone); // validates the day
  const [y, mo, d] = day.split('-').map(Number) as [number, number, number];
  const guess = Date.UTC(y, mo - 1, d, hours, minutes, seconds);
  // Two passes settle daylight-saving transitions, as in startOfLocalDay.
  let t = guess - zoneOffsetMs(guess, timeZone);
  t = guess - zoneOffsetMs(t, timeZone);
  return t;
}

/** The local calendar day (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDay(instant: number | string, timeZone: string): string {
  const ms = typeof instant === 'string' ? Date.parse(instant) : instant;
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * Parses a period. `now` is the end of relative periods; `timeZone` (default UTC) places
 * the day boundaries of date ranges. Throws PeriodError with a one-line reason.
 */
export function parsePeriod(text: string, now: Date = new Date(), timeZone = 'UTC'): Period {
  const t = text.trim();
  const rel = /^(\d{1,4})([hdw])$/.exec(t);
  if (rel) {
    const n = Number(rel[1]);
    const unit = rel[2] ?? 'd';
    const ms = n * (UNIT_MS[unit] ?? 0);
    if (n === 0 || ms > 3660 * 86_400_000) throw new PeriodError(`'${t}' is out of range; ${PERIOD_USAGE}`);
    return { from: new Date(now.getTime() - ms).toISOString(), to: now.toISOString(), label: t };
  }
  const range = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(t);
  if (range) {
    const a = range[1] ?? '';
    const b = range[2] ?? '';
    const from = startOfLocalDay(a, timeZone);
    const endDay = new Date(Date.UTC(Number(b.slice(0, 4)), Number(b.slice(5, 7)) - 1, Number(b.slice(8, 10)) + 1)).toISOString().slice(0, 10);
    startOfLocalDay(b, timeZone);
    const to = startOfLocalDay(endDay, timeZone);
    if (to <= from) throw new PeriodError(`'${t}' ends before it starts; ${PERIOD_USAGE}`);
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), label: t };
  }
  throw new PeriodError(`'${t}' is not a period; ${PERIOD_USAGE}`);
}
