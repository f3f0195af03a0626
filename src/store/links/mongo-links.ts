/**
 * MongoDB tracked links, member tokens and clicks (see `link-repo.ts`).
 *
 * Collections and indexes:
 * - `links`: unique `code` (global: the URL has no workspace); `workspace, code` for lists.
 * - `member_tokens`: unique `workspace, token`; unique `workspace, memberKey` (one token per
 *   member); `workspace, profileId` (a person's tokens, erasure).
 * - `clicks`: unique `workspace, clickId`; `workspace, profileId` (a person's clicks, erasure);
 *   `workspace, queued, at, clickId` (clicks whose touch is not queued yet, for the sweep).
 */
import mongoose from 'mongoose';
import type { Connection, FilterQuery, Model } from 'mongoose';
import { identifierKey } from '../../identity/identifier.js';
import { HIDDEN, SCHEMA_OPTIONS, insertOnce as insertOne, isDuplicateKey, strip } from '../mongo-support.js';
import { DEFAULT_LINK_LIMIT, assertSameWorkspace, instantOf, memberKeyOf, plainCopy, resolveLimit } from '../rules.js';
import type { ClickRecord, ClickRepo, LinkRepo, MemberToken, MemberTokenRepo, TrackedLink } from './link-repo.js';

const { Schema } = mongoose;

/** Stored shapes: times that are sorted or compared are BSON Dates. */
export type LinkDoc = TrackedLink;
export type TokenDoc = MemberToken & { memberKey: string };
export type ClickDoc = Omit<ClickRecord, 'at'> & { at: Date };

const linkSchema = new Schema<LinkDoc>({ workspace: String, code: String }, { ...SCHEMA_OPTIONS, collection: 'links' });
linkSchema.index({ code: 1 }, { unique: true, name: 'code_unique' });
linkSchema.index({ workspace: 1, code: 1 }, { name: 'workspace_code' });

const tokenSchema = new Schema<TokenDoc>({ workspace: String, token: String, memberKey: String, profileId: String }, { ...SCHEMA_OPTIONS, collection: 'member_tokens' });
tokenSchema.index({ workspace: 1, token: 1 }, { unique: true, name: 'workspace_token_unique' });
tokenSchema.index({ workspace: 1, memberKey: 1 }, { unique: true, name: 'workspace_member_unique' });
tokenSchema.index({ workspace: 1, profileId: 1 }, { name: 'workspace_profile' });

const clickSchema = new Schema<ClickDoc>({ workspace: String, clickId: String, at: Date, profileId: String, queued: Boolean }, { ...SCHEMA_OPTIONS, collection: 'clicks' });
clickSchema.index({ workspace: 1, clickId: 1 }, { unique: true, name: 'workspace_click_unique' });
clickSchema.index({ workspace: 1, profileId: 1 }, { name: 'workspace_profile' });
clickSchema.index({ workspace: 1, queued: 1, at: 1, clickId: 1 }, { name: 'workspace_unqueued' });
// Retention: clicks older than the workspace's retentionDays are deleted by time.
clickSchema.index({ workspace: 1, at: 1 }, { name: 'workspace_time' });

const iso = (d: Date): string => d.toISOString();

/** The document a click is stored as. */
export function toClickDoc(workspace: string, click: ClickRecord): ClickDoc {
  assertSameWorkspace(`click ${click.clickId}`, workspace, click.workspace);
  return { ...plainCopy(click), at: new Date(instantOf(click.at, `click ${click.clickId} at`)) };
}

/** The click a lean document stands for. */
export function fromClickDoc(doc: ClickDoc): ClickRecord {
  return { ...strip<ClickDoc>(doc), at: iso(doc.at) };
}

/** The member token a lean document stands for (without the internal `memberKey`). */
export function fromTokenDoc(doc: TokenDoc): MemberToken {
  const out = strip<Partial<TokenDoc>>(doc);
  delete out.memberKey;
  return out as MemberToken;
}

/** The MongoDB link repositories on `connection`. */
export function createMongoLinks(connection: Connection): { links: LinkRepo; memberTokens: MemberTokenRepo; clicks: ClickRepo; models: Array<Model<never>> } {
  const Link = connection.model<LinkDoc>('Link', linkSchema);
  const Token = connection.model<TokenDoc>('MemberToken', tokenSchema);
  const Click = connection.model<ClickDoc>('Click', clickSchema);

  const repos: { links: LinkRepo; memberTokens: MemberTokenRepo; clicks: ClickRepo } = {
    links: {
      async insert(workspace, link) {
        assertSameWorkspace(`link ${link.code}`, workspace, link.workspace);
        return insertOne(Link, plainCopy(link));
      },
      async get(workspace, code) {
        const doc = await Link.findOne({ workspace, code }, HIDDEN).lean<LinkDoc>();
        return doc ? strip<TrackedLink>(doc) : null;
      },
      async list(workspace, opts = {}) {
        const limit = resolveLimit(opts.limit, DEFAULT_LINK_LIMIT);
        if (limit === 0) return [];
        const filter: FilterQuery<LinkDoc> = { workspace };
        if (opts.afterCode !== undefined) filter.code = { $gt: opts.afterCode };
        const docs = await Link.find(filter, HIDDEN).sort({ code: 1 }).limit(limit).lean<LinkDoc[]>();
        return docs.map((d) => strip<TrackedLink>(d));
      },
      async workspaceOfCode(code) {
        const doc = await Link.findOne({ code }, { _id: 0, workspace: 1 }).lean<{ workspace: string }>();
        return doc?.workspace ?? null;
      },
    },

    memberTokens: {
      async issue(workspace, token) {
        assertSameWorkspace('member token', workspace, token.workspace);
        const memberKey = memberKeyOf(token);
        try {
          // The filter's equality fields (workspace, memberKey) are part of the inserted document.
          const { token: value, member, profileId, createdAt } = plainCopy(token);
          await Token.updateOne({ workspace, memberKey }, { $setOnInsert: { token: value, member, profileId, createdAt } }, { upsert: true });
        } catch (err) {
          // A concurrent issue for the same member inserted first (its token stands), or a token collision.
          if (!isDuplicateKey(err)) throw err;
        }
        const doc = await Token.findOne({ workspace, memberKey }, HIDDEN).lean<TokenDoc>();
        if (!doc) throw new Error('member token collision; issue a new random token');
        return fromTokenDoc(doc);
      },
      async get(workspace, token) {
        const doc = await Token.findOne({ workspace, token }, HIDDEN).lean<TokenDoc>();
        return doc ? fromTokenDoc(doc) : null;
      },
      async deleteByMember(workspace, person) {
        const or: Array<FilterQuery<TokenDoc>> = [];
        // A token's memberKey is its identifier's key when it has one (`memberKeyOf`).
        if (person.identifiers.length > 0) or.push({ memberKey: { $in: person.identifiers.map(identifierKey) } });
        if (person.profileIds.length > 0) or.push({ profileId: { $in: [...person.profileIds] } });
        if (or.length === 0) return 0;
        return (await Token.deleteMany({ workspace, $or: or })).deletedCount;
      },
    },

    clicks: {
      async insert(workspace, click) {
        return insertOne(Click, toClickDoc(workspace, click));
      },
      async get(workspace, clickId) {
        const doc = await Click.findOne({ workspace, clickId }, HIDDEN).lean<ClickDoc>();
        return doc ? fromClickDoc(doc) : null;
      },
      async count(workspace) {
        return Click.countDocuments({ workspace });
      },
      async deleteByProfile(workspace, profileId) {
        return (await Click.deleteMany({ workspace, profileId })).deletedCount;
      },
      async deleteBefore(workspace, before) {
        return (await Click.deleteMany({ workspace, at: { $lt: new Date(instantOf(before, 'retention cutoff')) } })).deletedCount;
      },
      async listUnqueued(workspace, opts = {}) {
        const limit = resolveLimit(opts.limit, DEFAULT_LINK_LIMIT);
        if (limit === 0) return [];
        const docs = await Click.find({ workspace, queued: false }, HIDDEN).sort({ at: 1, clickId: 1 }).limit(limit).lean<ClickDoc[]>();
        return docs.map(fromClickDoc);
      },
      async markQueued(workspace, clickIds) {
        if (clickIds.length === 0) return 0;
        return (await Click.updateMany({ workspace, clickId: { $in: [...clickIds] }, queued: false }, { $unset: { queued: 1 } })).modifiedCount;
      },
    },
  };
  return { ...repos, models: [Link, Token, Click] as unknown as Array<Model<never>> };
}
