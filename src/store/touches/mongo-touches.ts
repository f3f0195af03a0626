/**
 * MongoDB touches (see `touch-repo.ts`), collection `touches`. Batches are unordered bulk
 * inserts; duplicate-key errors (E11000) count as duplicates and never fail the batch.
 * `occurredAt` is a BSON Date, returned as canonical `toISOString()` text.
 *
 * Indexes: unique `workspace, id`; `workspace, profileId, occurredAt, id` (a person's
 * touches in order, reassign); `workspace, occurredAt, id` (periods); `workspace, chat.id,
 * occurredAt, id` (one group); `workspace, kind, occurredAt, id` (touches by kind).
 */
import mongoose from 'mongoose';
import type { AnyBulkWriteOperation, Connection, Model } from 'mongoose';
import { HIDDEN, SCHEMA_OPTIONS, duplicatesOnly } from '../mongo-support.js';
import { DEFAULT_TOUCH_LIMIT, canonicalTouch, instantOf, resolveLimit, type InsertResult } from '../rules.js';
import type { StoredTouch, TouchRepo } from './touch-repo.js';

const { Schema } = mongoose;

/** A touch document: the StoredTouch with `occurredAt` as a BSON Date. */
export interface TouchDoc {
  workspace: string;
  id: string;
  kind: string;
  platform: string;
  account: string;
  chat: { id: string; title?: string; type: string };
  actor: Record<string, unknown>;
  occurredAt: Date;
  details: Record<string, unknown>;
  profileId: string | null;
  applied: boolean;
}

const touchSchema = new Schema<TouchDoc>(
  {
    workspace: { type: String },
    id: { type: String },
    kind: { type: String },
    platform: { type: String },
    account: { type: String },
    // A nested path, not a type declaration: `type` is spelled `{ type: String }` on purpose.
    chat: {
      id: { type: String },
      title: { type: String },
      type: { type: String },
    },
    actor: { type: Schema.Types.Mixed },
    occurredAt: { type: Date },
    details: { type: Schema.Types.Mixed },
    profileId: { type: String },
    applied: { type: Boolean },
  },
  { ...SCHEMA_OPTIONS, collection: 'touches' },
);
// Dedup key: a touch id is stored once per workspace.
touchSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
// list({ profileId }) in order; reassign(from, to).
touchSchema.index({ workspace: 1, profileId: 1, occurredAt: 1, id: 1 }, { name: 'workspace_profile_time' });
// list({ from, to, kinds }) in order.
touchSchema.index({ workspace: 1, occurredAt: 1, id: 1 }, { name: 'workspace_time' });
// list({ chatId }) in order (id last so the sort needs no in-memory stage).
touchSchema.index({ workspace: 1, 'chat.id': 1, occurredAt: 1, id: 1 }, { name: 'workspace_chat_time' });
// list({ kinds, from, to }): touches by kind in a period.
touchSchema.index({ workspace: 1, kind: 1, occurredAt: 1, id: 1 }, { name: 'workspace_kind_time' });

/** The document a touch is stored as: canonical (undefined fields dropped), `occurredAt` a Date. Throws like the memory store. */
export function toTouchDoc(workspace: string, touch: StoredTouch): TouchDoc {
  const canonical = canonicalTouch(workspace, touch);
  return { ...(canonical as unknown as Omit<TouchDoc, 'occurredAt'>), occurredAt: new Date(canonical.occurredAt) };
}

/** The touch a lean document stands for: no `_id`/`__v`, `occurredAt` as canonical ISO text. */
export function fromTouchDoc(doc: TouchDoc): StoredTouch {
  const out = { ...doc, occurredAt: doc.occurredAt.toISOString() } as Record<string, unknown>;
  delete out._id;
  delete out.__v;
  return out as unknown as StoredTouch;
}

/** The MongoDB touches on `connection`; `open()` throws once the store is closed. */
export function createMongoTouches(connection: Connection, open: () => void): { touches: TouchRepo; models: Model<TouchDoc>[] } {
  const Touch = connection.model<TouchDoc>('Touch', touchSchema);
  const touches: TouchRepo = {
    async insert(workspace, touch) {
      const { inserted } = await touches.insertMany(workspace, [touch]);
      return inserted === 1 ? 'inserted' : 'duplicate';
    },
    async insertMany(workspace, batch) {
      open();
      if (batch.length === 0) return { inserted: 0, duplicates: 0 };
      const ops: Array<AnyBulkWriteOperation<TouchDoc>> = batch.map((t) => ({ insertOne: { document: toTouchDoc(workspace, t) } }));
      try {
        // Unordered: every insert is attempted; duplicates come back as E11000 write errors.
        const result = await Touch.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
        return { inserted: result.insertedCount, duplicates: batch.length - result.insertedCount };
      } catch (err) {
        const dup = duplicatesOnly(err);
        if (!dup) throw err;
        return { inserted: dup.result.insertedCount, duplicates: dup.duplicates };
      }
    },
    async insertEach(workspace, batch) {
      open();
      if (batch.length === 0) return [];
      const ops: Array<AnyBulkWriteOperation<TouchDoc>> = batch.map((t) => ({ insertOne: { document: toTouchDoc(workspace, t) } }));
      let duplicates = new Set<number>();
      try {
        await Touch.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
      } catch (err) {
        const dup = duplicatesOnly(err);
        if (!dup) throw err;
        duplicates = dup.indexes;
      }
      return batch.map((_, i): InsertResult => (duplicates.has(i) ? 'duplicate' : 'inserted'));
    },
    async get(workspace, id) {
      open();
      const doc = await Touch.findOne({ workspace, id }, HIDDEN).lean<TouchDoc>();
      return doc ? fromTouchDoc(doc) : null;
    },
    async list(workspace, query) {
      open();
      const limit = resolveLimit(query.limit, DEFAULT_TOUCH_LIMIT);
      const filter: mongoose.FilterQuery<TouchDoc> = { workspace };
      if (query.profileId !== undefined) filter.profileId = query.profileId;
      if (query.chatId !== undefined) filter['chat.id'] = query.chatId;
      if (query.kinds !== undefined) filter.kind = { $in: [...query.kinds] };
      if (query.from !== undefined || query.to !== undefined) {
        const range: { $gte?: Date; $lt?: Date } = {};
        if (query.from !== undefined) range.$gte = new Date(instantOf(query.from, 'from'));
        if (query.to !== undefined) range.$lt = new Date(instantOf(query.to, 'to'));
        filter.occurredAt = range;
      }
      // MongoDB reads limit(0) as "no limit".
      if (limit === 0) return [];
      const docs = await Touch.find(filter, HIDDEN).sort({ occurredAt: 1, id: 1 }).limit(limit).lean<TouchDoc[]>();
      return docs.map(fromTouchDoc);
    },
    async markApplied(workspace, id) {
      open();
      await Touch.updateOne({ workspace, id }, { $set: { applied: true } });
    },
    async markAppliedMany(workspace, ids) {
      open();
      if (ids.length === 0) return;
      await Touch.updateMany({ workspace, id: { $in: [...new Set(ids)] } }, { $set: { applied: true } });
    },
    async assign(workspace, id, profileId) {
      open();
      const res = await Touch.updateOne({ workspace, id }, { $set: { profileId } });
      return res.matchedCount === 1;
    },
    async reassign(workspace, fromProfileId, toProfileId) {
      open();
      if (fromProfileId === toProfileId) return 0;
      const res = await Touch.updateMany({ workspace, profileId: fromProfileId }, { $set: { profileId: toProfileId } });
      return res.modifiedCount;
    },
    async count(workspace) {
      open();
      return Touch.countDocuments({ workspace });
    },
    async deleteByProfile(workspace, profileId) {
      open();
      return (await Touch.deleteMany({ workspace, profileId })).deletedCount;
    },

    async deleteBefore(workspace, before) {
      open();
      return (await Touch.deleteMany({ workspace, occurredAt: { $lt: new Date(instantOf(before, 'retention cutoff')) } })).deletedCount;
    },

    // --- erasure: a person named in other people's touches -------------------------------
    async scrubPerson(workspace, refs) {
      open();
      let changed = 0;
      const users = [...refs.userIds];
      const mentions = [...refs.mentions];
      if (users.length > 0) {
        for (const field of ['details.addedBy', 'details.removedBy']) {
          changed += (await Touch.updateMany({ workspace, [field]: { $in: users } }, { $unset: { [field]: '' } })).modifiedCount;
        }
      }
      if (mentions.length > 0) {
        changed += (await Touch.updateMany({ workspace, 'details.mentioned': { $in: mentions } }, { $pull: { 'details.mentioned': { $in: mentions } } })).modifiedCount;
        // A facet is a non-empty list (the touch schema): one left empty goes.
        await Touch.updateMany({ workspace, 'details.mentioned': { $size: 0 } }, { $unset: { 'details.mentioned': '' } });
      }
      return changed;
    },
  };
  return { touches, models: [Touch] };
}
