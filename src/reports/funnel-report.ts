/**
 * The funnel per group or campaign, over people who joined in the period:
 * joined → engaged (a message in the group they joined, after joining)
 * → clicked (any tracked-link click of theirs after joining, including an anonymous group-link
 * click that a conversion's click id later tied to them) → converted (a conversion
 * matched to them after joining), each within the period; rates are over the joined, and
 * the median days from joining to the first conversion after it, among those who converted.
 * A person is in a campaign's cohort through the campaign of their join (its invite link).
 */
import { everyConversion } from '../reconcile/read-pages.js';
import { allTouches } from '../store/paging.js';
import type { Store } from '../store/store.js';
import { NONE_KEY, round } from './attribution-report.js';
import type { Period } from './period.js';
import type { FunnelReport, FunnelRow } from './report-types.js';

const DAY_MS = 86_400_000;
/** Touches per page of a scan. */
const PAGE = 50_000;

interface Member {
  joinAt: number;
  chats: Set<string>;
  engaged: boolean;
  clicked: boolean;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function funnelReport(store: Store, workspace: string, options: { period: Period; by: 'group' | 'campaign'; key?: string }): Promise<FunnelReport> {
  const { period, by } = options;
  const cohorts = new Map<string, { label: string; members: Map<string, Member> }>();
  const cohortsOf = new Map<string, string[]>();
  for await (const t of allTouches(store, workspace, { kinds: ['join'], from: period.from, to: period.to, limit: PAGE })) {
    if (t.kind !== 'join' || t.profileId === null) continue;
    const key = by === 'group' ? t.chat.id : (t.details.campaign ?? NONE_KEY);
    if (options.key !== undefined && key !== options.key) continue;
    let cohort = cohorts.get(key);
    if (!cohort) {
      cohort = { label: by === 'group' ? (t.chat.title ?? t.chat.id) : key, members: new Map() };
      cohorts.set(key, cohort);
    }
    if (by === 'group' && t.chat.title !== undefined) cohort.label = t.chat.title;
    const at = Date.parse(t.occurredAt);
    const m = cohort.members.get(t.profileId);
    if (m) m.chats.add(t.chat.id);
    else {
      cohort.members.set(t.profileId, { joinAt: at, chats: new Set([t.chat.id]), engaged: false, clicked: false });
      cohortsOf.set(t.profileId, [...(cohortsOf.get(t.profileId) ?? []), key]);
    }
  }
  if (cohorts.size > 0) {
    for await (const t of allTouches(store, workspace, { kinds: ['message', 'link_click'], from: period.from, to: period.to, limit: PAGE })) {
      if (t.profileId === null) continue;
      const keys = cohortsOf.get(t.profileId);
      if (!keys) continue;
      const at = Date.parse(t.occurredAt);
      for (const key of keys) {
        const m = cohorts.get(key)?.members.get(t.profileId);
        if (!m || at < m.joinAt) continue;
        if (t.kind === 'link_click') m.clicked = true;
        else if (m.chats.has(t.chat.id)) m.engaged = true;
      }
    }
  }
  const conversionsOf = new Map<string, number[]>();
  if (cohorts.size > 0) {
    for await (const c of everyConversion(store, workspace, { from: period.from, to: period.to, status: 'matched' })) {
      const pid = c.match?.profileId;
      if (!pid || !cohortsOf.has(pid)) continue;
      conversionsOf.set(pid, [...(conversionsOf.get(pid) ?? []), Date.parse(c.occurredAt)]);
      // A group link's click stays anonymous; the conversion carrying its click id says whose it was.
      if (c.clickId !== undefined) {
        const click = await store.clicks.get(workspace, c.clickId);
        if (click) {
          for (const key of cohortsOf.get(pid) ?? []) {
            const m = cohorts.get(key)?.members.get(pid);
            if (m && Date.parse(click.at) >= m.joinAt) m.clicked = true;
          }
        }
      }
    }
  }
  const rows: FunnelRow[] = [...cohorts].map(([key, cohort]) => {
    let engaged = 0;
    let clicked = 0;
    const days: number[] = [];
    for (const [pid, m] of cohort.members) {
      if (m.engaged) engaged++;
      if (m.clicked) clicked++;
      const first = (conversionsOf.get(pid) ?? []).filter((at) => at >= m.joinAt).sort((a, b) => a - b)[0];
      if (first !== undefined) days.push((first - m.joinAt) / DAY_MS);
    }
    const joined = cohort.members.size;
    const rate = (n: number): number => (joined === 0 ? 0 : round(n / joined));
    const med = median(days);
    return {
      key,
      label: cohort.label,
      joined,
      engaged,
      clicked,
      converted: days.length,
      engagedRate: rate(engaged),
      clickedRate: rate(clicked),
      convertedRate: rate(days.length),
      medianDaysToConvert: med === null ? null : round(med),
    };
  });
  rows.sort((a, b) => b.joined - a.joined || b.converted - a.converted || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { workspace, period, by, rows };
}
