/**
 * In-memory attribution repositories (see `attribution-repos.ts`); the memory store
 * composes them. Like MongoDB: unique keys with first-write-wins, canonical UTC times,
 * ordering by instant then id in code-point order, and real indexes (conversions and
 * credits sorted by time, conversions by profile and by identifier), so the benchmark
 * measures indexed reads rather than scans.
 *
 * Writes are copied. Conversions and credit sets, the bulk of the data, are then kept
 * deep-frozen and handed out as they are (no copy per read): a caller can never change
 * what the store holds (a write to a returned object throws), and reports over 100,000
 * conversions do not spend their time copying. Other records are copied on the way out.
 */
import { identifierKey } from '../identity/identifier.js';
import type {
  AttributionRepos,
  ClickRecord,
  ClickRepo,
  ConversionInsert,
  ConversionRecord,
  ConversionRepo,
  CreditRepo,
  CreditSet,
  FitRepo,
  LinkRepo,
  MemberToken,
  MemberTokenRepo,
  StoredFit,
  TrackedLink,
} from './attribution-repos.js';
import { assertSameWorkspace, compareCodePoints, instantOf, plainCopy, resolveLimit } from './memory-store.js';

/** Rows `list` returns when the query gives no `limit`. */
export const DEFAULT_LIST_LIMIT = 10_000;
/** Links `links.list` returns when no `limit` is given. */
export const DEFAULT_LINK_LIMIT = 1_000;
/** Fits kept per workspace. */
export const FITS_KEPT = 3;

/** The key a member token is unique on: its identifier, else its profile. */
export function memberKeyOf(t: Pick<MemberToken, 'member' | 'profileId'>): string {
  return t.member ? identifierKey(t.member) : `profile|${t.profileId}`;
}

/** Canonical UTC form of an ISO time, or a RangeError naming `what`. */
export function canonicalTime(iso: string, what: string): string {
  return new Date(instantOf(iso, what)).toISOString();
}

function bucket<V>(all: Map<string, Map<string, V>>, workspace: string): Map<string, V> {
  let b = all.get(workspace);
  if (!b) {
    b = new Map();
    all.set(workspace, b);
  }
  return b;
}

interface TimedRow<T> {
  value: T;
  at: number;
  id: string;
}

function compareTimed(a: { at: number; id: string }, b: { at: number; id: string }): number {
  return a.at - b.at || compareCodePoints(a.id, b.id);
}

/**
 * Rows of one workspace kept by id and, lazily, sorted by (time, id): inserts append, the
 * first read after a write sorts (TimSort: near-linear on mostly ordered data).
 */
class TimeIndex<T> {
  readonly byId = new Map<string, TimedRow<T>>();
  #sorted: Array<TimedRow<T>> = [];
  #dirty = false;

  set(id: string, at: number, value: T): void {
    const prev = this.byId.get(id);
    const row = { value, at, id };
    this.byId.set(id, row);
    if (prev) {
      if (prev.at !== at) {
        this.#sorted = this.#sorted.filter((r) => r.id !== id);
        this.#sorted.push(row);
        this.#dirty = true;
      } else {
        const i = this.#position(prev);
        if (this.#sorted[i] === prev) this.#sorted[i] = row;
        else this.#sorted = this.#sorted.map((r) => (r.id === id ? row : r));
      }
      return;
    }
    this.#sorted.push(row);
    this.#dirty = true;
  }

  delete(id: string): boolean {
    const prev = this.byId.get(id);
    if (!prev) return false;
    this.byId.delete(id);
    this.#sorted = this.#sorted.filter((r) => r.id !== id);
    return true;
  }

  #sort(): void {
    if (this.#dirty) {
      this.#sorted.sort(compareTimed);
      this.#dirty = false;
    }
  }

  #position(key: { at: number; id: string }): number {
    this.#sort();
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareTimed(this.#sorted[mid] as TimedRow<T>, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Rows with from ≤ at < to (and strictly after `after`), in order, by binary search. */
  *range(from: number, to: number, after?: { at: number; id: string }): Generator<TimedRow<T>> {
    this.#sort();
    let start = this.#position({ at: from, id: '' });
    if (after && compareTimed(after, { at: from, id: '' }) >= 0) {
      start = this.#position(after);
      const at = this.#sorted[start];
      if (at && at.at === after.at && at.id === after.id) start++;
    }
    for (let i = start; i < this.#sorted.length; i++) {
      const row = this.#sorted[i] as TimedRow<T>;
      if (row.at >= to) return;
      if (after && compareTimed(row, after) <= 0) continue;
      yield row;
    }
  }

  /** Every row in storage order, unsorted and unindexed (the benchmark's baseline). */
  all(): IterableIterator<TimedRow<T>> {
    return this.byId.values();
  }
}

function timeBounds(q: { from?: string; to?: string }): { from: number; to: number } {
  return {
    from: q.from === undefined ? -Infinity : instantOf(q.from, 'from'),
    to: q.to === undefined ? Infinity : instantOf(q.to, 'to'),
  };
}

function afterKey(after: { at: string; id: string } | undefined): { at: number; id: string } | undefined {
  return after === undefined ? undefined : { at: instantOf(after.at, 'after.at'), id: after.id };
}

/** Freezes a value and everything in it; returns it. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A deep, frozen copy as MongoDB would store it (see `plainCopy`). */
const frozenCopy = <T>(value: T): T => deepFreeze(plainCopy(value));

/** A stored conversion: what its indexes need, and the frozen document. */
interface ConversionDoc {
  status: ConversionRecord['status'];
  profileId: string | null;
  doc: ConversionRecord;
}

function conversionDoc(workspace: string, c: ConversionRecord): ConversionDoc {
  assertSameWorkspace(`conversion ${c.id}`, workspace, c.workspace);
  const doc = frozenCopy({ ...c, occurredAt: canonicalTime(c.occurredAt, `conversion ${c.id} occurredAt`) });
  return { status: doc.status, profileId: doc.match?.profileId ?? null, doc };
}

const thawConversion = (d: ConversionDoc): ConversionRecord => d.doc;

/** A credit set with only the requested models (all when absent); frozen, shared with the store. */
function thawCredits(set: CreditSet, models: readonly string[] | undefined): CreditSet {
  if (models === undefined) return set;
  const picked: CreditSet['models'] = {};
  for (const m of models) {
    const credit = set.models[m as keyof CreditSet['models']];
    if (credit) picked[m as keyof CreditSet['models']] = credit;
  }
  return Object.freeze({ ...set, models: Object.freeze(picked) });
}

/** In-memory attribution repos plus `scanCredits`, an unindexed read the benchmark compares against. */
export interface MemoryAttributionRepos extends AttributionRepos {
  /**
   * Every credit set of a workspace (with the given models only) in storage order, read
   * without the time index: the benchmark's baseline.
   */
  scanCredits(workspace: string, models?: readonly string[]): CreditSet[];
}

export function createMemoryAttributionRepos(): MemoryAttributionRepos {
  const linkRows = new Map<string, TrackedLink>();
  const tokenRows = new Map<string, Map<string, MemberToken>>();
  const tokenByMember = new Map<string, Map<string, string>>();
  const clickRows = new Map<string, Map<string, ClickRecord>>();
  const conversionRows = new Map<string, TimeIndex<ConversionDoc>>();
  const byProfile = new Map<string, Map<string, Set<string>>>();
  const byIdentifier = new Map<string, Map<string, Set<string>>>();
  const creditRows = new Map<string, TimeIndex<CreditSet>>();
  const fitRows = new Map<string, StoredFit[]>();

  const indexOf = <T>(all: Map<string, TimeIndex<T>>, workspace: string): TimeIndex<T> => {
    let idx = all.get(workspace);
    if (!idx) {
      idx = new TimeIndex<T>();
      all.set(workspace, idx);
    }
    return idx;
  };
  const addTo = (all: Map<string, Map<string, Set<string>>>, workspace: string, key: string, id: string): void => {
    const b = bucket(all, workspace);
    let s = b.get(key);
    if (!s) {
      s = new Set();
      b.set(key, s);
    }
    s.add(id);
  };

  const links: LinkRepo = {
    async insert(workspace, link) {
      assertSameWorkspace(`link ${link.code}`, workspace, link.workspace);
      if (linkRows.has(link.code)) return 'duplicate';
      linkRows.set(link.code, plainCopy(link));
      return 'inserted';
    },
    async get(workspace, code) {
      const l = linkRows.get(code);
      return l && l.workspace === workspace ? plainCopy(l) : null;
    },
    async list(workspace, options = {}) {
      const limit = resolveLimit(options.limit, DEFAULT_LINK_LIMIT);
      return [...linkRows.values()]
        .filter((l) => l.workspace === workspace && (options.afterCode === undefined || compareCodePoints(l.code, options.afterCode) > 0))
        .sort((a, b) => compareCodePoints(a.code, b.code))
        .slice(0, limit)
        .map((l) => plainCopy(l));
    },
    async workspaceOfCode(code) {
      return linkRows.get(code)?.workspace ?? null;
    },
  };

  const memberTokens: MemberTokenRepo = {
    async issue(workspace, token) {
      assertSameWorkspace('member token', workspace, token.workspace);
      const key = memberKeyOf(token);
      const existing = bucket(tokenByMember, workspace).get(key);
      if (existing !== undefined) return plainCopy(bucket(tokenRows, workspace).get(existing) as MemberToken);
      if (bucket(tokenRows, workspace).has(token.token)) throw new Error('member token collision; issue a new random token');
      bucket(tokenRows, workspace).set(token.token, plainCopy(token));
      bucket(tokenByMember, workspace).set(key, token.token);
      return plainCopy(token);
    },
    async get(workspace, token) {
      const t = tokenRows.get(workspace)?.get(token);
      return t ? plainCopy(t) : null;
    },
    async deleteByMember(workspace, person) {
      const rows = tokenRows.get(workspace);
      if (!rows) return 0;
      const keys = new Set(person.identifiers.map(identifierKey));
      const profiles = new Set(person.profileIds);
      let deleted = 0;
      for (const [value, t] of [...rows]) {
        if (!((t.member && keys.has(identifierKey(t.member))) || (t.profileId !== null && profiles.has(t.profileId)))) continue;
        rows.delete(value);
        tokenByMember.get(workspace)?.delete(memberKeyOf(t));
        deleted++;
      }
      return deleted;
    },
  };

  const clicks: ClickRepo = {
    async insert(workspace, click) {
      assertSameWorkspace(`click ${click.clickId}`, workspace, click.workspace);
      const b = bucket(clickRows, workspace);
      if (b.has(click.clickId)) return 'duplicate';
      b.set(click.clickId, plainCopy({ ...click, at: canonicalTime(click.at, `click ${click.clickId} at`) }));
      return 'inserted';
    },
    async get(workspace, clickId) {
      const c = clickRows.get(workspace)?.get(clickId);
      return c ? plainCopy(c) : null;
    },
    async count(workspace) {
      return clickRows.get(workspace)?.size ?? 0;
    },
    async deleteByProfile(workspace, profileId) {
      const rows = clickRows.get(workspace);
      if (!rows) return 0;
      let deleted = 0;
      for (const [id, c] of [...rows]) {
        if (c.profileId !== profileId) continue;
        rows.delete(id);
        deleted++;
      }
      return deleted;
    },
  };

  const insertConversion = (workspace: string, id: string, at: number, doc: ConversionDoc, identifiers: ConversionRecord['identifiers']): ConversionInsert => {
    const idx = indexOf(conversionRows, workspace);
    const existing = idx.byId.get(id);
    if (existing) return { status: 'duplicate', existing: thawConversion(existing.value) };
    idx.set(id, at, doc);
    for (const i of identifiers) addTo(byIdentifier, workspace, identifierKey(i), id);
    if (doc.profileId) addTo(byProfile, workspace, doc.profileId, id);
    return { status: 'inserted' };
  };

  const conversions: ConversionRepo = {
    async insert(workspace, conversion) {
      const [r] = await conversions.insertMany(workspace, [conversion]);
      return r as ConversionInsert;
    },
    async insertMany(workspace, batch) {
      // Validate the whole batch first, so a bad conversion rejects it before anything is written.
      const docs = batch.map((c) => conversionDoc(workspace, c));
      return batch.map((c, i) => insertConversion(workspace, c.id, instantOf(c.occurredAt, 'occurredAt'), docs[i] as ConversionDoc, c.identifiers));
    },
    async get(workspace, id) {
      const row = conversionRows.get(workspace)?.byId.get(id);
      return row ? thawConversion(row.value) : null;
    },
    async setOutcome(workspace, id, outcome) {
      const idx = conversionRows.get(workspace);
      const row = idx?.byId.get(id);
      if (!idx || !row || row.value.doc.erasedAt !== undefined) return false;
      const before = row.value.profileId;
      const next = { ...thawConversion(row.value), status: outcome.status, match: outcome.match, reconciledAt: outcome.reconciledAt };
      idx.set(id, row.at, conversionDoc(workspace, next));
      if (before) byProfile.get(workspace)?.get(before)?.delete(id);
      if (next.match?.profileId) addTo(byProfile, workspace, next.match.profileId, id);
      return true;
    },
    async list(workspace, query) {
      const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
      const { from, to } = timeBounds(query);
      const after = afterKey(query.after);
      const idx = conversionRows.get(workspace);
      if (!idx || limit === 0) return [];
      const out: ConversionRecord[] = [];
      if (query.profileId !== undefined) {
        const ids = byProfile.get(workspace)?.get(query.profileId) ?? new Set<string>();
        const rows = [...ids].map((id) => idx.byId.get(id)).filter((r): r is TimedRow<ConversionDoc> => r !== undefined);
        rows.sort(compareTimed);
        for (const r of rows) {
          if (r.at < from || r.at >= to || (after && compareTimed(r, after) <= 0)) continue;
          if (query.status !== undefined && r.value.status !== query.status) continue;
          out.push(thawConversion(r.value));
          if (out.length >= limit) break;
        }
        return out;
      }
      for (const r of idx.range(from, to, after)) {
        if (query.status !== undefined && r.value.status !== query.status) continue;
        out.push(thawConversion(r.value));
        if (out.length >= limit) break;
      }
      return out;
    },
    async related(workspace, options) {
      const limit = resolveLimit(options.limit, DEFAULT_LIST_LIMIT);
      const { from, to } = timeBounds(options);
      const idx = conversionRows.get(workspace);
      if (!idx || limit === 0) return [];
      const ids = new Set<string>();
      for (const i of options.identifiers) for (const id of byIdentifier.get(workspace)?.get(identifierKey(i)) ?? []) ids.add(id);
      for (const p of options.profileIds) for (const id of byProfile.get(workspace)?.get(p) ?? []) ids.add(id);
      const rows = [...ids].map((id) => idx.byId.get(id)).filter((r): r is TimedRow<ConversionDoc> => r !== undefined && r.at >= from && r.at < to);
      rows.sort(compareTimed);
      return rows.slice(0, limit).map((r) => thawConversion(r.value));
    },
    async count(workspace) {
      return conversionRows.get(workspace)?.byId.size ?? 0;
    },
    async unlinkRelated(workspace, person) {
      const at = canonicalTime(person.at, 'at');
      const idx = conversionRows.get(workspace);
      if (!idx) return [];
      const ids = new Set<string>();
      for (const i of person.identifiers) for (const id of byIdentifier.get(workspace)?.get(identifierKey(i)) ?? []) ids.add(id);
      for (const p of person.profileIds) for (const id of byProfile.get(workspace)?.get(p) ?? []) ids.add(id);
      const rows = [...ids].map((id) => idx.byId.get(id)).filter((r): r is TimedRow<ConversionDoc> => r !== undefined);
      rows.sort(compareTimed);
      for (const row of rows) {
        const { telegramUsername: _username, clickId: _clickId, ...kept } = thawConversion(row.value);
        void _username;
        void _clickId;
        for (const i of row.value.doc.identifiers) byIdentifier.get(workspace)?.get(identifierKey(i))?.delete(row.id);
        if (row.value.profileId) byProfile.get(workspace)?.get(row.value.profileId)?.delete(row.id);
        const next: ConversionRecord = { ...kept, identifiers: [], status: 'unattributed', match: null, reconciledAt: at, erasedAt: at };
        idx.set(row.id, row.at, conversionDoc(workspace, next));
      }
      return rows.map((r) => r.id);
    },
  };

  const credits: CreditRepo = {
    async put(workspace, set) {
      assertSameWorkspace(`credits of ${set.conversionId}`, workspace, set.workspace);
      const conversionAt = canonicalTime(set.conversionAt, `credits of ${set.conversionId} conversionAt`);
      indexOf(creditRows, workspace).set(set.conversionId, Date.parse(conversionAt), frozenCopy({ ...set, conversionAt }));
    },
    async get(workspace, conversionId) {
      const row = creditRows.get(workspace)?.byId.get(conversionId);
      return row ? thawCredits(row.value, undefined) : null;
    },
    async delete(workspace, conversionId) {
      return creditRows.get(workspace)?.delete(conversionId) ?? false;
    },
    async deleteMany(workspace, conversionIds) {
      const idx = creditRows.get(workspace);
      let deleted = 0;
      for (const id of new Set(conversionIds)) if (idx?.delete(id)) deleted++;
      return deleted;
    },
    async list(workspace, query) {
      const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
      const { from, to } = timeBounds(query);
      const idx = creditRows.get(workspace);
      if (!idx || limit === 0) return [];
      const out: CreditSet[] = [];
      for (const r of idx.range(from, to, afterKey(query.after))) {
        out.push(thawCredits(r.value, query.models));
        if (out.length >= limit) break;
      }
      return out;
    },
    async count(workspace) {
      return creditRows.get(workspace)?.byId.size ?? 0;
    },
  };

  const fits: FitRepo = {
    async put(workspace, fit) {
      assertSameWorkspace(`fit ${fit.id}`, workspace, fit.workspace);
      const list = fitRows.get(workspace) ?? [];
      if (list.some((f) => f.id === fit.id)) return;
      list.push(plainCopy({ ...fit, createdAt: canonicalTime(fit.createdAt, `fit ${fit.id} createdAt`) }));
      list.sort((a, b) => compareTimed({ at: Date.parse(a.createdAt), id: a.id }, { at: Date.parse(b.createdAt), id: b.id }));
      fitRows.set(workspace, list.slice(-FITS_KEPT));
    },
    async latest(workspace) {
      const list = fitRows.get(workspace);
      const last = list?.[list.length - 1];
      return last ? plainCopy(last) : null;
    },
  };

  return {
    links,
    memberTokens,
    clicks,
    conversions,
    credits,
    fits,
    scanCredits(workspace, models) {
      return [...(creditRows.get(workspace)?.all() ?? [])].map((r) => thawCredits(r.value, models));
    },
  };
}
