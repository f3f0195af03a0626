/**
 * The in-memory store: a test and demo double for the MongoDB adapter. It keeps the
 * same unique keys (touch id, identifier, profile id, each per workspace), the same
 * first-write-wins and upsert semantics, the same ordering (occurredAt by instant, then
 * id in MongoDB's binary string order) and the same time ranges, so code tested against
 * it behaves the same on MongoDB. `test/store-contract.ts` holds both to that.
 *
 * The helpers exported beside it (`plainCopy`, `compareCodePoints`, `instantOf`,
 * `resolveLimit`, …) are the rules both adapters share, so they cannot drift apart.
 */
import { createMemoryAttributionRepos } from './memory-attribution-repos.js';
import { createMemoryCommunityRepos } from './memory-community-repos.js';
import { identifierKey, type Identifier } from '../identity/identifier.js';
import type {
  IdentityRepo,
  InsertResult,
  Profile,
  ProfileRepo,
  Store,
  StoredTouch,
  TouchQuery,
  TouchRepo,
} from './store.js';

/** Rows `touches.list` returns when the query gives no `limit`. */
export const DEFAULT_TOUCH_LIMIT = 10_000;

/** Thrown by every store method once `close()` has been called. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  constructor(kind: string) {
    super(`the ${kind} store is closed; create a new store to keep working`);
  }
}

/** A write whose object names another workspace than the one the call is for. */
export class WorkspaceMismatchError extends Error {
  override name = 'WorkspaceMismatchError';
  constructor(what: string, argument: string, inObject: string) {
    super(`${what} belongs to workspace "${inObject}" but was written through workspace "${argument}"; pass the object's own workspace`);
  }
}

/**
 * Deep copy of JSON-like data as MongoDB would store it: object fields whose value is
 * `undefined` are dropped (the driver would otherwise write null), `undefined` array
 * items become null (as BSON stores them), Dates are copied. Returns a fresh object so
 * callers never share state with the store.
 */
export function plainCopy<T>(value: T): T {
  return copyValue(value) as T;
}

function copyValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : copyValue(v)));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = copyValue(v);
  return out;
}

/**
 * Compares strings by Unicode code point, which is MongoDB's order for strings under the
 * default (binary UTF-8) collation. Plain `<` compares UTF-16 code units and puts
 * characters above U+FFFF before U+E000–U+FFFF; this does not.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixUp(x) - fixUp(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (U+D800–U+DFFF) above U+E000–U+FFFF so code units sort by code point. */
function fixUp(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Milliseconds since the epoch of an ISO time (any offset). Throws a RangeError naming
 * `what` when the string is not a date.
 */
export function instantOf(iso: string, what: string): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} must be an ISO date-time such as 2026-03-01T10:00:00Z, got ${JSON.stringify(iso)}`);
  return ms;
}

/**
 * The row limit to apply: `fallback` when absent; 0 means no rows (unlike MongoDB's
 * `limit(0)`, which means no limit). Throws a RangeError for negative or fractional limits.
 */
export function resolveLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, got ${String(limit)}`);
  return limit;
}

/** Throws a WorkspaceMismatchError when an object written through `workspace` names another one. */
export function assertSameWorkspace(what: string, workspace: string, objectWorkspace: string): void {
  if (objectWorkspace !== workspace) throw new WorkspaceMismatchError(what, workspace, objectWorkspace);
}

/** The touch as both adapters store and return it: undefined fields dropped, occurredAt canonical UTC. */
export function canonicalTouch(workspace: string, touch: StoredTouch): StoredTouch {
  assertSameWorkspace(`touch ${touch.id}`, workspace, touch.workspace);
  const at = instantOf(touch.occurredAt, `touch ${touch.id} occurredAt`);
  return plainCopy({ ...touch, occurredAt: new Date(at).toISOString() });
}

/** Distinct identifiers (by key), as `{ type, value }` only. */
export function distinctIdentifiers(identifiers: readonly Identifier[]): Identifier[] {
  const seen = new Map<string, Identifier>();
  for (const i of identifiers) {
    const key = identifierKey(i);
    if (!seen.has(key)) seen.set(key, { type: i.type, value: i.value });
  }
  return [...seen.values()];
}

/** Sorts identifiers by `identifierKey` in code-point order (in place) and returns them. */
export function sortIdentifiers(identifiers: Identifier[]): Identifier[] {
  return identifiers.sort((a, b) => compareCodePoints(identifierKey(a), identifierKey(b)));
}

interface TouchRow {
  touch: StoredTouch;
  at: number;
}

interface IdentityRow {
  identifier: Identifier;
  profileId: string;
}

function bucketOf<V>(all: Map<string, Map<string, V>>, workspace: string): Map<string, V> {
  let bucket = all.get(workspace);
  if (!bucket) {
    bucket = new Map();
    all.set(workspace, bucket);
  }
  return bucket;
}

function compareRows(a: TouchRow, b: TouchRow): number {
  return a.at - b.at || compareCodePoints(a.touch.id, b.touch.id);
}

/**
 * Creates an empty in-memory store. Nothing is persisted; every returned object is a
 * copy. `init()` and `ping()` resolve at once; after `close()` every method rejects
 * with {@link StoreClosedError}.
 */
export function createMemoryStore(): Store {
  const touchRows = new Map<string, Map<string, TouchRow>>();
  const identityRows = new Map<string, Map<string, IdentityRow>>();
  const profileRows = new Map<string, Map<string, Profile>>();
  let closed = false;

  const open = (): void => {
    if (closed) throw new StoreClosedError('memory');
  };

  /** Inserts a touch already passed through `canonicalTouch`; the first write of an id wins. */
  const insertCanonical = (workspace: string, stored: StoredTouch): InsertResult => {
    const bucket = bucketOf(touchRows, workspace);
    if (bucket.has(stored.id)) return 'duplicate';
    bucket.set(stored.id, { touch: stored, at: Date.parse(stored.occurredAt) });
    return 'inserted';
  };

  const touches: TouchRepo = {
    async insert(workspace, touch) {
      open();
      return insertCanonical(workspace, canonicalTouch(workspace, touch));
    },
    async insertMany(workspace, batch) {
      open();
      // Validate the whole batch first, so a bad touch rejects it before anything is written.
      const stored = batch.map((t) => canonicalTouch(workspace, t));
      let inserted = 0;
      for (const t of stored) if (insertCanonical(workspace, t) === 'inserted') inserted++;
      return { inserted, duplicates: stored.length - inserted };
    },
    async get(workspace, id) {
      open();
      const row = touchRows.get(workspace)?.get(id);
      return row ? plainCopy(row.touch) : null;
    },
    async list(workspace, query: TouchQuery) {
      open();
      const limit = resolveLimit(query.limit, DEFAULT_TOUCH_LIMIT);
      const from = query.from === undefined ? undefined : instantOf(query.from, 'from');
      const to = query.to === undefined ? undefined : instantOf(query.to, 'to');
      const kinds = query.kinds === undefined ? undefined : new Set<string>(query.kinds);
      if (limit === 0) return [];
      const rows: TouchRow[] = [];
      for (const row of touchRows.get(workspace)?.values() ?? []) {
        const t = row.touch;
        if (query.profileId !== undefined && t.profileId !== query.profileId) continue;
        if (query.chatId !== undefined && t.chat.id !== query.chatId) continue;
        if (kinds && !kinds.has(t.kind)) continue;
        if (from !== undefined && row.at < from) continue;
        if (to !== undefined && row.at >= to) continue;
        rows.push(row);
      }
      rows.sort(compareRows);
      return rows.slice(0, limit).map((r) => plainCopy(r.touch));
    },
    async markApplied(workspace, id) {
      open();
      const row = touchRows.get(workspace)?.get(id);
      if (row) row.touch.applied = true;
    },
    async reassign(workspace, fromProfileId, toProfileId) {
      open();
      if (fromProfileId === toProfileId) return 0;
      let moved = 0;
      for (const row of touchRows.get(workspace)?.values() ?? []) {
        if (row.touch.profileId === fromProfileId) {
          row.touch.profileId = toProfileId;
          moved++;
        }
      }
      return moved;
    },
    async count(workspace) {
      open();
      return touchRows.get(workspace)?.size ?? 0;
    },
    async deleteByProfile(workspace, profileId) {
      open();
      const bucket = touchRows.get(workspace);
      let deleted = 0;
      for (const [id, row] of bucket ?? []) {
        if (row.touch.profileId === profileId) {
          bucket?.delete(id);
          deleted++;
        }
      }
      return deleted;
    },
  };

  const identities: IdentityRepo = {
    async find(workspace, list) {
      open();
      const bucket = identityRows.get(workspace);
      const owners = new Map<string, string>();
      for (const i of list) {
        const key = identifierKey(i);
        const row = bucket?.get(key);
        if (row) owners.set(key, row.profileId);
      }
      return owners;
    },
    async claim(workspace, list, profileId) {
      open();
      const bucket = bucketOf(identityRows, workspace);
      const owners = new Map<string, string>();
      for (const i of distinctIdentifiers(list)) {
        const key = identifierKey(i);
        let row = bucket.get(key);
        if (!row) {
          row = { identifier: i, profileId };
          bucket.set(key, row);
        }
        owners.set(key, row.profileId);
      }
      return owners;
    },
    async reassign(workspace, fromProfileId, toProfileId) {
      open();
      if (fromProfileId === toProfileId) return 0;
      let moved = 0;
      for (const row of identityRows.get(workspace)?.values() ?? []) {
        if (row.profileId === fromProfileId) {
          row.profileId = toProfileId;
          moved++;
        }
      }
      return moved;
    },
    async ofProfile(workspace, profileId) {
      open();
      const owned: Identifier[] = [];
      for (const row of identityRows.get(workspace)?.values() ?? []) {
        if (row.profileId === profileId) owned.push({ type: row.identifier.type, value: row.identifier.value });
      }
      return sortIdentifiers(owned);
    },
    async deleteByProfile(workspace, profileId) {
      open();
      const bucket = identityRows.get(workspace);
      let deleted = 0;
      for (const [key, row] of bucket ?? []) {
        if (row.profileId === profileId) {
          bucket?.delete(key);
          deleted++;
        }
      }
      return deleted;
    },
  };

  const sortedProfiles = (workspace: string): Profile[] =>
    [...(profileRows.get(workspace)?.values() ?? [])].sort((a, b) => compareCodePoints(a.id, b.id));

  const profiles: ProfileRepo = {
    async get(workspace, id) {
      open();
      const p = profileRows.get(workspace)?.get(id);
      return p ? plainCopy(p) : null;
    },
    async put(workspace, profile) {
      open();
      assertSameWorkspace(`profile ${profile.id}`, workspace, profile.workspace);
      bucketOf(profileRows, workspace).set(profile.id, plainCopy(profile));
    },
    async delete(workspace, id) {
      open();
      return profileRows.get(workspace)?.delete(id) ?? false;
    },
    async findByUsername(workspace, username) {
      open();
      return sortedProfiles(workspace)
        .filter((p) => p.usernames.includes(username))
        .map((p) => plainCopy(p));
    },
    async list(workspace, options = {}) {
      open();
      const limit = resolveLimit(options.limit, Number.MAX_SAFE_INTEGER);
      const { afterId } = options;
      if (limit === 0) return [];
      const page: Profile[] = [];
      for (const p of sortedProfiles(workspace)) {
        if (afterId !== undefined && compareCodePoints(p.id, afterId) <= 0) continue;
        page.push(plainCopy(p));
        if (page.length >= limit) break;
      }
      return page;
    },
    async count(workspace) {
      open();
      return profileRows.get(workspace)?.size ?? 0;
    },
  };

  return {
    kind: 'memory',
    touches,
    identities,
    profiles,
    attribution: createMemoryAttributionRepos(),
    community: createMemoryCommunityRepos(),
    async init() {
      open();
    },
    async ping() {
      open();
    },
    async close() {
      closed = true;
    },
  };
}
