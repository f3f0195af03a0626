/**
 * MongoDB profiles and identities (see `profile-repo.ts`), collections `profiles` and
 * `identities`. Identity claims are upserts with `$setOnInsert`, so concurrent claims leave
 * exactly one owner (the unique index on workspace, type and value decides).
 *
 * A profile's statistics are stored in the shape of `stats-doc.ts`: `applyTouch` is one
 * `findOneAndUpdate` of `$inc`/`$min`/`$max`/`$addToSet`/`$push` on them, filtered on the
 * profile not being fenced and not having adopted the touch; `fence` and `replace` are
 * `findOneAndUpdate`s on the fence token. Every one is served by the unique `workspace, id` index.
 */
import mongoose from 'mongoose';
import type { AnyBulkWriteOperation, Connection, Model } from 'mongoose';
import { identifierKey, type Identifier } from '../../identity/identifier.js';
import { HIDDEN, SCHEMA_OPTIONS, duplicatesOnly, insertOnce, isDuplicateKey } from '../mongo-support.js';
import { assertSameWorkspace, compareCodePoints, distinctIdentifiers, plainCopy, resolveLimit, sortIdentifiers } from '../rules.js';
import type { IdentityRepo, Profile, ProfileFacts, ProfileRepo } from './profile-repo.js';
import { STATS_SHAPE, flagOf, hasConversionsOf, mongoUpdateOfOps, opsOfDelta, statsOfStored, storedOfStats, type ConversionFlag } from './stats-doc.js';

const { Schema } = mongoose;

/** One strong identifier and the profile that owns it (unique per workspace, type and value). */
export interface IdentityDoc {
  workspace: string;
  type: string;
  value: string;
  profileId: string;
}

/** A profile document: the Profile with its statistics in the stored shape, plus the rewrite state. */
export interface ProfileDoc {
  workspace: string;
  id: string;
  identifiers: unknown[];
  usernames: string[];
  stats: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  /** `hasConversions` as a rank that only rises (see `stats-doc.ts`); absent: unknown. */
  conversionFlag?: ConversionFlag;
  /** Token of the rewrite in progress (see `ProfileRepo.fence`). */
  fence?: string;
  /** Touches the statistics include that were not marked applied when they were folded. */
  adopted?: string[];
}

const identitySchema = new Schema<IdentityDoc>(
  {
    workspace: { type: String },
    type: { type: String },
    value: { type: String },
    profileId: { type: String },
  },
  { ...SCHEMA_OPTIONS, collection: 'identities' },
);
// One owner per identifier: claim() relies on this for race safety.
identitySchema.index({ workspace: 1, type: 1, value: 1 }, { unique: true, name: 'workspace_identifier_unique' });
// ofProfile(), reassign().
identitySchema.index({ workspace: 1, profileId: 1 }, { name: 'workspace_profile' });

const profileSchema = new Schema<ProfileDoc>(
  {
    workspace: { type: String },
    id: { type: String },
    identifiers: { type: Schema.Types.Mixed },
    usernames: { type: [String], default: undefined },
    stats: { type: Schema.Types.Mixed },
    createdAt: { type: String },
    updatedAt: { type: String },
    conversionFlag: { type: Number },
    fence: { type: String },
    adopted: { type: [String], default: undefined },
  },
  { ...SCHEMA_OPTIONS, collection: 'profiles' },
);
// get/put/delete by id; list() pages by id.
profileSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
// findByUsername() (multikey).
profileSchema.index({ workspace: 1, usernames: 1 }, { name: 'workspace_usernames' });

/** The document a profile is stored as (a plain copy: undefined fields dropped; statistics in the stored shape). */
export function toProfileDoc(workspace: string, profile: Profile): ProfileDoc {
  assertSameWorkspace(`profile ${profile.id}`, workspace, profile.workspace);
  const { stats, hasConversions, ...rest } = plainCopy(profile);
  const doc = { ...rest, stats: storedOfStats(stats) } as unknown as ProfileDoc;
  if (hasConversions !== undefined) doc.conversionFlag = flagOf(hasConversions);
  return doc;
}

/** The profile a lean document stands for: no `_id`/`__v` or rewrite state; statistics as `ProfileStats`. */
export function fromProfileDoc(doc: ProfileDoc): Profile {
  const out = { ...doc } as Record<string, unknown>;
  delete out._id;
  delete out.__v;
  delete out.fence;
  delete out.adopted;
  delete out.conversionFlag;
  const flag = hasConversionsOf(doc.conversionFlag);
  if (flag !== undefined) out.hasConversions = flag;
  out.stats = statsOfStored(doc.stats);
  out.identifiers = sortIdentifiers([...(doc.identifiers as Identifier[])]);
  out.usernames = [...doc.usernames].sort(compareCodePoints);
  return out as unknown as Profile;
}

/** The facts of a profile document read back after a write (only identifiers and hasConversions projected). */
function factsOfDoc(doc: Pick<ProfileDoc, 'identifiers' | 'conversionFlag'>): ProfileFacts {
  const facts: ProfileFacts = { identifiers: sortIdentifiers(distinctIdentifiers(doc.identifiers as Identifier[])) };
  const flag = hasConversionsOf(doc.conversionFlag);
  if (flag !== undefined) facts.hasConversions = flag;
  return facts;
}

/** What `applyTouch` and `replace` read back: the facts only. */
const FACTS = { _id: 0, identifiers: 1, conversionFlag: 1 } as const;

/** `{ type, value }` in that order, as `$addToSet` compares whole documents. */
const identifierDocs = (list: readonly Identifier[]): Identifier[] => distinctIdentifiers(list).map((i) => ({ type: i.type, value: i.value }));

/** The MongoDB profiles and identities on `connection`; `open()` throws once the store is closed. */
export function createMongoProfiles(
  connection: Connection,
  open: () => void,
): { identities: IdentityRepo; profiles: ProfileRepo; models: Array<Model<IdentityDoc> | Model<ProfileDoc>> } {
  const Identity = connection.model<IdentityDoc>('Identity', identitySchema);
  const ProfileModel = connection.model<ProfileDoc>('Profile', profileSchema);

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
      let upserted: Record<number, unknown> = {};
      try {
        const result = await Identity.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
        upserted = (result as { upsertedIds?: Record<number, unknown> }).upsertedIds ?? {};
      } catch (err) {
        // Two concurrent upserts of one identifier: one inserts, the other may get E11000.
        // Either way the identifier now has exactly one owner, which the read below returns.
        if (!duplicatesOnly(err)) throw err;
      }
      // Every one inserted now (a new person's claim): they are all ours, no read back needed.
      if (wanted.every((_, i) => upserted[i] !== undefined)) return new Map(wanted.map((i) => [identifierKey(i), profileId]));
      const after = await owners(workspace, wanted);
      for (const i of wanted) {
        if (!after.has(identifierKey(i))) throw new Error(`identity ${identifierKey(i)} has no owner after claim(); the identities collection lost a write`);
      }
      return after;
    },
    async move(workspace, identifiers, fromProfileId, toProfileId) {
      open();
      if (fromProfileId === toProfileId || identifiers.length === 0) return 0;
      const res = await Identity.updateMany({ workspace, profileId: fromProfileId, $or: identifiers.map((i) => ({ type: i.type, value: i.value })) }, { $set: { profileId: toProfileId } });
      return res.modifiedCount;
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
    async create(workspace, profile, options = {}) {
      open();
      const doc: ProfileDoc = toProfileDoc(workspace, profile);
      if (options.adopted && options.adopted.length > 0) doc.adopted = [...options.adopted];
      return insertOnce(ProfileModel, doc);
    },
    async applyTouch(workspace, id, delta, options) {
      open();
      const update = mongoUpdateOfOps(opsOfDelta(delta), 'stats');
      (update.$set ??= {}).updatedAt = options.at;
      const add: Record<string, unknown> = {};
      if (options.username !== undefined) add.usernames = options.username;
      if (options.identifiers && options.identifiers.length > 0) add.identifiers = { $each: identifierDocs(options.identifiers) };
      if (Object.keys(add).length > 0) update.$addToSet = { ...update.$addToSet, ...add };
      const doc = await ProfileModel.collection.findOneAndUpdate(
        { workspace, id, 'stats.v': STATS_SHAPE, fence: { $exists: false }, adopted: { $ne: delta.touchId } },
        update,
        { returnDocument: 'after', projection: FACTS, includeResultMetadata: false },
      );
      return doc ? factsOfDoc(doc as unknown as ProfileDoc) : null;
    },
    async fence(workspace, id, token) {
      open();
      const doc = await ProfileModel.collection.findOneAndUpdate({ workspace, id }, { $set: { fence: token } }, { returnDocument: 'after', projection: HIDDEN, includeResultMetadata: false });
      return doc ? fromProfileDoc(doc as unknown as ProfileDoc) : null;
    },
    async replace(workspace, profile, fence) {
      open();
      const { workspace: _ws, id, conversionFlag: _flag, ...fields } = toProfileDoc(workspace, profile);
      const update: Record<string, Record<string, unknown>> = {
        $set: { ...fields },
        $unset: { fence: '' },
        // The flag only rises: a conversion noted meanwhile stays noted.
        $max: { conversionFlag: flagOf(profile.hasConversions) },
      };
      if (fence.adopted.length > 0) (update.$set as Record<string, unknown>).adopted = [...fence.adopted];
      else (update.$unset as Record<string, unknown>).adopted = '';
      const doc = await ProfileModel.collection.findOneAndUpdate({ workspace, id, fence: fence.token }, update, { returnDocument: 'after', projection: FACTS, includeResultMetadata: false });
      return doc ? factsOfDoc(doc as unknown as ProfileDoc) : null;
    },
    async noteConversion(workspace, id) {
      open();
      const res = await ProfileModel.collection.updateOne({ workspace, id }, { $max: { conversionFlag: 2 } });
      return res.matchedCount === 1;
    },
    async addIdentifiers(workspace, id, list) {
      open();
      if (list.length === 0) return (await ProfileModel.countDocuments({ workspace, id })) === 1;
      const res = await ProfileModel.collection.updateOne({ workspace, id }, { $addToSet: { identifiers: { $each: identifierDocs(list) } } });
      return res.matchedCount === 1;
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
  return { identities, profiles, models: [Identity, ProfileModel] };
}
