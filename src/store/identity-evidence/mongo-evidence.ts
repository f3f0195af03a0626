/**
 * MongoDB identity evidence (see `evidence-repo.ts`). Collection `identity_evidence`: unique
 * `workspace, id` (add: unordered insert, duplicates skipped); multikey `workspace, keys, at`
 * (`keys` holds both identifiers as `type|value`: ofIdentifiers, deleteByIdentifiers).
 */
import mongoose from 'mongoose';
import type { Connection, Model } from 'mongoose';
import { identifierKey } from '../../identity/identifier.js';
import { HIDDEN, SCHEMA_OPTIONS, duplicatesOnly, strip } from '../mongo-support.js';
import type { IdentityEvidence, IdentityEvidenceRepo } from './evidence-repo.js';

const { Schema } = mongoose;

type EvidenceDoc = IdentityEvidence & { keys: string[] };

const evidenceSchema = new Schema<EvidenceDoc>(
  {
    workspace: String,
    id: String,
    identifier: { type: { type: String }, value: String },
    linkedTo: { type: { type: String }, value: String },
    rule: String,
    source: { kind: String, id: String },
    at: String,
    confidence: Number,
    profileId: String,
    merged: { type: [String], default: undefined },
    keys: [String],
  },
  { ...SCHEMA_OPTIONS, collection: 'identity_evidence' },
);
evidenceSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
evidenceSchema.index({ workspace: 1, keys: 1, at: 1 }, { name: 'workspace_keys_at' });

export function createMongoIdentityEvidence(connection: Connection): { repo: IdentityEvidenceRepo; models: Array<Model<EvidenceDoc>> } {
  const model = connection.model<EvidenceDoc>('IdentityEvidence', evidenceSchema);
  const repo: IdentityEvidenceRepo = {
    async add(workspace, evidence) {
      if (evidence.length === 0) return 0;
      const docs = evidence.map((e) => {
        if (e.workspace !== workspace) throw new Error(`evidence of workspace ${e.workspace} given for ${workspace}`);
        return { ...e, keys: [identifierKey(e.identifier), identifierKey(e.linkedTo)] };
      });
      try {
        const r = await model.insertMany(docs, { ordered: false, rawResult: true });
        return r.insertedCount;
      } catch (err) {
        const dup = duplicatesOnly(err);
        if (!dup) throw err;
        return dup.result.insertedCount;
      }
    },
    async ofIdentifiers(workspace, identifiers) {
      const docs = await model
        .find({ workspace, keys: { $in: identifiers.map(identifierKey) } }, { ...HIDDEN, keys: 0 })
        .sort({ at: 1, id: 1 })
        .lean();
      return docs.map((d) => strip<IdentityEvidence>(d));
    },
    async deleteByIdentifiers(workspace, identifiers) {
      const r = await model.deleteMany({ workspace, keys: { $in: identifiers.map(identifierKey) } });
      return r.deletedCount;
    },
  };
  return { repo, models: [model] };
}
