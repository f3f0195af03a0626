/**
 * In-memory touches (see `touch-repo.ts`): unique by (workspace, id), first write wins,
 * listed in (occurredAt by instant, id in code-point order), every returned touch a copy.
 *
 * Indexed like the MongoDB collection, so no read scans every touch: each workspace keeps its
 * touches by id and in four sorted indexes (all, by profile, by chat, by kind; see
 * `sorted-rows.ts`). A query walks the most selective index from its `from` bound and stops
 * at `to` or its limit: a person's journey costs their own touches, not the workspace's.
 */
import { DEFAULT_TOUCH_LIMIT, canonicalTouch, instantOf, plainCopy, resolveLimit, type InsertResult } from '../rules.js';
import { SortedRows, mergeFrom } from './sorted-rows.js';
import type { StoredTouch, TouchQuery, TouchRepo } from './touch-repo.js';

interface TouchRow {
  touch: StoredTouch;
  at: number;
  id: string;
}

/** One workspace's touches and their indexes. */
class WorkspaceTouches {
  readonly byId = new Map<string, TouchRow>();
  readonly all = new SortedRows<TouchRow>();
  readonly byProfile = new Map<string, SortedRows<TouchRow>>();
  readonly byChat = new Map<string, SortedRows<TouchRow>>();
  readonly byKind = new Map<string, SortedRows<TouchRow>>();

  static #add(index: Map<string, SortedRows<TouchRow>>, key: string, row: TouchRow): void {
    let rows = index.get(key);
    if (!rows) {
      rows = new SortedRows();
      index.set(key, rows);
    }
    rows.insert(row);
  }

  static #remove(index: Map<string, SortedRows<TouchRow>>, key: string, row: TouchRow): void {
    const rows = index.get(key);
    if (!rows) return;
    rows.remove(row);
    if (rows.size === 0) index.delete(key);
  }

  insert(touch: StoredTouch): InsertResult {
    if (this.byId.has(touch.id)) return 'duplicate';
    const row: TouchRow = { touch, at: Date.parse(touch.occurredAt), id: touch.id };
    this.byId.set(touch.id, row);
    this.all.insert(row);
    if (touch.profileId !== null) WorkspaceTouches.#add(this.byProfile, touch.profileId, row);
    WorkspaceTouches.#add(this.byChat, touch.chat.id, row);
    WorkspaceTouches.#add(this.byKind, touch.kind, row);
    return 'inserted';
  }

  /** Moves a row to another profile (null: anonymous). */
  setProfile(row: TouchRow, profileId: string | null): void {
    const from = row.touch.profileId;
    if (from === profileId) return;
    if (from !== null) WorkspaceTouches.#remove(this.byProfile, from, row);
    row.touch.profileId = profileId;
    if (profileId !== null) WorkspaceTouches.#add(this.byProfile, profileId, row);
  }

  delete(row: TouchRow): void {
    this.byId.delete(row.id);
    this.all.remove(row);
    if (row.touch.profileId !== null) WorkspaceTouches.#remove(this.byProfile, row.touch.profileId, row);
    WorkspaceTouches.#remove(this.byChat, row.touch.chat.id, row);
    WorkspaceTouches.#remove(this.byKind, row.touch.kind, row);
  }

  /** The rows a query can match, in order from `from`, walking the most selective index. */
  candidates(query: TouchQuery, from: number): Iterable<TouchRow> {
    const start = { at: from, id: '' };
    const none: TouchRow[] = [];
    if (query.profileId !== undefined) return this.byProfile.get(query.profileId)?.from(start) ?? none;
    if (query.chatId !== undefined) return this.byChat.get(query.chatId)?.from(start) ?? none;
    if (query.kinds !== undefined) {
      const lists = [...new Set(query.kinds)].flatMap((k) => this.byKind.get(k) ?? []);
      return lists.length === 1 ? (lists[0] as SortedRows<TouchRow>).from(start) : mergeFrom(lists, start);
    }
    return this.all.from(start);
  }
}

/** Creates the in-memory touches; `open()` throws once the store is closed. */
export function createMemoryTouches(open: () => void): TouchRepo {
  const workspaces = new Map<string, WorkspaceTouches>();
  const of = (workspace: string): WorkspaceTouches => {
    let w = workspaces.get(workspace);
    if (!w) {
      w = new WorkspaceTouches();
      workspaces.set(workspace, w);
    }
    return w;
  };

  const touches: TouchRepo = {
    async insert(workspace, touch) {
      open();
      return of(workspace).insert(canonicalTouch(workspace, touch));
    },
    async insertMany(workspace, batch) {
      open();
      const results = await touches.insertEach(workspace, batch);
      const inserted = results.filter((r) => r === 'inserted').length;
      return { inserted, duplicates: batch.length - inserted };
    },
    async insertEach(workspace, batch) {
      open();
      // Validate the whole batch first, so a bad touch rejects it before anything is written.
      const stored = batch.map((t) => canonicalTouch(workspace, t));
      const w = of(workspace);
      return stored.map((t) => w.insert(t));
    },
    async get(workspace, id) {
      open();
      const row = workspaces.get(workspace)?.byId.get(id);
      return row ? plainCopy(row.touch) : null;
    },
    async list(workspace, query: TouchQuery) {
      open();
      const limit = resolveLimit(query.limit, DEFAULT_TOUCH_LIMIT);
      const from = query.from === undefined ? -Infinity : instantOf(query.from, 'from');
      const to = query.to === undefined ? Infinity : instantOf(query.to, 'to');
      const kinds = query.kinds === undefined ? undefined : new Set<string>(query.kinds);
      const w = workspaces.get(workspace);
      if (limit === 0 || !w) return [];
      const out: StoredTouch[] = [];
      for (const row of w.candidates(query, from)) {
        if (row.at >= to) break;
        const t = row.touch;
        if (query.profileId !== undefined && t.profileId !== query.profileId) continue;
        if (query.chatId !== undefined && t.chat.id !== query.chatId) continue;
        if (kinds && !kinds.has(t.kind)) continue;
        out.push(plainCopy(t));
        if (out.length >= limit) break;
      }
      return out;
    },
    async markApplied(workspace, id) {
      open();
      const row = workspaces.get(workspace)?.byId.get(id);
      if (row) row.touch.applied = true;
    },
    async markAppliedMany(workspace, ids) {
      open();
      const w = workspaces.get(workspace);
      for (const id of ids) {
        const row = w?.byId.get(id);
        if (row) row.touch.applied = true;
      }
    },
    async assign(workspace, id, profileId) {
      open();
      const w = workspaces.get(workspace);
      const row = w?.byId.get(id);
      if (!w || !row) return false;
      w.setProfile(row, profileId);
      return true;
    },
    async reassign(workspace, fromProfileId, toProfileId) {
      open();
      const w = workspaces.get(workspace);
      if (fromProfileId === toProfileId || !w) return 0;
      const rows = [...(w.byProfile.get(fromProfileId)?.from({ at: -Infinity, id: '' }) ?? [])];
      for (const row of rows) w.setProfile(row, toProfileId);
      return rows.length;
    },
    async count(workspace) {
      open();
      return workspaces.get(workspace)?.byId.size ?? 0;
    },
    async deleteByProfile(workspace, profileId) {
      open();
      const w = workspaces.get(workspace);
      const rows = [...(w?.byProfile.get(profileId)?.from({ at: -Infinity, id: '' }) ?? [])];
      for (const row of rows) w?.delete(row);
      return rows.length;
    },

    async deleteBefore(workspace, before) {
      open();
      const w = workspaces.get(workspace);
      if (!w) return 0;
      const end = instantOf(before, 'retention cutoff');
      const rows: TouchRow[] = [];
      for (const row of w.all.from({ at: -Infinity, id: '' })) {
        if (row.at >= end) break;
        rows.push(row);
      }
      for (const row of rows) w.delete(row);
      return rows.length;
    },

    // --- erasure: a person named in other people's touches -------------------------------
    async scrubPerson(workspace, refs) {
      open();
      const users = new Set(refs.userIds);
      const mentions = new Set(refs.mentions);
      let changed = 0;
      for (const row of workspaces.get(workspace)?.byId.values() ?? []) {
        const details = row.touch.details as Record<string, unknown>;
        for (const field of ['addedBy', 'removedBy']) {
          const v = details[field];
          if (typeof v === 'string' && users.has(v)) {
            delete details[field];
            changed++;
          }
        }
        const mentioned = details.mentioned;
        if (Array.isArray(mentioned) && mentioned.some((m) => mentions.has(m as string))) {
          const kept = mentioned.filter((m) => !mentions.has(m as string));
          if (kept.length > 0) details.mentioned = kept;
          else delete details.mentioned;
          changed++;
        }
      }
      return changed;
    },
  };
  return touches;
}
