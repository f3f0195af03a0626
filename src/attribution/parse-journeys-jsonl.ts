/**
 * Parses journeys, one JSON object per line:
 *   {"touches":[{"channel":"tg/deals","at":"2026-03-01T10:00:00Z"},…],"conversion":{"at":"…","value":12.5}}
 * with `"conversion": null` for a journey that did not convert. `value` may be left out (0).
 * Times are ISO 8601: a date (`2026-03-01`, midnight UTC) or a date-time with an optional
 * offset (`Z`, `+08:00`); a date-time without an offset is read as UTC so results never depend
 * on the machine's time zone. Blank lines, CRLF line ends and a UTF-8 BOM are accepted; other
 * fields are ignored.
 *
 * Touches after the conversion, or older than the lookback window before it, are dropped
 * before anything else (a journey that did not convert keeps all its touches). Validation is
 * by hand rather than with zod: a million lines must parse in seconds, and each message names
 * the exact field.
 */
import { JourneyTableBuilder, type JourneyTableOptions } from './journey.js';
import type { ParseResult } from './parse-result.js';

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil; any year). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function timeOf(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, offsetMinutes: number): number {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return NaN;
  return ((daysFromCivil(year, month, day) * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + ms;
}

/** Value of `n` ASCII digits of `s` from `at`, or -1 if any is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** `YYYY-MM-DDTHH:MM:SSZ` or `…SS.sssZ` (what most exporters write), without a regex. */
function parseCanonical(s: string): number | undefined {
  const len = s.length;
  if ((len !== 20 && len !== 24) || s.charCodeAt(len - 1) !== 0x5a) return undefined;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') return undefined;
  if (len === 24 && s[19] !== '.') return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  const ms = len === 24 ? digits(s, 20, 3) : 0;
  if ((year | month | day | hour | minute | second | ms) < 0) return undefined;
  return timeOf(year, month, day, hour, minute, second, ms, 0);
}

/** Parses an ISO 8601 date or date-time (see module doc) to epoch ms; `NaN` when malformed or impossible. */
export function parseIsoTime(text: string): number {
  const fast = parseCanonical(text);
  if (fast !== undefined) return fast;
  const m = ISO_TIME.exec(text);
  if (m === null) return NaN;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return NaN;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return timeOf(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    m[4] === undefined ? 0 : Number(m[4]),
    m[5] === undefined ? 0 : Number(m[5]),
    m[6] === undefined ? 0 : Number(m[6]),
    m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000,
    offsetMinutes,
  );
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses journeys JSONL into a table (kind `journeys`). Empty text gives an empty table.
 * Never throws: a bad line comes back as `{ ok: false, line, message }`.
 */
export function parseJourneysJsonl(text: string, options: JourneyTableOptions = {}): ParseResult {
  const builder = new JourneyTableBuilder('journeys', options);
  const names: string[] = [];
  let times = new Float64Array(64);
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (pos < text.length) {
    line++;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 0x0d ? end - 1 : end);
    pos = end + 1;
    if (raw.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (err) {
      return { ok: false, line, message: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
    }
    if (!isObject(obj)) return { ok: false, line, message: `expected a JSON object like {"touches":[…],"conversion":…}, got ${describe(obj)}` };
    const touches = obj['touches'];
    if (!Array.isArray(touches)) return { ok: false, line, message: `touches: expected an array, got ${describe(touches)}` };
    const n = touches.length;
    if (times.length < n) times = new Float64Array(n * 2);
    names.length = n;
    for (let i = 0; i < n; i++) {
      const t: unknown = touches[i];
      if (!isObject(t)) return { ok: false, line, message: `touches[${i}]: expected an object {"channel":…,"at":…}, got ${describe(t)}` };
      const channel = t['channel'];
      if (typeof channel !== 'string' || channel.trim() === '') {
        return { ok: false, line, message: `touches[${i}].channel: expected a non-empty string, got ${describe(channel)}` };
      }
      const at = t['at'];
      const ms = typeof at === 'string' ? parseIsoTime(at) : NaN;
      if (Number.isNaN(ms)) {
        return { ok: false, line, message: `touches[${i}].at: not an ISO 8601 date-time like "2026-03-01T10:00:00Z": ${describe(at)}` };
      }
      names[i] = channel;
      times[i] = ms;
    }
    if (!('conversion' in obj)) return { ok: false, line, message: 'conversion: missing (use "conversion":null for a journey that did not convert)' };
    const conv = obj['conversion'];
    if (conv === null) {
      builder.addJourneyArrays(names, times, n, null, 0);
      continue;
    }
    if (!isObject(conv)) return { ok: false, line, message: `conversion: expected an object {"at":…,"value":…} or null, got ${describe(conv)}` };
    const at = conv['at'];
    const convAt = typeof at === 'string' ? parseIsoTime(at) : NaN;
    if (Number.isNaN(convAt)) {
      return { ok: false, line, message: `conversion.at: not an ISO 8601 date-time like "2026-03-01T10:00:00Z": ${describe(at)}` };
    }
    const value = conv['value'] ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return { ok: false, line, message: `conversion.value: expected a number ≥ 0, got ${describe(value)}` };
    }
    builder.addJourneyArrays(names, times, n, convAt, value);
  }
  return { ok: true, table: builder.build() };
}
