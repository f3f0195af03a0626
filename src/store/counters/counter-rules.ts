/**
 * Rules both counter adapters follow (the MongoDB adapter owns them; the in-memory one
 * follows): canonical days and times, and the canonical copies of day counters and person
 * facts as stored. Nothing here does I/O.
 */
import { assertSameWorkspace, canonicalTime, compareCodePoints, plainCopy } from '../rules.js';
import { DAY_PARTS, emptyPart, type CounterUnit, type DayCounters, type DayParts, type PersonFacts } from './counter-repo.js';

/** Marks listed by `dirty` when no limit is given. */
export const DEFAULT_DIRTY_LIMIT = 1_000;
/** Marks, days or ids listed when no limit is given. */
export const DEFAULT_COUNTER_LIST_LIMIT = 10_000;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Throws a RangeError unless `day` is a calendar date written `YYYY-MM-DD`. */
export function assertDay(day: string, what = 'day'): string {
  const m = typeof day === 'string' ? DAY.exec(day) : null;
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0;
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= (MONTH_DAYS[mo - 1] as number) + leap) return day;
  }
  throw new RangeError(`${what} must be a date written YYYY-MM-DD, got ${JSON.stringify(day)}`);
}

/** Throws a RangeError unless `n` is a whole number ≥ 0 (a unit's marks, a version). */
export function assertCount(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number ≥ 0, got ${String(n)}`);
  return n;
}

/** Throws a RangeError for a unit that is neither a day nor a non-empty profile id. */
export function assertUnit(u: CounterUnit): CounterUnit {
  if (u.kind === 'day') assertDay(u.key, 'a day unit');
  else if (u.kind !== 'person' || typeof u.key !== 'string' || u.key.length === 0) throw new RangeError(`a counter unit is a day or a profile id, got ${JSON.stringify(u)}`);
  return u;
}

/** Distinct units, sorted by kind then key (code points). */
export function distinctUnits(units: readonly CounterUnit[]): CounterUnit[] {
  const seen = new Map<string, CounterUnit>();
  for (const u of units) seen.set(`${u.kind}\u0000${u.key}`, { kind: assertUnit(u).kind, key: u.key });
  return [...seen.values()].sort((a, b) => (a.kind === b.kind ? compareCodePoints(a.key, b.key) : a.kind < b.kind ? -1 : 1));
}

/** A day's counters as stored: every part present (missing ones empty), times canonical. */
export function canonicalDay(workspace: string, c: DayCounters): DayCounters {
  assertSameWorkspace(`counters of ${c.day}`, workspace, c.workspace);
  assertDay(c.day);
  assertCount(c.version, 'version');
  const parts: Partial<DayParts> = {};
  for (const name of DAY_PARTS) (parts as Record<string, unknown>)[name] = c.parts[name] ?? emptyPart(name);
  return plainCopy({ ...c, computedAt: canonicalTime(c.computedAt, 'computedAt'), parts });
}

/** A person's facts as stored: times canonical, days checked. */
export function canonicalFacts(workspace: string, f: PersonFacts): PersonFacts {
  assertSameWorkspace(`facts of ${f.profileId}`, workspace, f.workspace);
  assertCount(f.version, 'version');
  if (typeof f.profileId !== 'string' || f.profileId.length === 0) throw new RangeError('facts need a profile id');
  const t = (iso: string, what: string): string => canonicalTime(iso, `${f.profileId} ${what}`);
  const days = (list: readonly string[]): string[] => list.map((d) => assertDay(d));
  return plainCopy({
    ...f,
    computedAt: t(f.computedAt, 'computedAt'),
    activeDays: days(f.activeDays),
    touchDays: days(f.touchDays),
    conversions: f.conversions.map((c) => ({ ...c, at: t(c.at, 'conversion at') })),
    clicks: f.clicks.map((c) => t(c, 'click')),
    memberships: f.memberships.map((m) => ({
      ...m,
      activeDays: days(m.activeDays),
      ...(m.messageDays !== undefined ? { messageDays: days(m.messageDays) } : {}),
      joins: m.joins.map((j) => ({ at: t(j.at, 'join at'), campaign: j.campaign, engagedAt: j.engagedAt === null ? null : t(j.engagedAt, 'engagedAt') })),
      leaves: m.leaves.map((l) => ({ at: t(l.at, 'leave at'), campaign: l.campaign })),
    })),
    ...(f.keywords !== undefined ? { keywords: f.keywords.map((k) => ({ keyword: k.keyword, at: t(k.at, 'keyword at') })) } : {}),
  });
}

/** Index of the first item of an ascending list that is ≥ `key` (its length when none is). */
export function lowerBound<T>(list: readonly T[], key: T, less: (a: T, b: T) => boolean = (a, b) => a < b): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (less(list[mid] as T, key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether an ascending list of days holds one in [from, to] (both included). */
export function hasDayIn(days: readonly string[], from: string, to: string): boolean {
  const i = lowerBound(days, from);
  return i < days.length && (days[i] as string) <= to;
}
