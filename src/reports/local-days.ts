/**
 * Local calendar days of a time zone, fast: counters are kept per local day of the
 * workspace's time zone, and the rollup asks the day of every touch.
 */
import { startOfLocalDay } from './period.js';

/** Every UTC offset, and every daylight-saving switch, falls on a quarter hour. */
const SLOT_MS = 15 * 60_000;
/** Cached slots per time zone before the cache starts over. */
const MAX_SLOTS = 200_000;

const finders = new Map<string, (ms: number) => string>();

/**
 * The local day (`YYYY-MM-DD`) of an instant (epoch ms) in `timeZone`: one time-zone
 * conversion per quarter hour, cached, rather than one per call.
 */
export function dayFinder(timeZone: string): (ms: number) => string {
  let find = finders.get(timeZone);
  if (!find) {
    const slots = new Map<number, string>();
    // One formatter per zone: building one costs far more than formatting with it.
    const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    find = (ms: number): string => {
      const slot = Math.floor(ms / SLOT_MS);
      let day = slots.get(slot);
      if (day === undefined) {
        if (slots.size >= MAX_SLOTS) slots.clear();
        day = format.format(new Date(slot * SLOT_MS));
        slots.set(slot, day);
      }
      return day;
    };
    finders.set(timeZone, find);
  }
  return find;
}

/** The calendar day after `day`. */
export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** The calendar day before `day`. */
export function previousDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

/** [start, end) of a local day in epoch ms (23 or 25 hours on a daylight-saving switch). */
export function dayBounds(day: string, timeZone: string): { from: number; to: number } {
  return { from: startOfLocalDay(day, timeZone), to: startOfLocalDay(nextDay(day), timeZone) };
}

/** Every day from `from` to `to`, both included. */
export function daysFrom(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = nextDay(d)) out.push(d);
  return out;
}
