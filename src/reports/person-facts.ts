/**
 * A person's facts from their raw rows (pure; no I/O): what distinct-people figures need and
 * day counters cannot give, because people cannot be summed over days.
 *
 * - Memberships: one per group (chat types `group`, `channel`) they have touches in: the
 *   local days they were active there, and those they wrote there (`messageDays`); their joins, each with its campaign and their first
 *   message in that group at or after it (`engagedAt`); their leaves, each with the campaign
 *   of their latest join into that group at or before it.
 * - Their clicks: their own `link_click` touches, and the anonymous group-link clicks that a
 *   conversion of theirs carried the click id of (`tiedClicks`).
 * - Their matched conversions; the local days of all their touches, and of their group touches.
 */
import type { ConversionRecord, Membership, PersonFacts, StoredTouch } from '../store/store.js';
import { compareTouches, type TouchKind } from '../touch-event.js';
import { dayFinder } from './local-days.js';

/** What facts need of a touch (a full build keeps one of these per touch, not the whole touch). */
export interface FactTouch {
  id: string;
  occurredAt: string;
  kind: TouchKind;
  seq?: number;
  chat: { id: string; type: StoredTouch['chat']['type']; title?: string };
  /** A join's campaign. */
  campaign?: string;
  /** A message's watched keywords. */
  keywords?: readonly string[];
}

/** The part of a touch facts need. */
export function factTouch(t: StoredTouch): FactTouch {
  const f: FactTouch = { id: t.id, occurredAt: t.occurredAt, kind: t.kind, chat: { id: t.chat.id, type: t.chat.type } };
  if (t.seq !== undefined) f.seq = t.seq;
  if (t.chat.title !== undefined) f.chat.title = t.chat.title;
  if (t.kind === 'join' && t.details.campaign !== undefined) f.campaign = t.details.campaign;
  if (t.kind === 'message' && t.details.keywords !== undefined && t.details.keywords.length > 0) f.keywords = t.details.keywords;
  return f;
}

export interface PersonRows {
  /** Their touches, any order. */
  touches: readonly FactTouch[];
  /** Conversions matched to them (others are ignored), any order. */
  conversions: ReadonlyArray<Pick<ConversionRecord, 'id' | 'occurredAt' | 'value' | 'currency' | 'status' | 'match'>>;
  /** Times (ISO) of anonymous clicks their conversions carried the click ids of. */
  tiedClicks: readonly string[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The facts of `profileId` from its rows, with days in `timeZone`. */
export function personFacts(workspace: string, profileId: string, timeZone: string, rows: PersonRows, stamp: { version: number; computedAt: string }): PersonFacts {
  const dayOf = dayFinder(timeZone);
  const touches = [...rows.touches].sort(compareTouches);
  const touchDays = new Set<string>();
  const activeDays = new Set<string>();
  const clicks: number[] = rows.tiedClicks.map((c) => Date.parse(c));
  const groups = new Map<string, { m: Membership; days: Set<string>; messages: number[]; messageDays: Set<string> }>();
  const firstMention = new Map<string, string>();
  for (const t of touches) {
    const at = Date.parse(t.occurredAt);
    const day = dayOf(at);
    touchDays.add(day);
    // Touches are in time order: the first time a keyword is seen is its first mention.
    for (const k of t.keywords ?? []) if (!firstMention.has(k)) firstMention.set(k, iso(at));
    if (t.kind === 'link_click') clicks.push(at);
    if (t.chat.type !== 'group' && t.chat.type !== 'channel') continue;
    activeDays.add(day);
    let g = groups.get(t.chat.id);
    if (!g) {
      g = { m: { chatId: t.chat.id, activeDays: [], joins: [], leaves: [] }, days: new Set(), messages: [], messageDays: new Set() };
      groups.set(t.chat.id, g);
    }
    if (t.chat.title !== undefined) g.m.chatTitle = t.chat.title;
    g.days.add(day);
    if (t.kind === 'message') {
      g.messages.push(at);
      g.messageDays.add(day);
    }
    else if (t.kind === 'join') g.m.joins.push({ at: iso(at), campaign: t.campaign ?? null, engagedAt: null });
    else if (t.kind === 'leave') {
      // Joins come before a leave of the same instant (touch order), so they are already listed.
      const last = g.m.joins.findLast((j) => Date.parse(j.at) <= at);
      g.m.leaves.push({ at: iso(at), campaign: last?.campaign ?? null });
    }
  }
  const memberships: Membership[] = [];
  for (const g of [...groups.values()].sort((a, b) => (a.m.chatId < b.m.chatId ? -1 : a.m.chatId > b.m.chatId ? 1 : 0))) {
    for (const j of g.m.joins) {
      const joined = Date.parse(j.at);
      const first = g.messages.find((m) => m >= joined);
      j.engagedAt = first === undefined ? null : iso(first);
    }
    g.m.activeDays = [...g.days].sort();
    g.m.messageDays = [...g.messageDays].sort();
    memberships.push(g.m);
  }
  const conversions = rows.conversions
    .filter((c) => c.status === 'matched' && c.match?.profileId === profileId)
    .map((c) => ({ id: c.id, at: iso(Date.parse(c.occurredAt)), value: c.value, currency: c.currency }))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const facts: PersonFacts = {
    workspace,
    profileId,
    timeZone,
    version: stamp.version,
    computedAt: stamp.computedAt,
    activeDays: [...activeDays].sort(),
    touchDays: [...touchDays].sort(),
    conversions,
    clicks: clicks.sort((a, b) => a - b).map(iso),
    memberships,
  };
  if (firstMention.size > 0) facts.keywords = [...firstMention].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([keyword, at]) => ({ keyword, at }));
  return facts;
}
