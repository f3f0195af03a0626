/**
 * How report rows and members are named wherever people read them (chat answers, the
 * HTTP report API): one label per dimension for the row without a group, campaign,
 * keyword or link (its key stays `(none)`), members by @username, first name or a short
 * masked id (never the internal `p_…` id in full), and export file names in the
 * workspace's calendar. Pure.
 */
import { NONE_KEY } from './attribution-report.js';
import { localDay, type Period } from './period.js';

/** What people read for the `(none)` row of each dimension (the row key stays `(none)`). */
export const NONE_LABELS: Readonly<Record<string, string>> = {
  group: '(no group)',
  campaign: '(no campaign)',
  keyword: '(no keyword)',
  link: '(no link)',
  platform: '(no platform)',
  referrer: '(no referrer)',
};

/** The label of a report row: the dimension's “(no …)” for the `(none)` row, else the row's own label. */
export function rowLabel(by: string, row: { key: string; label: string }): string {
  return row.key === NONE_KEY || row.label === NONE_KEY ? (NONE_LABELS[by] ?? NONE_KEY) : row.label;
}

/**
 * How a member is named: their `@usernames`, else their first name when the platform told
 * us, else a short masked id (`member …4321` from a Telegram user id, or `member #3f9a2b`
 * from the profile id).
 */
export function memberLabel(member: { profileId: string; usernames: readonly string[] }, known: { firstName?: string | null; userId?: string | null } = {}): string {
  if (member.usernames.length > 0) return member.usernames.map((u) => `@${u}`).join(', ');
  const name = known.firstName?.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
  if (name) return name;
  if (known.userId) return `member …${known.userId.slice(-4)}`;
  return `member #${member.profileId.replace(/^p_/, '').slice(0, 6)}`;
}

/** `credits-<workspace>-<first day>-<last day>.csv`, the days as the workspace's calendar shows them. */
export function exportFileName(workspace: string, period: Pick<Period, 'from' | 'to'>, timeZone: string): string {
  return `credits-${workspace}-${localDay(period.from, timeZone)}-${localDay(Date.parse(period.to) - 1, timeZone)}.csv`;
}
