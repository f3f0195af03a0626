/**
 * A profile's behavioural statistics, kept as a commutative monoid over touches:
 * `combineStats(a, b)` is associative and commutative and `statsOfTouch` maps one touch
 * into it. So a profile built incrementally, in any arrival order, equals one folded
 * from its stored touches, and merging two profiles is just `combineStats`.
 * (Applying the same touch twice is prevented upstream: the store dedupes touches by id.)
 */
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

/** The statistics of a profile made of this one touch. */
export function statsOfTouch(t: TouchEvent): ProfileStats {
  const at = canonicalTime(t.occurredAt);
  const s = emptyStats();
  s.touchCount = 1;
  s.firstSeenAt = at;
  s.firstTouchId = t.id;
  s.firstSource = sourceOf(t);
  s.lastActiveAt = at;
  s.counts[t.kind] = 1;
  const keywords = touchKeywords(t);
  if (keywords.length > 0) {
    s.keywords = [...new Set(keywords)].map((keyword) => ({ keyword, count: 1 }));
    s.keywords.sort(compareKeywordCounts);
  }
  s.activeDays = [at.slice(0, 10)];
  if (t.chat.type !== 'private' && t.chat.type !== 'web') {
    const g: GroupMembership = { platform: t.platform, chatId: t.chat.id, joins: 0, leaves: 0, lastActiveAt: at };
    if (t.chat.title !== undefined) g.chatTitle = t.chat.title;
    if (t.kind === 'join') Object.assign(g, { joins: 1, firstJoinedAt: at, lastJoinedAt: at });
    if (t.kind === 'leave') Object.assign(g, { leaves: 1, lastLeftAt: at });
    s.groups = [g];
  }
  if (SOURCE_KINDS.has(t.kind)) s.sourcePath = [{ ...sourceOf(t), kind: t.kind, at, touchId: t.id }];
  return s;
}

function compareKeywordCounts(a: KeywordCount, b: KeywordCount): number {
  return b.count - a.count || (a.keyword < b.keyword ? -1 : a.keyword > b.keyword ? 1 : 0);
}

function compareAtId(aAt: string, aId: string, bAt: string, bId: string): number {
  if (aAt !== bAt) return aAt < bAt ? -1 : 1;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
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

function combineGroups(a: GroupMembership, b: GroupMembership): GroupMembership {
  // The title seen most recently wins (ties: the greater title, for determinism).
  const newer = a.lastActiveAt > b.lastActiveAt || (a.lastActiveAt === b.lastActiveAt && (a.chatTitle ?? '') >= (b.chatTitle ?? '')) ? a : b;
  const g: GroupMembership = {
    platform: a.platform,
    chatId: a.chatId,
    joins: a.joins + b.joins,
    leaves: a.leaves + b.leaves,
    lastActiveAt: a.lastActiveAt > b.lastActiveAt ? a.lastActiveAt : b.lastActiveAt,
  };
  const title = newer.chatTitle ?? (newer === a ? b.chatTitle : a.chatTitle);
  if (title !== undefined) g.chatTitle = title;
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
    const key = `${g.platform}\u0000${g.chatId}`;
    const prev = groupMap.get(key);
    groupMap.set(key, prev ? combineGroups(prev, g) : g);
  }
  const groups = [...groupMap.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([, g]) => g);

  const activeDays = [...new Set([...a.activeDays, ...b.activeDays])].sort();

  const steps = new Map<string, SourceStep>();
  for (const st of [...a.sourcePath, ...b.sourcePath]) steps.set(st.touchId, st);
  const all = [...steps.values()].sort((x, y) => compareAtId(x.at, x.touchId, y.at, y.touchId));
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
