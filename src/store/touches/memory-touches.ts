/**
 * In-memory touches (see `touch-repo.ts`): unique by (workspace, id), first write wins,
 * listed in (occurredAt by instant, id in code-point order), every returned touch a copy.
 * A per-profile index serves `list({ profileId })` (the reconciler's journey reads) without
 * scanning every touch, as MongoDB's `workspace, profileId, occurredAt` index does.
 */
import { bucket as bucketOf } from '../memory-tables.js';
import { DEFAULT_TOUCH_LIMIT, canonicalTouch, compareCodePoints, instantOf, plainCopy, resolveLimit, type InsertResult } from '../rules.js';
import type { StoredTouch, TouchQuery, TouchRepo } from './touch-repo.js';

interface TouchRow {
  touch: StoredTouch;
  at: number;
}

function compareRows(a: TouchRow, b: TouchRow): number {
  return a.at - b.at || compareCodePoints(a.touch.id, b.touch.id);
}

/** Creates the in-memory touches; `open()` throws once the store is closed. */
export function createMemoryTouches(open: () => void): TouchRepo {
  const touchRows = new Map<string, Map<string, TouchRow>>();
  /** workspace → profile id → the rows of that profile's touches. */
  const byProfile = new Map<string, Map<string, Set<TouchRow>>>();
  const profileRows = (workspace: string, profileId: string): Set<TouchRow> => {
    const bucket = bucketOf(byProfile, workspace);
    let rows = bucket.get(profileId);
    if (!rows) {
      rows = new Set();
      bucket.set(profileId, rows);
    }
    return rows;
  };

  /** Inserts a touch already passed through `canonicalTouch`; the first write of an id wins. */
  const insertCanonical = (workspace: string, stored: StoredTouch): InsertResult => {
    const bucket = bucketOf(touchRows, workspace);
    if (bucket.has(stored.id)) return 'duplicate';
    const row = { touch: stored, at: Date.parse(stored.occurredAt) };
    bucket.set(stored.id, row);
    if (stored.profileId) profileRows(workspace, stored.profileId).add(row);
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
      const candidates = query.profileId !== undefined ? (byProfile.get(workspace)?.get(query.profileId) ?? []) : (touchRows.get(workspace)?.values() ?? []);
      for (const row of candidates) {
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
      const rows = byProfile.get(workspace)?.get(fromProfileId);
      if (!rows) return 0;
      const target = profileRows(workspace, toProfileId);
      for (const row of rows) {
        row.touch.profileId = toProfileId;
        target.add(row);
      }
      byProfile.get(workspace)?.delete(fromProfileId);
      return rows.size;
    },
    async count(workspace) {
      open();
      return touchRows.get(workspace)?.size ?? 0;
    },
    async deleteByProfile(workspace, profileId) {
      open();
      const bucket = touchRows.get(workspace);
      const rows = byProfile.get(workspace)?.get(profileId);
      if (!bucket || !rows) return 0;
      for (const row of rows) bucket.delete(row.touch.id);
      byProfile.get(workspace)?.delete(profileId);
      return rows.size;
    },

    // --- erasure: a person named in other people's touches -------------------------------
    async scrubPerson(workspace, refs) {
      open();
      const users = new Set(refs.userIds);
      const mentions = new Set(refs.mentions);
      let changed = 0;
      for (const row of touchRows.get(workspace)?.values() ?? []) {
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
