/**
 * The one strict reader of `occurred_at` for both intakes (webhook and CSV): every part of
 * the date and time is checked before anything is computed, so `2026-02-30T10:00:00Z` or
 * `25:00` is refused with its reason instead of rolling over into another day, and years
 * outside 1970–9999 (`0001-…`, a typo) are refused instead of landing in another era.
 *
 * Accepted: ISO 8601 with an offset (`2026-03-01T10:00:00+08:00`, `…Z`, `+0800`, seconds and
 * fractions optional); with `localTimeZone` (CSV), also a local time without offset
 * (`2026-03-01 10:00`, `2026/3/1 10:00:00`, a date alone), read in that IANA zone.
 */
import { instantOfLocalTime } from '../reports/period.js';

/** Earliest and latest years accepted. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;

const OFFSET_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;
const LOCAL_TIME = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;

export type ParsedTime = { ok: true; ms: number } | { ok: false; message: string };

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Why a date and time of day is not real, or undefined when it is. */
function checkParts(y: number, mo: number, d: number, h: number, mi: number, s: number): string | undefined {
  if (y < MIN_YEAR || y > MAX_YEAR) return `the year ${String(y).padStart(4, '0')} is out of range (${MIN_YEAR}–${MAX_YEAR})`;
  if (mo < 1 || mo > 12) return `not a calendar date: there is no month ${mo}`;
  const days = daysInMonth(y, mo);
  if (d < 1 || d > days) return `not a calendar date: ${y}-${String(mo).padStart(2, '0')} has ${days} days`;
  if (h > 23 || mi > 59 || s > 59) return 'not a valid time of day (00:00:00 to 23:59:59)';
  return undefined;
}

/** Epoch ms of an `occurred_at` text, or the reason it is refused. */
export function parseOccurredAt(text: string, localTimeZone?: string): ParsedTime {
  const t = text.trim();
  const m = OFFSET_TIME.exec(t);
  if (m) {
    const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
    const s = Number(m[6] ?? 0);
    const bad = checkParts(y as number, mo as number, d as number, h as number, mi as number, s);
    if (bad) return { ok: false, message: bad };
    let offsetMin = 0;
    if (m[8]?.toUpperCase() !== 'Z') {
      const oh = Number(m[10]);
      const om = Number(m[11]);
      if (oh > 14 || om > 59) return { ok: false, message: 'not a valid offset (from -14:00 to +14:00)' };
      offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
    }
    const frac = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
    const utc = new Date(0);
    utc.setUTCFullYear(y as number, (mo as number) - 1, d as number);
    utc.setUTCHours(h as number, mi as number, s, frac);
    return { ok: true, ms: utc.getTime() - offsetMin * 60_000 };
  }
  const l = LOCAL_TIME.exec(t);
  if (l && localTimeZone !== undefined) {
    const [y, mo, d] = [1, 2, 3].map((i) => Number(l[i])) as [number, number, number];
    const [h, mi, s] = [Number(l[4] ?? 0), Number(l[5] ?? 0), Number(l[6] ?? 0)];
    const bad = checkParts(y, mo, d, h, mi, s);
    if (bad) return { ok: false, message: bad };
    try {
      return { ok: true, ms: instantOfLocalTime(`${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`, h, mi, s, localTimeZone) };
    } catch {
      return { ok: false, message: 'not a calendar date' };
    }
  }
  return {
    ok: false,
    message:
      localTimeZone === undefined
        ? 'expected an ISO 8601 time with its offset, like 2026-03-01T10:00:00+08:00 or 2026-03-01T02:00:00Z'
        : 'expected a time like 2026-03-01 10:00 (workspace time zone) or 2026-03-01T10:00:00+08:00',
  };
}
