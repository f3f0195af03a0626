/**
 * How a profile's statistics are stored, so that one touch is one atomic partial update
 * (`$inc`, `$min`/`$max`, `$addToSet`, `$push` with `$sort`/`$slice`) instead of a rewrite of
 * the document. Both profile adapters use this module: the MongoDB adapter sends
 * {@link mongoUpdateOfOps}, the in-memory adapter runs {@link applyOps} on the same shape, and
 * both read the stored shape back through {@link statsOfStored}. The MongoDB adapter owns the
 * rules (they say how MongoDB applies those operators); the in-memory one follows them.
 *
 * The stored shape (`v: 2`) differs from `ProfileStats` where a partial update needs a map:
 * - `first`: `{ k, at, touchId, source }` kept with `$min`; `k` is the time (fixed width)
 *   followed by the touch id, and MongoDB compares embedded documents field by field in
 *   order, so `k` decides, as `combineStats` does.
 * - `counts`, `keywords` and `groups` are maps keyed by an escaped key (`.`, `$`, `%` and NUL
 *   escaped, `~` in front so no key is ever a JavaScript prototype property).
 * - a group's title is `{ k, at, title }` kept with `$max` (the latest title wins).
 * - `activeDays` is a set (sorted on read); `sourcePath` stays sorted by (time, touch id) and
 *   cut to the last {@link SOURCE_PATH_LIMIT}; `sourceSteps` counts every step, so
 *   `sourcePathDropped` is `sourceSteps - sourcePath.length`.
 * Documents written before this shape (no `v`) are read as they are, and the hot path refuses
 * to update them partially: the profile worker folds them again, which stores the new shape.
 */
import {
  SOURCE_PATH_LIMIT,
  compareGroups,
  compareKeywordCounts,
  compareSteps,
  titleSeenKey,
  type GroupMembership,
  type ProfileStats,
  type SourceRef,
  type SourceStep,
  type TouchDelta,
} from '../../profile/profile-stats.js';
import { compareCodePoints, plainCopy } from '../rules.js';

/**
 * `Profile.hasConversions` as stored: a rank that only rises (`$max`), so a rewrite can never
 * lower what a concurrent `noteConversion` raised: 0 none noted, 1 unknown, 2 noted. A missing
 * field (profiles stored before it existed) is unknown.
 */
export type ConversionFlag = 0 | 1 | 2;

export function flagOf(hasConversions: boolean | undefined): ConversionFlag {
  return hasConversions === true ? 2 : hasConversions === false ? 0 : 1;
}

export function hasConversionsOf(flag: unknown): boolean | undefined {
  return flag === 2 ? true : flag === 0 ? false : undefined;
}

/** The version of the stored statistics shape this module reads and writes. */
export const STATS_SHAPE = 2;

interface FirstTouch {
  k: string;
  at: string;
  touchId: string | null;
  source: SourceRef | null;
}

interface TitleSeen {
  k: string;
  at?: string;
  title: string;
}

/** A group as stored: its title and when it was seen kept as one `$max`-able value. */
type StoredGroup = Omit<GroupMembership, 'chatTitle' | 'chatTitleAt'> & { title?: TitleSeen };

/** Statistics as stored (see the header). */
export interface StoredStats {
  v: typeof STATS_SHAPE;
  touchCount: number;
  first?: FirstTouch;
  lastActiveAt?: string;
  counts: Record<string, number>;
  keywords: Record<string, number>;
  groups: Record<string, StoredGroup>;
  activeDays: string[];
  sourcePath: SourceStep[];
  sourceSteps: number;
}

/** Whether stored statistics have the current shape (partial updates apply only to these). */
export function isCurrentShape(stats: unknown): stats is StoredStats {
  return typeof stats === 'object' && stats !== null && (stats as { v?: unknown }).v === STATS_SHAPE;
}

/** A map key for any string: `~`, then the string with `%`, `.`, `$` and NUL percent-escaped. */
export function encodeKey(s: string): string {
  return `~${s.replace(/[%.$\u0000]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`)}`;
}

/** The string an {@link encodeKey} key stands for. */
export function decodeKey(key: string): string {
  return key.slice(1).replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const groupMapKey = (platform: string, chatId: string): string => encodeKey(`${platform}|${chatId}`);

/** The stored form of statistics (what `put`, `create` and `replace` write). */
export function storedOfStats(stats: ProfileStats): StoredStats {
  const out: StoredStats = {
    v: STATS_SHAPE,
    touchCount: stats.touchCount,
    counts: {},
    keywords: {},
    groups: {},
    activeDays: [...stats.activeDays],
    sourcePath: plainCopy(stats.sourcePath).sort(compareSteps),
    sourceSteps: stats.sourcePath.length + stats.sourcePathDropped,
  };
  if (stats.firstSeenAt !== null) {
    out.first = { k: stats.firstSeenAt + (stats.firstTouchId ?? ''), at: stats.firstSeenAt, touchId: stats.firstTouchId, source: plainCopy(stats.firstSource) };
  }
  if (stats.lastActiveAt !== null) out.lastActiveAt = stats.lastActiveAt;
  for (const [kind, n] of Object.entries(stats.counts)) if (n !== undefined) out.counts[kind] = n;
  for (const k of stats.keywords) out.keywords[encodeKey(k.keyword)] = k.count;
  for (const g of stats.groups) {
    const stored: StoredGroup = { platform: g.platform, chatId: g.chatId, joins: g.joins, leaves: g.leaves, lastActiveAt: g.lastActiveAt };
    if (g.firstJoinedAt !== undefined) stored.firstJoinedAt = g.firstJoinedAt;
    if (g.lastJoinedAt !== undefined) stored.lastJoinedAt = g.lastJoinedAt;
    if (g.lastLeftAt !== undefined) stored.lastLeftAt = g.lastLeftAt;
    if (g.chatTitle !== undefined) {
      const k = titleSeenKey(g.chatTitleAt, g.chatTitle);
      stored.title = g.chatTitleAt === undefined ? { k, title: g.chatTitle } : { k, at: g.chatTitleAt, title: g.chatTitle };
    }
    out.groups[groupMapKey(g.platform, g.chatId)] = stored;
  }
  return out;
}

/** The statistics stored statistics stand for; documents of an older shape are returned as stored. */
export function statsOfStored(stored: unknown): ProfileStats {
  if (!isCurrentShape(stored)) return plainCopy(stored) as ProfileStats;
  const first = stored.first;
  const groups: GroupMembership[] = Object.values(stored.groups).map((g) => {
    const out: GroupMembership = { platform: g.platform, chatId: g.chatId, joins: g.joins, leaves: g.leaves, lastActiveAt: g.lastActiveAt };
    if (g.title !== undefined) {
      out.chatTitle = g.title.title;
      if (g.title.at !== undefined) out.chatTitleAt = g.title.at;
    }
    if (g.firstJoinedAt !== undefined) out.firstJoinedAt = g.firstJoinedAt;
    if (g.lastJoinedAt !== undefined) out.lastJoinedAt = g.lastJoinedAt;
    if (g.lastLeftAt !== undefined) out.lastLeftAt = g.lastLeftAt;
    return out;
  });
  const sourcePath = plainCopy(stored.sourcePath).sort(compareSteps);
  return {
    touchCount: stored.touchCount,
    firstSeenAt: first?.at ?? null,
    firstTouchId: first?.touchId ?? null,
    firstSource: first?.source ? plainCopy(first.source) : null,
    lastActiveAt: stored.lastActiveAt ?? null,
    counts: { ...stored.counts },
    keywords: Object.entries(stored.keywords)
      .map(([key, count]) => ({ keyword: decodeKey(key), count }))
      .sort(compareKeywordCounts),
    groups: groups.sort(compareGroups),
    activeDays: [...stored.activeDays].sort(),
    sourcePath,
    sourcePathDropped: stored.sourceSteps - sourcePath.length,
  };
}

/** One partial-update operator on a path of the stored statistics (dot-separated, keys escaped). */
export type StatsOp =
  | { op: '$inc'; path: string; value: number }
  | { op: '$min' | '$max'; path: string; value: string | { k: string } }
  | { op: '$set'; path: string; value: string }
  | { op: '$addToSet'; path: string; value: string }
  | { op: '$push'; path: string; value: SourceStep };

/** The operators that add one touch's delta to stored statistics (every path distinct). */
export function opsOfDelta(d: TouchDelta): StatsOp[] {
  const ops: StatsOp[] = [
    { op: '$inc', path: 'touchCount', value: 1 },
    { op: '$min', path: 'first', value: { k: d.at + d.touchId, at: d.at, touchId: d.touchId, source: plainCopy(d.source) } as FirstTouch },
    { op: '$max', path: 'lastActiveAt', value: d.at },
    { op: '$inc', path: `counts.${d.kind}`, value: 1 },
    { op: '$addToSet', path: 'activeDays', value: d.day },
  ];
  for (const k of d.keywords) ops.push({ op: '$inc', path: `keywords.${encodeKey(k)}`, value: 1 });
  if (d.group) {
    const g = `groups.${groupMapKey(d.group.platform, d.group.chatId)}`;
    ops.push(
      { op: '$set', path: `${g}.platform`, value: d.group.platform },
      { op: '$set', path: `${g}.chatId`, value: d.group.chatId },
      { op: '$inc', path: `${g}.joins`, value: d.group.join ? 1 : 0 },
      { op: '$inc', path: `${g}.leaves`, value: d.group.leave ? 1 : 0 },
      { op: '$max', path: `${g}.lastActiveAt`, value: d.at },
    );
    if (d.group.join) ops.push({ op: '$min', path: `${g}.firstJoinedAt`, value: d.at }, { op: '$max', path: `${g}.lastJoinedAt`, value: d.at });
    if (d.group.leave) ops.push({ op: '$max', path: `${g}.lastLeftAt`, value: d.at });
    if (d.group.chatTitle !== undefined) ops.push({ op: '$max', path: `${g}.title`, value: { k: titleSeenKey(d.at, d.group.chatTitle), at: d.at, title: d.group.chatTitle } as TitleSeen });
  }
  if (d.step) {
    ops.push({ op: '$push', path: 'sourcePath', value: plainCopy(d.step) }, { op: '$inc', path: 'sourceSteps', value: 1 });
  }
  return ops;
}

/** The MongoDB update document of `ops` on the statistics stored under `root` (e.g. `stats`). */
export function mongoUpdateOfOps(ops: readonly StatsOp[], root: string): Record<string, Record<string, unknown>> {
  const update: Record<string, Record<string, unknown>> = {};
  for (const o of ops) {
    const path = `${root}.${o.path}`;
    const value = o.op === '$push' ? { $each: [o.value], $sort: { at: 1, touchId: 1 }, $slice: -SOURCE_PATH_LIMIT } : o.value;
    (update[o.op] ??= {})[path] = value;
  }
  return update;
}

/** MongoDB's order for the values these operators compare: strings by code point, `{ k }` documents by `k`. */
function compareStored(a: unknown, b: unknown): number {
  const key = (v: unknown): string => (typeof v === 'string' ? v : (v as { k: string }).k);
  return compareCodePoints(key(a), key(b));
}

/** Runs `ops` on stored statistics in place, with MongoDB's semantics of each operator. */
export function applyOps(stats: StoredStats, ops: readonly StatsOp[]): void {
  for (const o of ops) {
    const parts = o.path.split('.');
    const leaf = parts.pop() as string;
    let parent = stats as unknown as Record<string, unknown>;
    for (const p of parts) {
      if (!Object.hasOwn(parent, p)) parent[p] = {};
      parent = parent[p] as Record<string, unknown>;
    }
    const has = Object.hasOwn(parent, leaf);
    const current = has ? parent[leaf] : undefined;
    switch (o.op) {
      case '$inc':
        parent[leaf] = ((current as number | undefined) ?? 0) + o.value;
        break;
      case '$min':
        if (!has || compareStored(o.value, current) < 0) parent[leaf] = typeof o.value === 'string' ? o.value : plainCopy(o.value);
        break;
      case '$max':
        if (!has || compareStored(o.value, current) > 0) parent[leaf] = typeof o.value === 'string' ? o.value : plainCopy(o.value);
        break;
      case '$set':
        parent[leaf] = o.value;
        break;
      case '$addToSet': {
        const list = (current as string[] | undefined) ?? [];
        if (!list.includes(o.value)) list.push(o.value);
        parent[leaf] = list;
        break;
      }
      case '$push': {
        // The list is kept sorted: insert in place, then cut from the front.
        const list = (current as SourceStep[] | undefined) ?? [];
        let i = list.length;
        while (i > 0 && compareSteps(list[i - 1] as SourceStep, o.value) > 0) i--;
        list.splice(i, 0, plainCopy(o.value));
        if (list.length > SOURCE_PATH_LIMIT) list.splice(0, list.length - SOURCE_PATH_LIMIT);
        parent[leaf] = list;
        break;
      }
    }
  }
}

const own = (o: Record<string, number>, k: string): number => (Object.hasOwn(o, k) ? (o[k] as number) : 0);

/** Map keys of recent strings (group ids and keywords repeat on every touch): escaped once. */
const keyCache = new Map<string, string>();
function cachedKey(s: string): string {
  let key = keyCache.get(s);
  if (key === undefined) {
    if (keyCache.size >= 10_000) keyCache.clear();
    key = encodeKey(s);
    keyCache.set(s, key);
  }
  return key;
}

/**
 * Adds one touch's delta to stored statistics in place: what {@link applyOps} does with
 * {@link opsOfDelta}, written out for the in-memory adapter's hot path (no operator list).
 */
export function applyDelta(s: StoredStats, d: TouchDelta): void {
  s.touchCount += 1;
  // Times are fixed-width ASCII: compared as they are; the id decides a tie (as `k` would).
  const first = s.first;
  if (first === undefined || d.at < first.at || (d.at === first.at && compareCodePoints(d.touchId, first.touchId ?? '') < 0)) {
    s.first = { k: d.at + d.touchId, at: d.at, touchId: d.touchId, source: plainCopy(d.source) };
  }
  if (s.lastActiveAt === undefined || d.at > s.lastActiveAt) s.lastActiveAt = d.at;
  s.counts[d.kind] = own(s.counts, d.kind) + 1;
  if (!s.activeDays.includes(d.day)) s.activeDays.push(d.day);
  for (const k of d.keywords) {
    const key = cachedKey(k);
    s.keywords[key] = own(s.keywords, key) + 1;
  }
  if (d.group) {
    const key = cachedKey(`${d.group.platform}|${d.group.chatId}`);
    const existing = Object.hasOwn(s.groups, key) ? s.groups[key] : undefined;
    const g: StoredGroup = existing ?? { platform: d.group.platform, chatId: d.group.chatId, joins: 0, leaves: 0, lastActiveAt: d.at };
    s.groups[key] = g;
    if (d.at > g.lastActiveAt) g.lastActiveAt = d.at;
    if (d.group.join) {
      g.joins += 1;
      if (g.firstJoinedAt === undefined || d.at < g.firstJoinedAt) g.firstJoinedAt = d.at;
      if (g.lastJoinedAt === undefined || d.at > g.lastJoinedAt) g.lastJoinedAt = d.at;
    }
    if (d.group.leave) {
      g.leaves += 1;
      if (g.lastLeftAt === undefined || d.at > g.lastLeftAt) g.lastLeftAt = d.at;
    }
    const title = d.group.chatTitle;
    if (title !== undefined && (g.title === undefined || d.at > (g.title.at ?? '') || (d.at === g.title.at && compareCodePoints(title, g.title.title) > 0))) {
      g.title = { k: titleSeenKey(d.at, title), at: d.at, title };
    }
  }
  if (d.step) {
    const list = s.sourcePath;
    let i = list.length;
    while (i > 0 && compareSteps(list[i - 1] as SourceStep, d.step) > 0) i--;
    list.splice(i, 0, plainCopy(d.step));
    if (list.length > SOURCE_PATH_LIMIT) list.splice(0, list.length - SOURCE_PATH_LIMIT);
    s.sourceSteps += 1;
  }
}
