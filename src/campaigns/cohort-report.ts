/**
 * Cohorts: retention and activity by join week or by join campaign, from the people's facts
 * the rollup keeps. A cohort member is a person and the group of their join:
 * - `by=week`: each person once, from their first join in the period; the cohort is the local
 *   week (Monday to Sunday, the workspace's time zone) of that join;
 * - `by=campaign`: each person once per campaign, from their first join through it in the
 *   period (`(none)`: joined without one), as the campaign card counts them.
 *
 * For week w since joining (week 0 is the join's local day and the six after it):
 * - `member`: share still in the group at the end of week w (join + 7·(w+1) days; a leave and
 *   a rejoin before then: still in);
 * - `active`: share who wrote in that group on a local day of week w;
 * both over the people whose week w has ended by `now` (`people`). Weeks nobody has reached
 * are left out.
 */
import { NONE_KEY } from '../reports/day-counters.js';
import { dayFinder } from '../reports/local-days.js';
import type { Period } from '../reports/period.js';
import type { MemberJoin, Store } from '../store/store.js';
import { campaignCohorts } from './campaign-card.js';
import { round } from './campaign-target.js';
import { isMemberAt } from './membership.js';

const DAY_MS = 86_400_000;
/** Weeks since joining a cohort table shows by default. */
export const COHORT_WEEKS = 8;

export interface CohortWeek {
  week: number;
  /** Share 0..1 still a member at the end of the week. */
  member: number;
  /** Share 0..1 who wrote in the group during the week. */
  active: number;
  /** People whose week has ended (the shares' base). */
  people: number;
}

export interface CohortRow {
  key: string;
  label: string;
  /** People in the cohort. */
  joined: number;
  weeks: CohortWeek[];
}

export interface CohortReport {
  workspace: string;
  period: Period;
  by: 'week' | 'campaign';
  rows: CohortRow[];
  notes: string[];
}

/** The Monday of a local day's week. */
export function weekOf(day: string): string {
  const dow = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
  return new Date(Date.parse(`${day}T00:00:00Z`) - dow * DAY_MS).toISOString().slice(0, 10);
}

/** Whether an ascending day list has a day in [from, to]. */
function hasDay(days: readonly string[] | undefined, from: string, to: string): boolean {
  if (!days) return false;
  for (const d of days) {
    if (d > to) return false;
    if (d >= from) return true;
  }
  return false;
}

/** One cohort's table over `weeks` weeks. */
export function cohortWeeks(joins: readonly MemberJoin[], timeZone: string, now: number, weeks: number): CohortWeek[] {
  const dayOf = dayFinder(timeZone);
  // Per join, once: its instant and its local join day as UTC midnight (day arithmetic without a time zone).
  const list = joins.map((j) => ({ j, at: Date.parse(j.at), day: Date.parse(`${dayOf(Date.parse(j.at))}T00:00:00Z`) }));
  const dayText = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
  const out: CohortWeek[] = [];
  for (let w = 0; w < weeks; w++) {
    let people = 0;
    let member = 0;
    let active = 0;
    for (const { j, at, day } of list) {
      const end = at + 7 * (w + 1) * DAY_MS;
      if (end > now) continue;
      people++;
      if (isMemberAt(j, end)) member++;
      if (hasDay(j.messageDays, dayText(day + 7 * w * DAY_MS), dayText(day + (7 * w + 6) * DAY_MS))) active++;
    }
    if (people === 0) break;
    out.push({ week: w, member: round(member / people, 4), active: round(active / people, 4), people });
  }
  return out;
}

export interface CohortOptions {
  period: Period;
  by: 'week' | 'campaign';
  /** When weeks have ended; default now. */
  now?: Date;
  /** Weeks since joining; default {@link COHORT_WEEKS}. */
  weeks?: number;
}

/** The cohort table of a workspace (see the header). */
export async function cohortReport(store: Store, workspace: string, timeZone: string, options: CohortOptions): Promise<CohortReport> {
  const now = (options.now ?? new Date()).getTime();
  const weeks = options.weeks ?? COHORT_WEEKS;
  const groups = new Map<string, MemberJoin[]>();
  if (options.by === 'campaign') {
    for (const [key, people] of await campaignCohorts(store, workspace, options.period)) groups.set(key, [...people.values()]);
  } else {
    const first = new Map<string, MemberJoin>();
    for await (const page of store.counters.joinsIn(workspace, { from: options.period.from, to: options.period.to })) {
      for (const j of page) {
        const e = first.get(j.profileId);
        if (!e || j.at < e.at || (j.at === e.at && j.chatId < e.chatId)) first.set(j.profileId, j);
      }
    }
    const dayOf = dayFinder(timeZone);
    for (const j of first.values()) {
      const key = weekOf(dayOf(Date.parse(j.at)));
      const list = groups.get(key);
      if (list) list.push(j);
      else groups.set(key, [j]);
    }
  }
  const rows: CohortRow[] = [...groups].map(([key, joins]) => ({
    key,
    label: options.by === 'week' ? `week of ${key}` : key === NONE_KEY ? '(no campaign)' : key,
    joined: joins.length,
    weeks: cohortWeeks(joins, timeZone, now, weeks),
  }));
  if (options.by === 'week') rows.sort((a, b) => (a.key < b.key ? -1 : 1));
  else rows.sort((a, b) => b.joined - a.joined || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const notes: string[] = [];
  let missing = 0;
  for (const list of groups.values()) for (const j of list) if (j.messageDays === undefined) missing++;
  if (missing > 0) notes.push(`${missing} people's facts predate activity by group: they count as inactive until the next full rebuild of the counters`);
  return { workspace, period: options.period, by: options.by, rows, notes };
}
