/**
 * The MongoDB store (mongoose 8), what users run. Thin on purpose: each method is one
 * or two MongoDB operations on the models of `mongo-models.ts`, and the rules shared
 * with the in-memory store (canonical times, limits, code-point order, workspace checks)
 * come from `memory-store.ts`. `test/store-contract.ts` holds both adapters to the same
 * behaviour.
 *
 * - Each store owns a dedicated connection (`mongoose.createConnection`), so several
 *   stores (workspaces' tests, workers) can coexist in one process.
 * - `init()` creates the collections' indexes (non-destructively: indexes someone added
 *   by hand are left alone) and pings. Nothing is created implicitly.
 * - Touch batches are unordered bulk inserts; duplicate-key errors (E11000) count as
 *   duplicates and never fail the batch. Identity claims are upserts with
 *   `$setOnInsert`, so concurrent claims leave exactly one owner.
 * - `occurredAt` is a BSON Date; it is returned as canonical `toISOString()` text.
 */
import { createMongoAttributionRepos } from './mongo-attribution-repos.js';
import { createMongoCommunityRepos } from './mongo-community-repos.js';
import mongoose from 'mongoose';
import type { AnyBulkWriteOperation, Connection } from 'mongoose';
import { identifierKey, type Identifier } from '../identity/identifier.js';
import type { IdentityRepo, Profile, ProfileRepo, Store, StoredTouch, TouchRepo } from './store.js';
import {
  DEFAULT_TOUCH_LIMIT,
  StoreClosedError,
  assertSameWorkspace,
  canonicalTouch,
  distinctIdentifiers,
  instantOf,
  plainCopy,
  resolveLimit,
  sortIdentifiers,
} from './memory-store.js';
import { registerModels, type IdentityDoc, type ProfileDoc, type StoreModels, type TouchDoc } from './mongo-models.js';

/** Options of {@link createMongoStore}. */
export interface MongoStoreOptions {
  /** MongoDB connection string, e.g. `mongodb://127.0.0.1:27017`. */
  url: string;
  /** Database name; default: the one in `url`, else mongoose's default (`test`). */
  dbName?: string;
  /** How long to wait for a reachable server before failing; default 30,000 ms (the driver's). */
  serverSelectionTimeoutMS?: number;
}

/** MongoDB's duplicate-key error code. */
const DUPLICATE_KEY = 11000;

/** Fields never returned: MongoDB's `_id` and a `__v` that older writers may have left. */
const HIDDEN = { _id: 0, __v: 0 } as const;

/**
 * Connects to MongoDB and returns a store on a dedicated connection. Call `init()` once
 * before use (it creates indexes); `close()` closes the connection.
 * Rejects when the server cannot be reached within `serverSelectionTimeoutMS`.
 */
export async function createMongoStore(options: MongoStoreOptions): Promise<Store> {
  const connectOptions: mongoose.ConnectOptions = { autoIndex: false, autoCreate: false };
  if (options.dbName !== undefined) connectOptions.dbName = options.dbName;
  if (options.serverSelectionTimeoutMS !== undefined) connectOptions.serverSelectionTimeoutMS = options.serverSelectionTimeoutMS;
  const connection = mongoose.createConnection(options.url, connectOptions);
  try {
    await connection.asPromise();
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  return createMongoStoreOn(connection);
}

/** Whether an error (or a bulk write error's item) is a duplicate-key error. */
function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // The driver's WriteError exposes `code` as a getter over `err`; copies of it keep only `err`.
  const e = error as { code?: unknown; err?: { code?: unknown } };
  return (e.code ?? e.err?.code) === DUPLICATE_KEY;
}

/**
 * For a bulk write that failed only with duplicate-key errors: how many operations
 * succeeded and how many were duplicates. Null for any other error, which the caller
 * rethrows (validation errors, write-concern errors, network errors, …).
 */
function duplicatesOnly(error: unknown): { result: mongoose.mongo.BulkWriteResult; duplicates: number } | null {
  if (!(error instanceof mongoose.mongo.MongoBulkWriteError)) return null;
  const validationErrors = (error as { mongoose?: { validationErrors?: unknown[] } }).mongoose?.validationErrors;
  if (validationErrors && validationErrors.length > 0) return null;
  const result = error.result;
  if (result.getWriteConcernError() !== undefined) return null;
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (writeErrors.length === 0 || !writeErrors.every(isDuplicateKey)) return null;
  return { result, duplicates: writeErrors.length };
}

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

/** The document a profile is stored as (a plain copy: undefined fields dropped). */
export function toProfileDoc(workspace: string, profile: Profile): ProfileDoc {
  assertSameWorkspace(`profile ${profile.id}`, workspace, profile.workspace);
  return plainCopy(profile) as unknown as ProfileDoc;
}

/** The profile a lean document stands for: no `_id`/`__v`; every other field as stored. */
export function fromProfileDoc(doc: ProfileDoc): Profile {
  const out = { ...doc } as Record<string, unknown>;
  delete out._id;
  delete out.__v;
  return out as unknown as Profile;
}

/**
 * The store on an existing connection (what {@link createMongoStore} returns once connected).
 * Compiles the models on `connection`, so call it once per connection. Exported so the
 * queries it sends can be inspected offline (`test/mongo-adapters-offline.test.ts`).
 */
export function createMongoStoreOn(connection: Connection): Store {
  const models: StoreModels = registerModels(connection);
  const { Touch, Identity, Profile: ProfileModel } = models;
  let closed = false;

  const open = (): void => {
    if (closed) throw new StoreClosedError('mongo');
  };

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
  };

  /** Owners of the given identifiers, one query using the unique index per type. */
  const owners = async (workspace: string, list: readonly Identifier[]): Promise<Map<string, string>> => {
    const found = new Map<string, string>();
    if (list.length === 0) return found;
    const valuesByType = new Map<string, string[]>();
    for (const i of distinctIdentifiers(list)) {
      const values = valuesByType.get(i.type) ?? [];
      values.push(i.value);
      valuesByType.set(i.type, values);
    }
    const or = [...valuesByType].map(([type, values]) => ({ type, value: { $in: values } }));
    const docs = await Identity.find({ workspace, $or: or }, HIDDEN).lean<IdentityDoc[]>();
    for (const d of docs) found.set(identifierKey({ type: d.type as Identifier['type'], value: d.value }), d.profileId);
    return found;
  };

  const identities: IdentityRepo = {
    async find(workspace, list) {
      open();
      return owners(workspace, list);
    },
    async claim(workspace, list, profileId) {
      open();
      const wanted = distinctIdentifiers(list);
      if (wanted.length === 0) return new Map();
      const ops: Array<AnyBulkWriteOperation<IdentityDoc>> = wanted.map((i) => ({
        updateOne: {
          filter: { workspace, type: i.type, value: i.value },
          update: { $setOnInsert: { profileId } },
          upsert: true,
        },
      }));
      try {
        await Identity.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
      } catch (err) {
        // Two concurrent upserts of one identifier: one inserts, the other may get E11000.
        // Either way the identifier now has exactly one owner, which the read below returns.
        if (!duplicatesOnly(err)) throw err;
      }
      const after = await owners(workspace, wanted);
      for (const i of wanted) {
        if (!after.has(identifierKey(i))) throw new Error(`identity ${identifierKey(i)} has no owner after claim(); the identities collection lost a write`);
      }
      return after;
    },
    async reassign(workspace, fromProfileId, toProfileId) {
      open();
      if (fromProfileId === toProfileId) return 0;
      const res = await Identity.updateMany({ workspace, profileId: fromProfileId }, { $set: { profileId: toProfileId } });
      return res.modifiedCount;
    },
    async ofProfile(workspace, profileId) {
      open();
      const docs = await Identity.find({ workspace, profileId }, HIDDEN).lean<IdentityDoc[]>();
      return sortIdentifiers(docs.map((d) => ({ type: d.type as Identifier['type'], value: d.value })));
    },
    async deleteByProfile(workspace, profileId) {
      open();
      return (await Identity.deleteMany({ workspace, profileId })).deletedCount;
    },
  };

  const profiles: ProfileRepo = {
    async get(workspace, id) {
      open();
      const doc = await ProfileModel.findOne({ workspace, id }, HIDDEN).lean<ProfileDoc>();
      return doc ? fromProfileDoc(doc) : null;
    },
    async put(workspace, profile) {
      open();
      const doc = toProfileDoc(workspace, profile);
      try {
        await ProfileModel.replaceOne({ workspace, id: profile.id }, doc, { upsert: true });
      } catch (err) {
        // A concurrent first put of the same id inserted it between our match and insert;
        // the document exists now, so replacing it again cannot race the same way.
        if (!isDuplicateKey(err)) throw err;
        await ProfileModel.replaceOne({ workspace, id: profile.id }, doc, { upsert: true });
      }
    },
    async delete(workspace, id) {
      open();
      const res = await ProfileModel.deleteOne({ workspace, id });
      return res.deletedCount === 1;
    },
    async findByUsername(workspace, username) {
      open();
      const docs = await ProfileModel.find({ workspace, usernames: username }, HIDDEN).sort({ id: 1 }).lean<ProfileDoc[]>();
      return docs.map(fromProfileDoc);
    },
    async list(workspace, options = {}) {
      open();
      // No limit given: every profile. (MongoDB reads limit(0) as "no limit", so 0 returns early.)
      const limit = options.limit === undefined ? undefined : resolveLimit(options.limit, 0);
      if (limit === 0) return [];
      const filter: mongoose.FilterQuery<ProfileDoc> = { workspace };
      if (options.afterId !== undefined) filter.id = { $gt: options.afterId };
      const sorted = ProfileModel.find(filter, HIDDEN).sort({ id: 1 });
      const docs = await (limit === undefined ? sorted : sorted.limit(limit)).lean<ProfileDoc[]>();
      return docs.map(fromProfileDoc);
    },
    async count(workspace) {
      open();
      return ProfileModel.countDocuments({ workspace });
    },
  };

  const ping = async (): Promise<void> => {
    open();
    const db = connection.db;
    if (!db) throw new Error('the mongo store has no database handle; is the connection open?');
    await db.admin().ping();
  };

  const attribution = createMongoAttributionRepos(connection);
  const community = createMongoCommunityRepos(connection);

  return {
    kind: 'mongo',
    touches,
    identities,
    profiles,
    attribution: attribution.repos,
    community: community.repos,
    async init() {
      open();
      // createIndexes() is idempotent: an index that exists with the same spec is a no-op.
      for (const model of [Touch, Identity, ProfileModel] as const) await model.createIndexes();
      await attribution.init();
      await community.init();
      await ping();
    },
    ping,
    async close() {
      if (closed) return;
      closed = true;
      await connection.close();
    },
  };
}
