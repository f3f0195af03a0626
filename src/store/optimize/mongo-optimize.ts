/**
 * MongoDB alert settings and profile tags:
 * - `alert_settings`: one document per workspace (unique `workspace`), with the last claimed
 *   run key (`lastRunKey`): a claim is one conditional update (`lastRunKey ≠ key`).
 * - `profile_tags`: one document per workspace, profile and tag (unique); `replaceSource`
 *   deletes a source's tags and inserts the new ones (a reader in between sees fewer tags,
 *   never wrong ones).
 */
import mongoose from 'mongoose';
import type { Connection, Model } from 'mongoose';
import { duplicatesOnly, HIDDEN, SCHEMA_OPTIONS } from '../mongo-support.js';
import { uniqueTags, type AlertSetting, type OptimizeRepos, type ProfileTag } from './optimize-repo.js';

const { Schema } = mongoose;

type SettingDoc = AlertSetting & { lastRunKey?: string };

const settingSchema = new Schema<SettingDoc>({ workspace: String, enabled: Boolean, changedBy: String, changedAt: String, lastRunKey: String }, { ...SCHEMA_OPTIONS, collection: 'alert_settings' });
settingSchema.index({ workspace: 1 }, { unique: true, name: 'workspace_unique' });

const tagSchema = new Schema<ProfileTag>({ workspace: String, profileId: String, tag: String, source: String, at: String }, { ...SCHEMA_OPTIONS, collection: 'profile_tags' });
tagSchema.index({ workspace: 1, profileId: 1, tag: 1 }, { unique: true, name: 'workspace_profile_tag_unique' });
tagSchema.index({ workspace: 1, tag: 1, profileId: 1 }, { name: 'workspace_tag' });
tagSchema.index({ workspace: 1, source: 1 }, { name: 'workspace_source' });

export function createMongoOptimize(connection: Connection): { repos: OptimizeRepos; models: Array<Model<never>> } {
  const Setting = connection.model<SettingDoc>('AlertSetting', settingSchema);
  const Tag = connection.model<ProfileTag>('ProfileTag', tagSchema);
  const repos: OptimizeRepos = {
    alertSettings: {
      async get(workspace) {
        const doc = await Setting.findOne({ workspace, enabled: { $exists: true } }, { ...HIDDEN, lastRunKey: 0 }).lean<AlertSetting>();
        return doc ? { workspace: doc.workspace, enabled: doc.enabled, changedBy: doc.changedBy, changedAt: doc.changedAt } : null;
      },
      async put(workspace, s) {
        await Setting.updateOne({ workspace }, { $set: { enabled: s.enabled, changedBy: s.changedBy, changedAt: s.changedAt } }, { upsert: true });
      },
      async claimRun(workspace, runKey) {
        try {
          const res = await Setting.updateOne({ workspace, lastRunKey: { $ne: runKey } }, { $set: { lastRunKey: runKey } }, { upsert: true });
          return res.modifiedCount === 1 || res.upsertedCount === 1;
        } catch (err) {
          // The upsert raced another claim of the same key (its document now holds the key).
          if ((err as { code?: number }).code === 11000) return false;
          throw err;
        }
      },
    },
    profileTags: {
      async replaceSource(workspace, source, list) {
        const fresh = uniqueTags(workspace, list.map((t) => ({ ...t, source })));
        await Tag.deleteMany({ workspace, source });
        if (fresh.length === 0) return 0;
        try {
          await Tag.insertMany(fresh, { ordered: false });
        } catch (err) {
          // A tag of the same profile from another source already stands: that one stays.
          if (!duplicatesOnly(err)) throw err;
        }
        return fresh.length;
      },
      async ofProfile(workspace, profileId) {
        return Tag.find({ workspace, profileId }, HIDDEN).sort({ tag: 1 }).lean<ProfileTag[]>();
      },
      async withTag(workspace, tag, options = {}) {
        const docs = await Tag.find({ workspace, tag }, { profileId: 1, _id: 0 }).sort({ profileId: 1 }).limit(options.limit ?? 10_000).lean<Array<{ profileId: string }>>();
        return docs.map((d) => d.profileId);
      },
      async deleteByProfile(workspace, profileId) {
        return (await Tag.deleteMany({ workspace, profileId })).deletedCount;
      },
    },
  };
  return { repos, models: [Setting, Tag] as unknown as Array<Model<never>> };
}
