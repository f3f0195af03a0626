/**
 * MongoDB community repositories (see `community-repo.ts`) on the store's connection.
 * Thin: each method is one or two operations; times that are sorted or compared are BSON
 * Dates and come back as canonical ISO text. Every unique key and every query has an
 * index, created by `init()` (the store's `init()` calls it).
 */
import mongoose from 'mongoose';
import type { Connection, Model } from 'mongoose';
import type {
  AuditEntry,
  CampaignInviteLink,
  CommunityRepos,
  ErasureRun,
  DigestSubscription,
  PendingJoinRequest,
  RegisteredGroup,
  RoleGrant,
  TrackedKeyword,
} from './community-repo.js';
import { fromDoc, insertOnce as insertDoc, isDuplicateKey, retryOnDuplicate, HIDDEN, SCHEMA_OPTIONS } from '../mongo-support.js';
import { DEFAULT_AUDIT_LIMIT, assertSameWorkspace, instantOf, plainCopy, resolveLimit } from '../rules.js';

const { Schema } = mongoose;

const date = (iso: string, what: string): Date => new Date(instantOf(iso, what));

/** `fields` without the given keys (the filter's equality fields, which an upsert inserts by itself). */
function without(fields: Record<string, unknown>, keys: readonly string[]): Doc {
  return Object.fromEntries(Object.entries(fields).filter(([k]) => !keys.includes(k)));
}

type Doc = Record<string, unknown>;

function schema(fields: Record<string, unknown>, collection: string): mongoose.Schema<Doc> {
  return new Schema<Doc>(fields, { ...SCHEMA_OPTIONS, collection });
}

const S = { type: String };
const D = { type: Date };
const B = { type: Boolean };

const groupSchema = schema({ workspace: S, platform: S, chatId: S, title: S, account: S, status: S, botIsAdmin: B, addedBy: S, migratedTo: S, registeredAt: D, updatedAt: D }, 'community_groups');
groupSchema.index({ workspace: 1, platform: 1, chatId: 1 }, { unique: true, name: 'workspace_chat_unique' });
groupSchema.index({ workspace: 1, registeredAt: 1, chatId: 1 }, { name: 'workspace_registered' });

const linkSchema = schema({ workspace: S, platform: S, chatId: S, url: S, campaign: S, createsJoinRequest: B, createdBy: S, createdAt: D, revokedAt: D }, 'community_invite_links');
linkSchema.index({ workspace: 1, platform: 1, url: 1 }, { unique: true, name: 'workspace_url_unique' });
linkSchema.index({ workspace: 1, chatId: 1, createdAt: 1, url: 1 }, { name: 'workspace_chat_created' });
linkSchema.index({ workspace: 1, campaign: 1, createdAt: 1 }, { name: 'workspace_campaign_created' });
linkSchema.index({ workspace: 1, createdAt: 1, url: 1 }, { name: 'workspace_created' });

const grantSchema = schema({ workspace: S, subject: S, role: S, grantedBy: S, grantedAt: D }, 'community_grants');
grantSchema.index({ workspace: 1, subject: 1, role: 1 }, { unique: true, name: 'workspace_subject_role_unique' });

const auditSchema = schema({ workspace: S, id: S, at: D, actor: S, chat: { type: Schema.Types.Mixed }, command: S, outcome: S, detail: S }, 'community_audit');
auditSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
auditSchema.index({ workspace: 1, at: 1, id: 1 }, { name: 'workspace_at' });
auditSchema.index({ workspace: 1, actor: 1, at: 1, id: 1 }, { name: 'workspace_actor_at' });

const keywordSchema = schema({ workspace: S, keyword: S, key: S, addedBy: S, addedAt: D }, 'community_keywords');
keywordSchema.index({ workspace: 1, key: 1 }, { unique: true, name: 'workspace_key_unique' });
keywordSchema.index({ workspace: 1, addedAt: 1, key: 1 }, { name: 'workspace_added' });

const digestSchema = schema({ workspace: S, platform: S, chatId: S, account: S, frequency: S, subscribedBy: S, subscribedAt: D, lastRunKey: S }, 'community_digests');
digestSchema.index({ workspace: 1, platform: 1, chatId: 1 }, { unique: true, name: 'workspace_chat_unique' });

const erasureSchema = schema({ workspace: S, subject: S, code: S, expiresAt: D }, 'community_erasures');
erasureSchema.index({ workspace: 1, subject: 1 }, { unique: true, name: 'workspace_subject_unique' });
// MongoDB removes expired confirmations by itself (take() also checks the time).
erasureSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expires' });

const optOutSchema = schema({ workspace: S, subject: S, at: D }, 'community_opt_outs');
optOutSchema.index({ workspace: 1, subject: 1 }, { unique: true, name: 'workspace_subject_unique' });

const joinRequestSchema = schema({ workspace: S, platform: S, chatId: S, userId: S, touchId: S, requestedAt: D, expiresAt: D }, 'community_join_requests');
joinRequestSchema.index({ workspace: 1, platform: 1, chatId: 1, userId: 1 }, { unique: true, name: 'workspace_chat_user_unique' });
joinRequestSchema.index({ workspace: 1, platform: 1, userId: 1 }, { name: 'workspace_user' });
joinRequestSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expires' });

const erasureRunSchema = schema(
  { workspace: S, subject: S, platform: S, userId: S, identifiers: { type: Schema.Types.Mixed }, profileIds: [S], usernames: [S], conversionIds: [S], startedAt: D },
  'community_erasure_runs',
);
erasureRunSchema.index({ workspace: 1, subject: 1 }, { unique: true, name: 'workspace_subject_unique' });
erasureRunSchema.index({ workspace: 1, startedAt: 1, subject: 1 }, { name: 'workspace_started' });

export function createMongoCommunityRepos(connection: Connection): { repos: CommunityRepos; init: () => Promise<void> } {
  const model = (name: string, s: mongoose.Schema<Doc>): Model<Doc> => connection.model<Doc>(name, s);
  const Group = model('CommunityGroup', groupSchema);
  const Link = model('CommunityInviteLink', linkSchema);
  const Grant = model('CommunityGrant', grantSchema);
  const Audit = model('CommunityAudit', auditSchema);
  const Keyword = model('CommunityKeyword', keywordSchema);
  const Digest = model('CommunityDigest', digestSchema);
  const Erasure = model('CommunityErasure', erasureSchema);
  const OptOut = model('CommunityOptOut', optOutSchema);
  const JoinRequest = model('CommunityJoinRequest', joinRequestSchema);
  const ErasureRunModel = model('CommunityErasureRun', erasureRunSchema);
  const runOf = (doc: Doc): ErasureRun => fromDoc<ErasureRun>(doc, ['startedAt']);

  const insertOnce = (m: Model<Doc>, doc: Doc): Promise<'inserted' | 'duplicate'> => insertDoc(m, doc);

  const repos: CommunityRepos = {
    groups: {
      async upsert(workspace, g) {
        assertSameWorkspace(`group ${g.chatId}`, workspace, g.workspace);
        const at = date(g.at, 'group at');
        // The filter's fields stay out of $set: an upsert inserts them, and MongoDB retries a
        // racing upsert's duplicate-key error by itself only when the update leaves them alone.
        const set = plainCopy(without(g, ['at', 'workspace', 'platform', 'chatId']));
        const doc = await retryOnDuplicate(() =>
          Group.findOneAndUpdate(
            { workspace, platform: g.platform, chatId: g.chatId },
            { $set: { ...set, updatedAt: at }, $setOnInsert: { registeredAt: at } },
            { upsert: true, new: true, projection: HIDDEN },
          ).lean<Doc>(),
        );
        if (!doc) throw new Error(`group ${g.chatId} was not stored`);
        return fromDoc<RegisteredGroup>(doc, ['registeredAt', 'updatedAt']);
      },
      async get(workspace, platform, chatId) {
        const doc = await Group.findOne({ workspace, platform, chatId }, HIDDEN).lean<Doc>();
        return doc ? fromDoc<RegisteredGroup>(doc, ['registeredAt', 'updatedAt']) : null;
      },
      async list(workspace, o = {}) {
        const filter: Doc = { workspace };
        if (o.platform !== undefined) filter.platform = o.platform;
        if (o.status !== undefined) filter.status = o.status;
        const docs = await Group.find(filter, HIDDEN).sort({ registeredAt: 1, chatId: 1 }).lean<Doc[]>();
        return docs.map((d) => fromDoc<RegisteredGroup>(d, ['registeredAt', 'updatedAt']));
      },
    },
    inviteLinks: {
      async insert(workspace, link) {
        assertSameWorkspace(`invite link ${link.url}`, workspace, link.workspace);
        return insertOnce(Link, {
          ...plainCopy(link),
          createdAt: date(link.createdAt, 'invite link createdAt'),
          revokedAt: link.revokedAt === null ? null : date(link.revokedAt, 'invite link revokedAt'),
        });
      },
      async findByUrl(workspace, platform, url) {
        const doc = await Link.findOne({ workspace, platform, url }, HIDDEN).lean<Doc>();
        return doc ? fromDoc<CampaignInviteLink>(doc, ['createdAt', 'revokedAt']) : null;
      },
      async list(workspace, o = {}) {
        const filter: Doc = { workspace };
        if (o.platform !== undefined) filter.platform = o.platform;
        if (o.chatId !== undefined) filter.chatId = o.chatId;
        if (o.campaign !== undefined) filter.campaign = o.campaign;
        if (o.includeRevoked !== true) filter.revokedAt = null;
        const docs = await Link.find(filter, HIDDEN).sort({ createdAt: 1, url: 1 }).lean<Doc[]>();
        return docs.map((d) => fromDoc<CampaignInviteLink>(d, ['createdAt', 'revokedAt']));
      },
      async markRevoked(workspace, platform, url, at) {
        const when = date(at, 'revokedAt');
        await Link.updateOne({ workspace, platform, url, revokedAt: null }, { $set: { revokedAt: when } });
        return (await Link.countDocuments({ workspace, platform, url })) > 0;
      },
    },
    grants: {
      async grant(workspace, g) {
        assertSameWorkspace(`grant of ${g.subject}`, workspace, g.workspace);
        return insertOnce(Grant, { ...plainCopy(g), grantedAt: date(g.grantedAt, 'grantedAt') });
      },
      async revoke(workspace, subject, role) {
        return (await Grant.deleteOne({ workspace, subject, role })).deletedCount === 1;
      },
      async ofSubject(workspace, subject) {
        const docs = await Grant.find({ workspace, subject }, HIDDEN).sort({ role: 1 }).lean<Doc[]>();
        return docs.map((d) => fromDoc<RoleGrant>(d, ['grantedAt']));
      },
      async list(workspace) {
        const docs = await Grant.find({ workspace }, HIDDEN).sort({ subject: 1, role: 1 }).lean<Doc[]>();
        return docs.map((d) => fromDoc<RoleGrant>(d, ['grantedAt']));
      },
    },
    audit: {
      async append(workspace, entry) {
        assertSameWorkspace(`audit entry ${entry.id}`, workspace, entry.workspace);
        await insertOnce(Audit, { ...plainCopy(entry), at: date(entry.at, 'audit at') });
      },
      async list(workspace, o = {}) {
        const limit = resolveLimit(o.limit, DEFAULT_AUDIT_LIMIT);
        const filter: Doc = { workspace };
        if (o.actor !== undefined) filter.actor = o.actor;
        if (o.from !== undefined || o.to !== undefined) {
          const range: Doc = {};
          if (o.from !== undefined) range.$gte = date(o.from, 'from');
          if (o.to !== undefined) range.$lt = date(o.to, 'to');
          filter.at = range;
        }
        // After the times are checked (bad ones reject, as on the memory adapter); limit(0) would mean "no limit".
        if (limit === 0) return [];
        const docs = await Audit.find(filter, HIDDEN).sort({ at: 1, id: 1 }).limit(limit).lean<Doc[]>();
        return docs.map((d) => fromDoc<AuditEntry>(d, ['at']));
      },
      async eraseActor(workspace, actor) {
        // matchedCount: erasing the actor `erased` itself modifies nothing but counts its entries, as in memory.
        return (await Audit.updateMany({ workspace, actor }, { $set: { actor: 'erased' } })).matchedCount;
      },
    },
    keywords: {
      async add(workspace, kw) {
        assertSameWorkspace(`keyword ${kw.key}`, workspace, kw.workspace);
        return insertOnce(Keyword, { ...plainCopy(kw), addedAt: date(kw.addedAt, 'addedAt') });
      },
      async remove(workspace, key) {
        return (await Keyword.deleteOne({ workspace, key })).deletedCount === 1;
      },
      async list(workspace) {
        const docs = await Keyword.find({ workspace }, HIDDEN).sort({ addedAt: 1, key: 1 }).lean<Doc[]>();
        return docs.map((d) => fromDoc<TrackedKeyword>(d, ['addedAt']));
      },
    },
    digests: {
      async put(workspace, sub) {
        assertSameWorkspace(`digest of ${sub.chatId}`, workspace, sub.workspace);
        // `lastRunKey` stays out of $set even if the caller's object carries one: it is kept when
        // replacing, and naming it in both $set and $setOnInsert is a conflict MongoDB refuses.
        const set = plainCopy(without(sub, ['lastRunKey', 'workspace', 'platform', 'chatId']));
        await retryOnDuplicate(() =>
          Digest.updateOne(
            { workspace, platform: sub.platform, chatId: sub.chatId },
            { $set: { ...set, subscribedAt: date(sub.subscribedAt, 'subscribedAt') }, $setOnInsert: { lastRunKey: null } },
            { upsert: true },
          ),
        );
      },
      async remove(workspace, platform, chatId) {
        return (await Digest.deleteOne({ workspace, platform, chatId })).deletedCount === 1;
      },
      async get(workspace, platform, chatId) {
        const doc = await Digest.findOne({ workspace, platform, chatId }, HIDDEN).lean<Doc>();
        return doc ? fromDoc<DigestSubscription>(doc, ['subscribedAt']) : null;
      },
      async list(workspace) {
        const docs = await Digest.find({ workspace }, HIDDEN).sort({ platform: 1, chatId: 1 }).lean<Doc[]>();
        return docs.map((d) => fromDoc<DigestSubscription>(d, ['subscribedAt']));
      },
      async claimRun(workspace, platform, chatId, runKey) {
        const res = await Digest.updateOne({ workspace, platform, chatId, lastRunKey: { $ne: runKey } }, { $set: { lastRunKey: runKey } });
        return res.modifiedCount === 1;
      },
    },
    erasures: {
      async put(workspace, p) {
        assertSameWorkspace(`erasure of ${p.subject}`, workspace, p.workspace);
        const doc = { ...plainCopy(p), expiresAt: date(p.expiresAt, 'expiresAt') };
        await retryOnDuplicate(() => Erasure.replaceOne({ workspace, subject: p.subject }, doc, { upsert: true }));
      },
      async take(workspace, subject, code, now) {
        const doc = await Erasure.findOneAndDelete({ workspace, subject, code, expiresAt: { $gt: date(now, 'now') } }, { projection: HIDDEN }).lean<Doc>();
        return doc !== null;
      },
      async clear(workspace, subject) {
        await Erasure.deleteOne({ workspace, subject });
      },
    },
    optOuts: {
      async add(workspace, subject, at) {
        await OptOut.updateOne({ workspace, subject }, { $setOnInsert: { at: date(at, 'at') } }, { upsert: true }).catch((err: unknown) => {
          // Two concurrent first adds: one inserts, the other may see E11000; either way it is stored.
          if (!isDuplicateKey(err)) throw err;
        });
      },
      async has(workspace, subject) {
        return (await OptOut.exists({ workspace, subject })) !== null;
      },
      async remove(workspace, subject) {
        return (await OptOut.deleteOne({ workspace, subject })).deletedCount === 1;
      },
    },
    joinRequests: {
      async put(workspace, r) {
        assertSameWorkspace(`join request of ${r.userId}`, workspace, r.workspace);
        const doc = { ...plainCopy(r), requestedAt: date(r.requestedAt, 'requestedAt'), expiresAt: date(r.expiresAt, 'expiresAt') };
        await retryOnDuplicate(() => JoinRequest.replaceOne({ workspace, platform: r.platform, chatId: r.chatId, userId: r.userId }, doc, { upsert: true }));
      },
      async take(workspace, platform, chatId, userId, now) {
        const doc = await JoinRequest.findOneAndDelete({ workspace, platform, chatId, userId }, { projection: HIDDEN }).lean<Doc>();
        if (!doc) return null;
        const r = fromDoc<PendingJoinRequest>(doc, ['requestedAt', 'expiresAt']);
        return Date.parse(r.expiresAt) > instantOf(now, 'now') ? r : null;
      },
      async removeUser(workspace, platform, userId) {
        return (await JoinRequest.deleteMany({ workspace, platform, userId })).deletedCount;
      },
    },
    erasureRuns: {
      async start(workspace, run) {
        assertSameWorkspace(`erasure run of ${run.subject}`, workspace, run.workspace);
        const doc = { ...plainCopy(run), startedAt: date(run.startedAt, 'startedAt') };
        await insertOnce(ErasureRunModel, doc);
        const stored = await ErasureRunModel.findOne({ workspace, subject: run.subject }, HIDDEN).lean<Doc>();
        if (!stored) throw new Error(`erasure run of ${run.subject} was not stored`);
        return runOf(stored);
      },
      async extend(workspace, subject, lists) {
        // $addToSet with $each: a set union that keeps the stored order and appends what is new.
        const add: Doc = {};
        for (const k of ['identifiers', 'profileIds', 'usernames', 'conversionIds'] as const) {
          const values = lists[k];
          if (values && values.length > 0) add[k] = { $each: plainCopy(values) };
        }
        const doc =
          Object.keys(add).length > 0
            ? await ErasureRunModel.findOneAndUpdate({ workspace, subject }, { $addToSet: add }, { new: true, projection: HIDDEN }).lean<Doc>()
            : await ErasureRunModel.findOne({ workspace, subject }, HIDDEN).lean<Doc>();
        return doc ? runOf(doc) : null;
      },
      async finish(workspace, subject) {
        return (await ErasureRunModel.deleteOne({ workspace, subject })).deletedCount === 1;
      },
      async list(workspace, options = {}) {
        const filter: Doc = { workspace };
        if (options.startedBefore !== undefined) filter.startedAt = { $lt: date(options.startedBefore, 'startedBefore') };
        const docs = await ErasureRunModel.find(filter, HIDDEN).sort({ startedAt: 1, subject: 1 }).lean<Doc[]>();
        return docs.map(runOf);
      },
    },
  };

  return {
    repos,
    init: async () => {
      for (const m of [Group, Link, Grant, Audit, Keyword, Digest, Erasure, OptOut, JoinRequest, ErasureRunModel]) {
        // Idempotent: an index that exists with the same spec is a no-op.
        await m.createIndexes();
      }
    },
  };
}
