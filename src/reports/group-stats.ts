/**
 * Group stats of one group or all, over a period: joins per campaign and leaves per campaign
 * of the leaver's latest join into that group; distinct active members (people with any touch
 * in a group); per local day messages, keyword hits, joins and leaves; the top keywords and
 * tracked links.
 *
 * Day figures come from the day counters (with the raw touches of the partial edge days and of
 * days the rollup has not caught up with, `read-counters.ts`). People cannot be summed over
 * days, so the rest comes from the people's facts: leaves with their campaign (exact times),
 * and active members = people with an active full day in the period (one indexed count) plus
 * people active only in the raw stretches (their touches are read anyway).
 */
import type { Store } from '../store/store.js';
import { hasDayIn } from '../store/counters/counter-rules.js';
import { periodTotals } from './attribution-report.js';
import { peopleNotes } from './funnel-report.js';
import { dayFinder, daysFrom } from './local-days.js';
import type { Period } from './period.js';
import { readPeriod } from './read-counters.js';
import type { GroupStatsReport } from './report-types.js';

const DAY_MS = 86_400_000;
/** Periods longer than this list only days with activity. */
const MAX_FILLED_DAYS = 400;
/** Dirty people counted for the freshness note. */
const PENDING_READ = 1_000;

type DayRow = GroupStatsReport['days'][number];

export async function groupStatsReport(store: Store, workspace: string, timeZone: string, options: { period: Period; chatId?: string }): Promise<GroupStatsReport> {
  const { period, chatId } = options;
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  const inChat = (id: string): boolean => chatId === undefined || id === chatId;
  // People active in the stretches read raw.
  const rawActive = new Set<string>();
  const read = await readPeriod(store, workspace, timeZone, period, {
    parts: ['totals', 'groups', 'joins', 'keywords', 'clicks'],
    touches: true,
    ...(chatId !== undefined ? { touchChatId: chatId } : {}),
    conversions: true,
    onRawTouch: (t) => {
      if (t.profileId !== null && (t.chat.type === 'group' || t.chat.type === 'channel') && inChat(t.chat.id)) rawActive.add(t.profileId);
    },
  });

  const campaigns = new Map<string | null, { joins: number; leaves: number }>();
  const tally = (c: string | null): { joins: number; leaves: number } => {
    let e = campaigns.get(c);
    if (!e) {
      e = { joins: 0, leaves: 0 };
      campaigns.set(c, e);
    }
    return e;
  };
  const days = new Map<string, DayRow>();
  const keywords = new Map<string, number>();
  const links = new Map<string, number>();
  let clicks = 0;
  for (const d of read.days) {
    const row: DayRow = { day: d.day, messages: 0, keywordHits: 0, joins: 0, leaves: 0 };
    for (const g of d.parts.groups ?? []) {
      if (!inChat(g.chatId)) continue;
      row.messages += g.messages;
      row.keywordHits += g.keywordHits;
      row.joins += g.joins;
      row.leaves += g.leaves;
      if (g.anonymousLeaves > 0) tally(null).leaves += g.anonymousLeaves;
    }
    days.set(d.day, row);
    for (const j of d.parts.joins ?? []) if (inChat(j.chatId)) tally(j.campaign).joins += j.joins;
    for (const k of d.parts.keywords ?? []) if (inChat(k.chatId)) keywords.set(k.keyword, (keywords.get(k.keyword) ?? 0) + k.hits);
    for (const c of d.parts.clicks ?? []) {
      if (!inChat(c.chatId)) continue;
      clicks += c.clicks;
      links.set(c.link, (links.get(c.link) ?? 0) + c.clicks);
    }
  }

  // Leaves, with the campaign of the leaver's latest join into that group.
  for await (const page of store.counters.leavesIn(workspace, { from: period.from, to: period.to, ...(chatId !== undefined ? { chatId } : {}) })) {
    for (const l of page) tally(l.campaign).leaves++;
  }

  // Distinct active people: an active full day (from their facts), or a touch in a raw stretch.
  let activeMembers = rawActive.size;
  const full = read.fullDays;
  if (read.built && full) {
    const counted = await store.counters.countActive(workspace, { ...full, ...(chatId !== undefined ? { chatId } : {}) });
    const facts = await store.counters.people(workspace, [...rawActive]);
    let both = 0;
    for (const f of facts) {
      const activeDays = chatId === undefined ? f.activeDays : f.memberships.find((m) => m.chatId === chatId)?.activeDays;
      if (activeDays && hasDayIn(activeDays, full.from, full.to)) both++;
    }
    activeMembers = counted + rawActive.size - both;
  }

  const span = (to - from) / DAY_MS;
  if (span <= MAX_FILLED_DAYS && to > from) {
    const dayOf = dayFinder(timeZone);
    for (const day of daysFrom(dayOf(from), dayOf(to - 1))) if (!days.has(day)) days.set(day, { day, messages: 0, keywordHits: 0, joins: 0, leaves: 0 });
  }
  const pending = await store.counters.dirty(workspace, 'person', PENDING_READ);
  const report: GroupStatsReport = {
    workspace,
    period,
    joinsByCampaign: [...campaigns]
      .map(([campaign, e]) => ({ campaign, ...e }))
      .sort((a, b) => b.joins - a.joins || b.leaves - a.leaves || String(a.campaign).localeCompare(String(b.campaign))),
    activeMembers,
    days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
    topKeywords: [...keywords]
      .map(([keyword, count]) => ({ keyword, count }))
      .sort((a, b) => b.count - a.count || (a.keyword < b.keyword ? -1 : 1))
      .slice(0, 20),
    clicks,
    topLinks: [...links]
      .map(([link, n]) => ({ link, clicks: n }))
      .sort((a, b) => b.clicks - a.clicks || (a.link < b.link ? -1 : 1))
      .slice(0, 10),
    totals: periodTotals(read.days).totals,
  };
  if (chatId !== undefined) report.chatId = chatId;
  const notes = peopleNotes(read.built, pending.length);
  if (notes.length > 0) report.notes = notes;
  return report;
}
