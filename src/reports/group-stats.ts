/**
 * Group statistics over a period, for one group or every group (chats of type group or
 * channel): joins and leaves per campaign (a leave counts for the campaign of the person's
 * latest join into that group: in the period, else from their profile's source path), active members (people with any
 * touch), and per local day (workspace time zone) messages, keyword hits, joins and leaves,
 * every day of the period listed; the top 20 keywords.
 */
import { allTouches } from '../store/paging.js';
import type { SourceStep } from '../profile/profile-stats.js';
import type { Store, StoredTouch } from '../store/store.js';
import { localDay } from './period.js';
import type { Period } from './period.js';
import type { GroupStatsReport } from './report-types.js';

/** Touches per page of a scan. */
const PAGE = 50_000;
const DAY_MS = 86_400_000;
/** Periods longer than this list only days with activity. */
const MAX_FILLED_DAYS = 400;

export async function groupStatsReport(store: Store, workspace: string, timeZone: string, options: { period: Period; chatId?: string }): Promise<GroupStatsReport> {
  const { period } = options;
  const campaigns = new Map<string | null, { joins: number; leaves: number }>();
  const tally = (c: string | null): { joins: number; leaves: number } => {
    let e = campaigns.get(c);
    if (!e) {
      e = { joins: 0, leaves: 0 };
      campaigns.set(c, e);
    }
    return e;
  };
  const days = new Map<string, { day: string; messages: number; keywordHits: number; joins: number; leaves: number }>();
  // Local days by 15-minute slot (every UTC offset is a multiple of 15 minutes): one
  // time-zone conversion per slot instead of one per touch.
  const SLOT = 15 * 60_000;
  const daysOfSlots = new Map<number, string>();
  const dayOf = (iso: string): { day: string; messages: number; keywordHits: number; joins: number; leaves: number } => {
    const slot = Math.floor(Date.parse(iso) / SLOT);
    let day = daysOfSlots.get(slot);
    if (day === undefined) {
      day = localDay(slot * SLOT, timeZone);
      daysOfSlots.set(slot, day);
    }
    let d = days.get(day);
    if (!d) {
      d = { day, messages: 0, keywordHits: 0, joins: 0, leaves: 0 };
      days.set(day, d);
    }
    return d;
  };
  const keywords = new Map<string, number>();
  const active = new Set<string>();
  /** Campaign of each person's latest join seen so far, per group. */
  const joinedVia = new Map<string, string | null>();
  const leavesToResolve: StoredTouch[] = [];

  const query = { from: period.from, to: period.to, limit: PAGE, ...(options.chatId !== undefined ? { chatId: options.chatId } : {}) };
  for await (const t of allTouches(store, workspace, query)) {
    if (t.chat.type !== 'group' && t.chat.type !== 'channel') continue;
    if (t.profileId !== null) active.add(t.profileId);
    const d = dayOf(t.occurredAt);
    switch (t.kind) {
      case 'message': {
        d.messages++;
        const hits = t.details.keywords ?? [];
        d.keywordHits += hits.length;
        for (const k of hits) keywords.set(k, (keywords.get(k) ?? 0) + 1);
        break;
      }
      case 'join': {
        d.joins++;
        const c = t.details.campaign ?? null;
        tally(c).joins++;
        if (t.profileId !== null) joinedVia.set(`${t.profileId}\u0000${t.chat.id}`, c);
        break;
      }
      case 'leave': {
        d.leaves++;
        const key = `${t.profileId}\u0000${t.chat.id}`;
        if (t.profileId !== null && joinedVia.has(key)) tally(joinedVia.get(key) ?? null).leaves++;
        else leavesToResolve.push(t);
        break;
      }
      default:
        break;
    }
  }
  // Leaves of people who joined before the period: the campaign of their latest earlier join
  // into that group, from their profile's source path (one point read per person, in
  // parallel batches, rather than a scan of every earlier join).
  const leavers = [...new Set(leavesToResolve.map((t) => t.profileId).filter((p): p is string => p !== null))];
  const sources = new Map<string, SourceStep[]>();
  for (let i = 0; i < leavers.length; i += 50) {
    const batch = leavers.slice(i, i + 50);
    const profiles = await Promise.all(batch.map((id) => store.profiles.get(workspace, id)));
    profiles.forEach((p, k) => sources.set(batch[k] as string, p?.stats.sourcePath ?? []));
  }
  for (const t of leavesToResolve) {
    let campaign: string | null = null;
    for (const step of sources.get(t.profileId ?? '') ?? []) {
      if (step.kind === 'join' && step.chatId === t.chat.id && step.at <= t.occurredAt) campaign = step.campaign ?? null;
    }
    tally(campaign).leaves++;
  }

  const span = (Date.parse(period.to) - Date.parse(period.from)) / DAY_MS;
  if (span <= MAX_FILLED_DAYS) {
    for (let t = Date.parse(period.from); t < Date.parse(period.to); t += DAY_MS / 2) dayOf(new Date(t).toISOString());
    dayOf(new Date(Date.parse(period.to) - 1).toISOString());
  }
  const report: GroupStatsReport = {
    workspace,
    period,
    joinsByCampaign: [...campaigns]
      .map(([campaign, e]) => ({ campaign, ...e }))
      .sort((a, b) => b.joins - a.joins || b.leaves - a.leaves || String(a.campaign).localeCompare(String(b.campaign))),
    activeMembers: active.size,
    days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
    topKeywords: [...keywords]
      .map(([keyword, count]) => ({ keyword, count }))
      .sort((a, b) => b.count - a.count || (a.keyword < b.keyword ? -1 : 1))
      .slice(0, 20),
  };
  if (options.chatId !== undefined) report.chatId = options.chatId;
  return report;
}
