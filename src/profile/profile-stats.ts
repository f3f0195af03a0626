/**
 * A profile's behavioural statistics, kept as a commutative monoid over touches:
 * `combineStats(a, b)` is associative and commutative and `statsOfTouch` maps one touch
 * into it. So a profile built incrementally, in any arrival order, equals one folded
 * from its stored touches, and merging two profiles is just `combineStats`.
 * (Applying the same touch twice is prevented upstream: the store dedupes touches by id.)
 *
 * `deltaOfTouch` is what one touch adds, computed from the touch alone: the store applies it
 * as one atomic partial update (counters incremented, first/last times kept as min/max, the
 * day and the group merged in, the source step pushed), so the hot path never rewrites a
 * profile. Every comparison here is by Unicode code point, MongoDB's string order, so the
 * store's `$min`/`$max`/`$sort` pick exactly what this fold picks.
 */
import { compareCodePoints } from '../store/rules.js';
import { SOURCE_KINDS, touchCampaign, touchKeywords, type Platform, type TouchEvent, type TouchKind } from '../touch-event.js';

/** Most source-path entries kept per profile (the most recent). */
export const SOURCE_PATH_LIMIT = 100;

export interface SourceRef {
  platform: Platform;
  chatId: string;
  chatTitle?: string;
  campaign?: string;
}

export interface SourceStep extends SourceRef {
  kind: TouchKind;
  at: string;
  touchId: string;
}

export interface GroupMembership {
  platform: Platform;
  chatId: string;
  chatTitle?: string;
  /** When `chatTitle` was seen: the latest touch that carried a title (its title wins; ties: the greater title). */
  chatTitleAt?: string;
  joins: number;
  leaves: number;
  firstJoinedAt?: string;
  lastJoinedAt?: string;
  lastLeftAt?: string;
  lastActiveAt: string;
}

export interface KeywordCount {
  keyword: string;
  count: number;
}

export interface ProfileStats {
  touchCount: number;
  firstSeenAt: string | null;
  /** Id of the earliest touch (ties broken by id), which gives the first source. */
  firstTouchId: string | null;
  firstSource: SourceRef | null;
  lastActiveAt: string | null;
  /** Touches per kind. */
  counts: Partial<Record<TouchKind, number>>;
  /** Keyword interests, most frequent first, ties by keyword. */
  keywords: KeywordCount[];
  /** Groups this person joined, left or was active in, ordered by platform and chat id. */
  groups: GroupMembership[];
  /** Distinct UTC days with any touch, ascending (YYYY-MM-DD). */
  activeDays: string[];
  /** Source touches (join, dm_start, link_click) in time order, at most the last {@link SOURCE_PATH_LIMIT}. */
  sourcePath: SourceStep[];
  /** Source steps dropped from the front of sourcePath by the limit. */
  sourcePathDropped: number;
}

export function emptyStats(): ProfileStats {
  return {
    touchCount: 0,
    firstSeenAt: null,
    firstTouchId: null,
    firstSource: null,
    lastActiveAt: null,
    counts: {},
    keywords: [],
    groups: [],
    activeDays: [],
    sourcePath: [],
    sourcePathDropped: 0,
  };
}

function sourceOf(t: TouchEvent): SourceRef {
  const s: SourceRef = { platform: t.platform, chatId: t.chat.id };
  if (t.chat.title !== undefined) s.chatTitle = t.chat.title;
  const c = touchCampaign(t);
  if (c !== undefined) s.campaign = c;
  return s;
}

/** Normalizes an ISO time to UTC milliseconds-precision `toISOString` form. */
export function canonicalTime(iso: string): string {
  return new Date(iso).toISOString();
}

/** What one touch adds to a profile's statistics; computed from the touch alone (see the header). */
export interface TouchDelta {
  touchId: string;
  kind: TouchKind;
  /** Canonical UTC time of the touch. */
  at: string;
  /** Where it happened: the first source when it is the person's earliest touch. */
  source: SourceRef;
  /** Distinct keywords the touch matched. */
  keywords: string[];
  /** UTC day (YYYY-MM-DD). */
  day: string;
  /** The group it happened in (groups and channels only; not private chats or the web). */
  group?: { platform: Platform; chatId: string; chatTitle?: string; join: boolean; leave: boolean };
  /** Its source-path step (joins, deep-link starts, link clicks). */
  step?: SourceStep;
}

/** The delta of one touch (see {@link TouchDelta}). */
export function deltaOfTouch(t: TouchEvent): TouchDelta {
  const at = canonicalTime(t.occurredAt);
  const source = sourceOf(t);
  const d: TouchDelta = { touchId: t.id, kind: t.kind, at, source, keywords: [...new Set(touchKeywords(t))], day: at.slice(0, 10) };
  if (t.chat.type !== 'private' && t.chat.type !== 'web') {
    d.group = { platform: t.platform, chatId: t.chat.id, join: t.kind === 'join', leave: t.kind === 'leave' };
    if (t.chat.title !== undefined) d.group.chatTitle = t.chat.title;
  }
  if (SOURCE_KINDS.has(t.kind)) d.step = { ...source, kind: t.kind, at, touchId: t.id };
  return d;
}

/** The statistics of a profile made of one touch's delta. */
export function statsOfDelta(d: TouchDelta): ProfileStats {
  const s = emptyStats();
  s.touchCount = 1;
  s.firstSeenAt = d.at;
  s.firstTouchId = d.touchId;
  s.firstSource = { ...d.source };
  s.lastActiveAt = d.at;
  s.counts[d.kind] = 1;
  if (d.keywords.length > 0) s.keywords = d.keywords.map((keyword) => ({ keyword, count: 1 })).sort(compareKeywordCounts);
  s.activeDays = [d.day];
  if (d.group) {
    const { platform, chatId, chatTitle, join, leave } = d.group;
    const g: GroupMembership = { platform, chatId, joins: join ? 1 : 0, leaves: leave ? 1 : 0, lastActiveAt: d.at };
    if (chatTitle !== undefined) Object.assign(g, { chatTitle, chatTitleAt: d.at });
    if (join) Object.assign(g, { firstJoinedAt: d.at, lastJoinedAt: d.at });
    if (leave) g.lastLeftAt = d.at;
    s.groups = [g];
  }
  if (d.step) s.sourcePath = [{ ...d.step }];
  return s;
}

/** The statistics of a profile made of this one touch. */
export function statsOfTouch(t: TouchEvent): ProfileStats {
  return statsOfDelta(deltaOfTouch(t));
}

/** Order of keyword interests: most frequent first, ties by keyword (code point order). */
export function compareKeywordCounts(a: KeywordCount, b: KeywordCount): number {
  return b.count - a.count || compareCodePoints(a.keyword, b.keyword);
}

function compareAtId(aAt: string, aId: string, bAt: string, bId: string): number {
  return compareCodePoints(aAt, bAt) || compareCodePoints(aId, bId);
}

/** Order of source-path steps: by time, then touch id. */
export function compareSteps(a: SourceStep, b: SourceStep): number {
  return compareAtId(a.at, a.touchId, b.at, b.touchId);
}

/** The key groups are ordered and merged by: platform, then chat id. */
export function groupKey(g: { platform: Platform; chatId: string }): string {
  return `${g.platform}\u0000${g.chatId}`;
}

/** Order of a profile's groups: by platform, then chat id. */
export function compareGroups(a: GroupMembership, b: GroupMembership): number {
  return compareCodePoints(groupKey(a), groupKey(b));
}

function minIso(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}
function maxIso(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/**
 * A title and the time it was seen as one key that orders them (time first: ISO times have a
 * fixed width). A title without a time (stored before times were kept) sorts before any timed one.
 */
export function titleSeenKey(at: string | undefined, title: string): string {
  return (at ?? ' ') + title;
}

function titleKey(g: GroupMembership): string | undefined {
  return g.chatTitle === undefined ? undefined : titleSeenKey(g.chatTitleAt, g.chatTitle);
}

function combineGroups(a: GroupMembership, b: GroupMembership): GroupMembership {
  const g: GroupMembership = {
    platform: a.platform,
    chatId: a.chatId,
    joins: a.joins + b.joins,
    leaves: a.leaves + b.leaves,
    lastActiveAt: a.lastActiveAt > b.lastActiveAt ? a.lastActiveAt : b.lastActiveAt,
  };
  // The title seen most recently wins (ties: the greater title): a maximum, so any order agrees.
  const ta = titleKey(a);
  const tb = titleKey(b);
  const titled = ta === undefined ? b : tb === undefined ? a : compareCodePoints(ta, tb) >= 0 ? a : b;
  if (titled.chatTitle !== undefined) g.chatTitle = titled.chatTitle;
  if (titled.chatTitleAt !== undefined) g.chatTitleAt = titled.chatTitleAt;
  const fj = minIso(a.firstJoinedAt, b.firstJoinedAt);
  const lj = maxIso(a.lastJoinedAt, b.lastJoinedAt);
  const ll = maxIso(a.lastLeftAt, b.lastLeftAt);
  if (fj !== undefined) g.firstJoinedAt = fj;
  if (lj !== undefined) g.lastJoinedAt = lj;
  if (ll !== undefined) g.lastLeftAt = ll;
  return g;
}

/** Combines two profiles' statistics; associative and commutative. */
export function combineStats(a: ProfileStats, b: ProfileStats): ProfileStats {
  if (a.touchCount === 0) return b;
  if (b.touchCount === 0) return a;
  const aFirst =
    a.firstSeenAt !== null && b.firstSeenAt !== null
      ? compareAtId(a.firstSeenAt, a.firstTouchId ?? '', b.firstSeenAt, b.firstTouchId ?? '') <= 0
      : b.firstSeenAt === null;
  const first = aFirst ? a : b;

  const counts: Partial<Record<TouchKind, number>> = { ...a.counts };
  for (const [k, n] of Object.entries(b.counts) as Array<[TouchKind, number]>) counts[k] = (counts[k] ?? 0) + n;

  const kw = new Map<string, number>();
  for (const k of a.keywords) kw.set(k.keyword, k.count);
  for (const k of b.keywords) kw.set(k.keyword, (kw.get(k.keyword) ?? 0) + k.count);
  const keywords = [...kw].map(([keyword, count]) => ({ keyword, count })).sort(compareKeywordCounts);

  const groupMap = new Map<string, GroupMembership>();
  for (const g of [...a.groups, ...b.groups]) {
    const key = groupKey(g);
    const prev = groupMap.get(key);
    groupMap.set(key, prev ? combineGroups(prev, g) : g);
  }
  const groups = [...groupMap.values()].sort(compareGroups);

  const activeDays = [...new Set([...a.activeDays, ...b.activeDays])].sort();

  const steps = new Map<string, SourceStep>();
  for (const st of [...a.sourcePath, ...b.sourcePath]) steps.set(st.touchId, st);
  const all = [...steps.values()].sort(compareSteps);
  const dropped = Math.max(0, all.length - SOURCE_PATH_LIMIT);

  return {
    touchCount: a.touchCount + b.touchCount,
    firstSeenAt: first.firstSeenAt,
    firstTouchId: first.firstTouchId,
    firstSource: first.firstSource,
    lastActiveAt: maxIso(a.lastActiveAt ?? undefined, b.lastActiveAt ?? undefined) ?? null,
    counts,
    keywords,
    groups,
    activeDays,
    sourcePath: all.slice(dropped),
    sourcePathDropped: a.sourcePathDropped + b.sourcePathDropped + dropped,
  };
}

/** Statistics folded from a list of touches, in any order. */
export function statsOfTouches(touches: Iterable<TouchEvent>): ProfileStats {
  let s = emptyStats();
  for (const t of touches) s = combineStats(s, statsOfTouch(t));
  return s;
}

/**
 * The source path with consecutive steps from the same place (platform, chat,
 * campaign) collapsed into one, as shown in reports.
 */
export function compactSourcePath(path: readonly SourceStep[]): SourceStep[] {
  const out: SourceStep[] = [];
  for (const st of path) {
    const last = out[out.length - 1];
    if (last && last.platform === st.platform && last.chatId === st.chatId && last.campaign === st.campaign) continue;
    out.push(st);
  }
  return out;
}
