/**
 * Scheduled digests: when one is due, its run key, and what it says.
 *
 * A daily digest goes out once per local day (workspace time zone) from `DIGEST_HOUR`
 * on, covering the previous 24 hours; a weekly one once per ISO week from Monday
 * `DIGEST_HOUR` on, covering the previous 7 days. The run key (`2026-03-02` or
 * `2026-W10`) is claimed in the store before sending, so of several processes exactly
 * one sends each run, and a process that was down catches up once, not many times.
 */
import { t, type Lang } from '../i18n/index.js';
import { localDay } from '../reports/period.js';
import type { ReportsApi } from '../reports/report-types.js';
import type { DigestFrequency } from '../store/store.js';
import type { Answer } from './command-types.js';
import { renderAttribution } from './render-reports.js';
import { renderHints, renderReadiness } from './render-optimize.js';

/** Local hour from which a day's (or Monday's) digest is sent. */
export const DIGEST_HOUR = 9;

/** Model digests report under. */
export const DIGEST_MODEL = 'linear';

function localParts(now: Date, timeZone: string): { day: string; hour: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', hour: '2-digit', weekday: 'short' }).formatToParts(now);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? '0');
  const wd = parts.find((p) => p.type === 'weekday')?.value ?? 'Mon';
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(wd) + 1;
  return { day: localDay(now.getTime(), timeZone), hour, weekday };
}

/** ISO week (`2026-W10`) of a calendar day. */
export function isoWeek(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  const dow = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - dow);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * The run that is due at `now`, or null. Daily: today's key once the local hour is
 * `DIGEST_HOUR` or later. Weekly: this ISO week's key from Monday `DIGEST_HOUR` on.
 */
export function dueRunKey(frequency: DigestFrequency, now: Date, timeZone: string): string | null {
  const { day, hour, weekday } = localParts(now, timeZone);
  if (frequency === 'daily') return hour >= DIGEST_HOUR ? day : null;
  if (weekday === 1 && hour < DIGEST_HOUR) return null;
  return isoWeek(day);
}

/**
 * The digest's answers: the attribution report by group over the last day or week (read from
 * the counters, with the raw rows of its partial edge days: exact to the second), with its
 * chart of credited value beside last touch. The weekly one adds the week's hints (when there
 * are any) and the readiness checks that are red (when some are). A digest answers no one, so
 * it is written in the workspace's `language` (default English).
 */
export async function buildDigest(reports: ReportsApi, workspace: string, frequency: DigestFrequency, now: Date, timeZone: string, lang: Lang = 'en'): Promise<Answer[]> {
  const days = frequency === 'daily' ? 1 : 7;
  const period = { from: new Date(now.getTime() - days * 86_400_000).toISOString(), to: now.toISOString(), label: t(lang, frequency === 'daily' ? 'digest.period.daily' : 'digest.period.weekly') };
  const report = await reports.attribution(workspace, { period, by: 'group', model: DIGEST_MODEL });
  const answers = await renderAttribution(report, { timeZone, lang });
  const first = answers.find((a) => a.type === 'text');
  if (first && first.type === 'text') first.text = `${t(lang, frequency === 'daily' ? 'digest.daily' : 'digest.weekly')}\n\n${first.text}`;
  if (frequency === 'weekly') {
    // The week's hints (when any), and the readiness checks that are red (only when some are).
    if (reports.hints) {
      const h = await reports.hints(workspace, { period });
      if (h.hints.length > 0) answers.push(...renderHints(h, { timeZone, lang }));
    }
    if (reports.readiness) {
      const r = await reports.readiness(workspace);
      if (r.worst === 'red') answers.push(...renderReadiness({ ...r, checks: r.checks.filter((c) => c.status === 'red') }, { lang }));
    }
  }
  return answers;
}
