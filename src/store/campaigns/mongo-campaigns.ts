/**
 * MongoDB campaigns and spend (see `campaign-repo.ts`). Thin: each method is one operation.
 *
 * Collections and indexes:
 * - `campaigns`: unique `workspace, name` (put, get, remove; list in name order).
 * - `campaign_spend`: unique `workspace, day, campaign` (a write replaces that day's spend);
 *   `workspace, campaign, day` (one campaign's spend over a range).
 */
import mongoose from 'mongoose';
import type { AnyBulkWriteOperation, Connection, FilterQuery, Model } from 'mongoose';
import { HIDDEN, SCHEMA_OPTIONS, strip } from '../mongo-support.js';
import { assertDay } from '../counters/counter-rules.js';
import type { CampaignRecord, CampaignRepos, SpendRow } from './campaign-repo.js';
import { assertCampaignName, canonicalCampaign, canonicalSpend, compareSpend } from './campaign-repo.js';
import { compareCodePoints } from '../rules.js';

const { Schema } = mongoose;

const campaignSchema = new Schema<CampaignRecord>({ workspace: String, name: String }, { ...SCHEMA_OPTIONS, collection: 'campaigns' });
campaignSchema.index({ workspace: 1, name: 1 }, { unique: true, name: 'workspace_name_unique' });

const spendSchema = new Schema<SpendRow>({ workspace: String, day: String, campaign: String, amount: Number }, { ...SCHEMA_OPTIONS, collection: 'campaign_spend' });
spendSchema.index({ workspace: 1, day: 1, campaign: 1 }, { unique: true, name: 'workspace_day_campaign_unique' });
spendSchema.index({ workspace: 1, campaign: 1, day: 1 }, { name: 'workspace_campaign_day' });

/** The MongoDB campaign repositories on `connection`. */
export function createMongoCampaigns(connection: Connection): { repos: CampaignRepos; models: Array<Model<never>> } {
  const Campaign = connection.model<CampaignRecord>('Campaign', campaignSchema);
  const Spend = connection.model<SpendRow>('CampaignSpend', spendSchema);
  const repos: CampaignRepos = {
    records: {
      async put(workspace, record) {
        const r = canonicalCampaign(workspace, record);
        await Campaign.replaceOne({ workspace, name: r.name }, r, { upsert: true });
      },
      async get(workspace, name) {
        const doc = await Campaign.findOne({ workspace, name }, HIDDEN).lean();
        return doc ? strip<CampaignRecord>(doc) : null;
      },
      async list(workspace) {
        const docs = await Campaign.find({ workspace }, HIDDEN).lean();
        // Sorted here: MongoDB's default collation orders strings by UTF-8 bytes, code points here.
        return docs.map((d) => strip<CampaignRecord>(d)).sort((a, b) => compareCodePoints(a.name, b.name));
      },
      async remove(workspace, name) {
        const r = await Campaign.deleteOne({ workspace, name });
        return r.deletedCount > 0;
      },
    },
    spend: {
      async put(workspace, rows) {
        const checked = rows.map((r) => canonicalSpend(workspace, r));
        if (checked.length === 0) return 0;
        const ops: Array<AnyBulkWriteOperation<SpendRow>> = checked.map((r) => ({ replaceOne: { filter: { workspace, day: r.day, campaign: r.campaign }, replacement: r, upsert: true } }));
        await Spend.bulkWrite(ops, { ordered: true });
        return checked.length;
      },
      async list(workspace, query = {}) {
        const filter: FilterQuery<SpendRow> = { workspace };
        const day: Record<string, string> = {};
        if (query.from !== undefined) day.$gte = assertDay(query.from, 'from');
        if (query.to !== undefined) day.$lte = assertDay(query.to, 'to');
        if (Object.keys(day).length > 0) filter.day = day;
        if (query.campaign !== undefined) filter.campaign = query.campaign;
        const docs = await Spend.find(filter, HIDDEN).lean();
        return docs.map((d) => strip<SpendRow>(d)).sort(compareSpend);
      },
      async remove(workspace, campaign, days) {
        assertCampaignName(campaign);
        const list = [...new Set(days)].map((d) => assertDay(d));
        if (list.length === 0) return 0;
        const r = await Spend.deleteMany({ workspace, campaign, day: { $in: list } });
        return r.deletedCount;
      },
    },
  };
  return { repos, models: [Campaign, Spend] as unknown as Array<Model<never>> };
}
