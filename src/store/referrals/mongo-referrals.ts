/**
 * MongoDB referral edges, personal invite links and group switches (see `referral-repo.ts`).
 *
 * Collections and indexes:
 * - `referral_edges`: unique `workspace, key` (one edge per platform, group and invitee);
 *   `workspace, at, id` (lists by time); `workspace, inviterKey` and `workspace, inviteeKey`
 *   (a person's edges in either direction: reports, /journey, erasure).
 * - `personal_invite_links`: unique `workspace, key` (one per platform, group and member);
 *   `workspace, platform, url` (a join's link); `workspace, memberKey` (erasure).
 * - `referral_groups`: unique `workspace, platform, chatId` (groups where personal links are off).
 */
import mongoose from 'mongoose';
import type { Connection, FilterQuery, Model } from 'mongoose';
import { identifierKey, type Identifier } from '../../identity/identifier.js';
import { HIDDEN, SCHEMA_OPTIONS, insertOnce, strip } from '../mongo-support.js';
import { assertSameWorkspace, instantOf, plainCopy, resolveLimit } from '../rules.js';
import { DEFAULT_EDGE_LIMIT, earlierEdge, edgeKey, linkKey } from './referral-rules.js';
import type { PersonalInviteLink, ReferralEdge, ReferralRepo } from './referral-repo.js';

const { Schema } = mongoose;

export type EdgeDoc = Omit<ReferralEdge, 'at' | 'leftAt'> & { at: Date; leftAt: Date | null; key: string; inviterKey: string; inviteeKey: string };
export type PersonalLinkDoc = PersonalInviteLink & { key: string; memberKey: string };
type GroupDoc = { workspace: string; platform: string; chatId: string; enabled: boolean };

const edgeSchema = new Schema<EdgeDoc>({ workspace: String, key: String, id: String, at: Date, leftAt: Date, inviterKey: String, inviteeKey: String }, { ...SCHEMA_OPTIONS, collection: 'referral_edges' });
edgeSchema.index({ workspace: 1, key: 1 }, { unique: true, name: 'workspace_key_unique' });
edgeSchema.index({ workspace: 1, at: 1, id: 1 }, { name: 'workspace_at' });
edgeSchema.index({ workspace: 1, inviterKey: 1 }, { name: 'workspace_inviter' });
edgeSchema.index({ workspace: 1, inviteeKey: 1 }, { name: 'workspace_invitee' });

const linkSchema = new Schema<PersonalLinkDoc>({ workspace: String, key: String, platform: String, url: String, memberKey: String }, { ...SCHEMA_OPTIONS, collection: 'personal_invite_links' });
linkSchema.index({ workspace: 1, key: 1 }, { unique: true, name: 'workspace_key_unique' });
linkSchema.index({ workspace: 1, platform: 1, url: 1 }, { name: 'workspace_url' });
linkSchema.index({ workspace: 1, memberKey: 1 }, { name: 'workspace_member' });

const groupSchema = new Schema<GroupDoc>({ workspace: String, platform: String, chatId: String }, { ...SCHEMA_OPTIONS, collection: 'referral_groups' });
groupSchema.index({ workspace: 1, platform: 1, chatId: 1 }, { unique: true, name: 'workspace_group_unique' });

function toDoc(edge: ReferralEdge): EdgeDoc {
  const e = plainCopy(edge);
  return {
    ...e,
    at: new Date(instantOf(e.at, 'edge at')),
    leftAt: e.leftAt === null ? null : new Date(instantOf(e.leftAt, 'edge leftAt')),
    key: edgeKey(e.platform, e.chatId, e.invitee),
    inviterKey: identifierKey(e.inviter),
    inviteeKey: identifierKey(e.invitee),
  };
}

function fromDoc(doc: EdgeDoc): ReferralEdge {
  const out = strip<Partial<EdgeDoc>>(doc);
  delete out.key;
  delete out.inviterKey;
  delete out.inviteeKey;
  return { ...(out as unknown as ReferralEdge), at: doc.at.toISOString(), leftAt: doc.leftAt ? doc.leftAt.toISOString() : null };
}

function fromLinkDoc(doc: PersonalLinkDoc): PersonalInviteLink {
  const out = strip<Partial<PersonalLinkDoc>>(doc);
  delete out.key;
  delete out.memberKey;
  return out as PersonalInviteLink;
}

const keysOf = (ids: readonly Identifier[]): string[] => [...new Set(ids.map(identifierKey))];

/** The MongoDB referral repository on `connection`. */
export function createMongoReferrals(connection: Connection): { referrals: ReferralRepo; models: Array<Model<never>> } {
  const Edge = connection.model<EdgeDoc>('ReferralEdge', edgeSchema);
  const Link = connection.model<PersonalLinkDoc>('PersonalInviteLink', linkSchema);
  const Group = connection.model<GroupDoc>('ReferralGroup', groupSchema);
  const sorted = async (filter: FilterQuery<EdgeDoc>, limit = DEFAULT_EDGE_LIMIT): Promise<ReferralEdge[]> =>
    (await Edge.find(filter, HIDDEN).sort({ at: 1, id: 1 }).limit(limit).lean<EdgeDoc[]>()).map(fromDoc);

  const referrals: ReferralRepo = {
    async add(workspace, edge) {
      assertSameWorkspace(`referral edge ${edge.id}`, workspace, edge.workspace);
      const doc = toDoc(edge);
      for (let attempt = 0; attempt < 5; attempt++) {
        if ((await insertOnce(Edge, doc)) === 'inserted') return 'inserted';
        const existing = await Edge.findOne({ workspace, key: doc.key }, HIDDEN).lean<EdgeDoc>();
        if (!existing) continue;
        const stored = fromDoc(existing);
        if (!earlierEdge(edge, stored)) return 'kept';
        const leftAt = existing.leftAt !== null && existing.leftAt.getTime() >= doc.at.getTime() ? existing.leftAt : doc.leftAt;
        // Replaced only if nobody changed it meanwhile (then the comparison runs again).
        const r = await Edge.replaceOne({ workspace, key: doc.key, at: existing.at, source: existing.source }, { ...doc, leftAt });
        if (r.modifiedCount === 1) return 'replaced';
      }
      throw new Error(`referral edge ${edge.id} kept changing; try again`);
    },
    async markLeft(workspace, platform, chatId, invitee, at) {
      const when = new Date(instantOf(at, 'leave at'));
      const key = edgeKey(platform, chatId, invitee);
      await Edge.updateOne({ workspace, key, at: { $lte: when }, $or: [{ leftAt: null }, { leftAt: { $gt: when } }] }, { $set: { leftAt: when } });
      const doc = await Edge.findOne({ workspace, key }, HIDDEN).lean<EdgeDoc>();
      return doc ? fromDoc(doc) : null;
    },
    async ofInvitees(workspace, invitees) {
      return sorted({ workspace, inviteeKey: { $in: keysOf(invitees) } });
    },
    async ofInviters(workspace, inviters) {
      return sorted({ workspace, inviterKey: { $in: keysOf(inviters) } });
    },
    async list(workspace, query = {}) {
      const filter: FilterQuery<EdgeDoc> = { workspace };
      const at: Record<string, Date> = {};
      if (query.from !== undefined) at.$gte = new Date(instantOf(query.from, 'from'));
      if (query.to !== undefined) at.$lt = new Date(instantOf(query.to, 'to'));
      if (Object.keys(at).length > 0) filter.at = at;
      if (query.chatId !== undefined) filter.chatId = query.chatId;
      const limit = resolveLimit(query.limit, DEFAULT_EDGE_LIMIT);
      return limit === 0 ? [] : sorted(filter, limit);
    },
    async deleteByPerson(workspace, identifiers) {
      const keys = keysOf(identifiers);
      if (keys.length === 0) return 0;
      return (await Edge.deleteMany({ workspace, $or: [{ inviterKey: { $in: keys } }, { inviteeKey: { $in: keys } }] })).deletedCount;
    },
    async putLink(workspace, link) {
      assertSameWorkspace('personal invite link', workspace, link.workspace);
      const l = plainCopy(link);
      const key = linkKey(l.platform, l.chatId, l.member);
      await Link.replaceOne({ workspace, key }, { ...l, key, memberKey: identifierKey(l.member) }, { upsert: true });
    },
    async linkOf(workspace, platform, chatId, member) {
      const doc = await Link.findOne({ workspace, key: linkKey(platform, chatId, member) }, HIDDEN).lean<PersonalLinkDoc>();
      return doc ? fromLinkDoc(doc) : null;
    },
    async linkByUrl(workspace, platform, url) {
      const doc = await Link.findOne({ workspace, platform, url }, HIDDEN).lean<PersonalLinkDoc>();
      return doc ? fromLinkDoc(doc) : null;
    },
    async linksOf(workspace, members) {
      return (await Link.find({ workspace, memberKey: { $in: keysOf(members) } }, HIDDEN).lean<PersonalLinkDoc[]>()).map(fromLinkDoc);
    },
    async deleteLinks(workspace, members) {
      const keys = keysOf(members);
      if (keys.length === 0) return 0;
      return (await Link.deleteMany({ workspace, memberKey: { $in: keys } })).deletedCount;
    },
    async setGroupEnabled(workspace, platform, chatId, enabled) {
      if (enabled) await Group.deleteOne({ workspace, platform, chatId });
      else await Group.updateOne({ workspace, platform, chatId }, { $set: { enabled: false } }, { upsert: true });
    },
    async groupEnabled(workspace, platform, chatId) {
      return (await Group.findOne({ workspace, platform, chatId }, { _id: 1 }).lean()) === null;
    },
  };
  return { referrals, models: [Edge, Link, Group] as unknown as Array<Model<never>> };
}
