/**
 * MongoDB conversions, credits and fits (see `conversion-repo.ts`). Thin: each method is one
 * or two operations, every unique key and query backed by an index created in `init()`.
 * Times are BSON Dates, returned as canonical ISO text.
 *
 * Collections and indexes:
 * - `conversions`: unique `workspace, id`; `workspace, occurredAt, id` (periods, paging);
 *   `workspace, status, occurredAt, id` (pending ones for the sweep);
 *   `workspace, match.profileId, occurredAt, id` (a person's conversions);
 *   multikey `workspace, identifierKeys` (conversions of a profile's identifiers).
 * - `credits`: one document per conversion, unique `workspace, conversionId` (also serves
 *   `getMany` and `replaceExisting`); `workspace, conversionAt, conversionId` (report periods,
 *   a month's credits for a bulk re-credit).
 * - `fits` + `fit_chunks`: a fit's Shapley coalitions are split into chunks of at most
 *   {@link FIT_CHUNK_BYTES} of BSON each (by size, not count: a coalition of 80 channels
 *   weighs kilobytes), so no document nears the 16 MB limit; unique `workspace, id`;
 *   `workspace, month, id` (pruning a month's old fits); unique `workspace, fitId, seq`.
 * - `fit_months`: one document per workspace and month (current fit, marks); unique
 *   `workspace, month` (point reads, the months in order, upserts of marks).
 */
import mongoose from 'mongoose';
import type { AnyBulkWriteOperation, Connection, Model } from 'mongoose';
import { identifierKey } from '../../identity/identifier.js';
import { HIDDEN, SCHEMA_OPTIONS, afterFilter, duplicateIndexes, insertOnce as insertOne, isDuplicateKey, strip, timeRange } from '../mongo-support.js';
import { DEFAULT_LIST_LIMIT, assertMonth, assertSameWorkspace, canonicalTime, instantOf, plainCopy, resolveLimit } from '../rules.js';
import { FITS_KEPT_PER_MONTH, type Coalition, type ConversionInsert, type ConversionRecord, type ConversionRepo, type CreditRepo, type CreditSet, type FitMonth, type FitRepo, type StoredFit } from './conversion-repo.js';

const { Schema } = mongoose;
const { BSON } = mongoose.mongo;
/** Most BSON bytes of coalitions in one `fit_chunks` document (MongoDB refuses documents over 16 MiB). */
export const FIT_CHUNK_BYTES = 8 * 2 ** 20;

/** Stored shapes: times that are sorted or compared are BSON Dates. */
export type ConversionDoc = Omit<ConversionRecord, 'occurredAt'> & { occurredAt: Date; identifierKeys: string[] };
export type CreditDoc = Omit<CreditSet, 'conversionAt'> & { conversionAt: Date };
/** A fit without its coalitions; `chunks` says how many `fit_chunks` documents (seq 0..chunks-1) hold them. */
export type FitDoc = Omit<StoredFit, 'coalitions' | 'createdAt'> & { createdAt: Date; chunks: number };
export interface FitChunkDoc {
  workspace: string;
  fitId: string;
  seq: number;
  coalitions: Coalition[];
}
export type FitMonthDoc = Omit<FitMonth, 'fittedAt'> & { fittedAt: Date | null };

const conversionSchema = new Schema<ConversionDoc>(
  { workspace: String, id: String, occurredAt: Date, status: String, identifierKeys: { type: [String], default: undefined }, match: { type: Schema.Types.Mixed }, erasedAt: String },
  { ...SCHEMA_OPTIONS, collection: 'conversions' },
);
conversionSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
conversionSchema.index({ workspace: 1, occurredAt: 1, id: 1 }, { name: 'workspace_time' });
// list({ status }) (the sweep's pending and unattributed conversions) in order.
conversionSchema.index({ workspace: 1, status: 1, occurredAt: 1, id: 1 }, { name: 'workspace_status_time' });
conversionSchema.index({ workspace: 1, 'match.profileId': 1, occurredAt: 1, id: 1 }, { name: 'workspace_profile_time' });
conversionSchema.index({ workspace: 1, identifierKeys: 1 }, { name: 'workspace_identifiers' });

const creditSchema = new Schema<CreditDoc>(
  { workspace: String, conversionId: String, conversionAt: Date, models: { type: Schema.Types.Mixed }, touches: { type: Schema.Types.Mixed } },
  { ...SCHEMA_OPTIONS, collection: 'credits' },
);
creditSchema.index({ workspace: 1, conversionId: 1 }, { unique: true, name: 'workspace_conversion_unique' });
creditSchema.index({ workspace: 1, conversionAt: 1, conversionId: 1 }, { name: 'workspace_time' });

const fitSchema = new Schema<FitDoc>({ workspace: String, id: String, month: String, createdAt: Date, markov: { type: Schema.Types.Mixed } }, { ...SCHEMA_OPTIONS, collection: 'fits' });
fitSchema.index({ workspace: 1, id: 1 }, { unique: true, name: 'workspace_id_unique' });
fitSchema.index({ workspace: 1, month: 1, id: 1 }, { name: 'workspace_month' });

const fitChunkSchema = new Schema<FitChunkDoc>(
  { workspace: String, fitId: String, seq: Number, coalitions: { type: Schema.Types.Mixed } },
  { ...SCHEMA_OPTIONS, collection: 'fit_chunks' },
);
fitChunkSchema.index({ workspace: 1, fitId: 1, seq: 1 }, { unique: true, name: 'workspace_fit_seq_unique' });

const fitMonthSchema = new Schema<FitMonthDoc>(
  { workspace: String, month: String, fitId: { type: Schema.Types.Mixed }, fittedAt: Date, marks: Number, fittedMarks: Number, creditedFitId: { type: Schema.Types.Mixed } },
  { ...SCHEMA_OPTIONS, collection: 'fit_months' },
);
fitMonthSchema.index({ workspace: 1, month: 1 }, { unique: true, name: 'workspace_month_unique' });

const iso = (d: Date): string => d.toISOString();

/** The document a conversion is stored as; throws like the memory adapter (workspace, time). */
export function toConversionDoc(workspace: string, c: ConversionRecord): ConversionDoc {
  assertSameWorkspace(`conversion ${c.id}`, workspace, c.workspace);
  const copy = plainCopy(c);
  return { ...copy, occurredAt: new Date(instantOf(c.occurredAt, `conversion ${c.id} occurredAt`)), identifierKeys: c.identifiers.map(identifierKey) };
}

/** The conversion a lean document stands for: `occurredAt` canonical ISO, no `identifierKeys`. */
export function fromConversionDoc(doc: ConversionDoc): ConversionRecord {
  const out = strip<ConversionDoc>(doc) as Partial<ConversionDoc>;
  delete out.identifierKeys;
  return { ...(out as ConversionDoc), occurredAt: iso(doc.occurredAt) };
}

/** The document one conversion's credits are stored as. */
export function toCreditDoc(workspace: string, set: CreditSet): CreditDoc {
  assertSameWorkspace(`credits of ${set.conversionId}`, workspace, set.workspace);
  return { ...plainCopy(set), conversionAt: new Date(instantOf(set.conversionAt, `credits of ${set.conversionId} conversionAt`)) };
}

/** The credit set a lean document stands for (`models` is `{}` when a projection left none). */
export function fromCreditDoc(doc: CreditDoc): CreditSet {
  return { ...strip<CreditDoc>(doc), models: doc.models ?? {}, conversionAt: iso(doc.conversionAt) };
}

/** BSON bytes one coalition adds to a chunk's `coalitions` array at index `i` (type byte, key, value). */
function coalitionBytes(c: Coalition, i: number): number {
  return 1 + String(i).length + 1 + BSON.calculateObjectSize(c as unknown as Record<string, unknown>);
}

/**
 * Splits coalitions into chunks of at most `maxBytes` of BSON each (a single coalition bigger
 * than that gets a chunk of its own; one holds at most a few thousand channels, far below 16 MiB).
 */
export function chunkCoalitions(coalitions: readonly Coalition[], maxBytes = FIT_CHUNK_BYTES): Coalition[][] {
  const chunks: Coalition[][] = [];
  let current: Coalition[] = [];
  let bytes = 0;
  for (const c of coalitions) {
    const size = coalitionBytes(c, current.length);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    bytes += coalitionBytes(c, current.length);
    current.push(c);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** The fit document and its coalition chunks ({@link chunkCoalitions}), so no document nears 16 MB. */
export function toFitDocs(workspace: string, fit: StoredFit, maxChunkBytes = FIT_CHUNK_BYTES): { fit: FitDoc; chunks: FitChunkDoc[] } {
  assertSameWorkspace(`fit ${fit.id}`, workspace, fit.workspace);
  assertMonth(fit.month, `fit ${fit.id} month`);
  const { coalitions, ...rest } = plainCopy(fit);
  const chunks = chunkCoalitions(coalitions, maxChunkBytes).map((part, seq): FitChunkDoc => ({ workspace, fitId: fit.id, seq, coalitions: part }));
  return { fit: { ...rest, createdAt: new Date(canonicalTime(fit.createdAt, `fit ${fit.id} createdAt`)), chunks: chunks.length }, chunks };
}

/** The fit lean documents stand for; only chunks `0..fit.chunks-1`, in seq order, are read. */
export function fromFitDocs(doc: FitDoc, chunks: readonly FitChunkDoc[]): StoredFit {
  const { chunks: count, ...rest } = strip<FitDoc>(doc);
  const parts = chunks.filter((c) => c.seq < count).sort((a, b) => a.seq - b.seq);
  return { ...rest, createdAt: iso(doc.createdAt), coalitions: parts.flatMap((c) => c.coalitions) };
}

/** The month a lean `fit_months` document stands for. */
export function fromFitMonthDoc(doc: FitMonthDoc): FitMonth {
  const d = strip<FitMonthDoc>(doc);
  return {
    workspace: d.workspace,
    month: d.month,
    fitId: d.fitId ?? null,
    fittedAt: d.fittedAt ? iso(d.fittedAt) : null,
    journeys: d.journeys ?? 0,
    conversions: d.conversions ?? 0,
    marks: d.marks ?? 0,
    fittedMarks: d.fittedMarks ?? -1,
    creditedFitId: d.creditedFitId ?? null,
  };
}

/** The MongoDB conversion repositories on `connection`. */
export function createMongoConversions(connection: Connection): { conversions: ConversionRepo; credits: CreditRepo; fits: FitRepo; models: Array<Model<never>> } {
  const Conversion = connection.model<ConversionDoc>('Conversion', conversionSchema);
  const Credit = connection.model<CreditDoc>('Credit', creditSchema);
  const Fit = connection.model<FitDoc>('Fit', fitSchema);
  const FitChunk = connection.model<FitChunkDoc>('FitChunk', fitChunkSchema);
  const FitMonthModel = connection.model<FitMonthDoc>('FitMonth', fitMonthSchema);

  const repos: { conversions: ConversionRepo; credits: CreditRepo; fits: FitRepo } = {
    conversions: {
      async insert(workspace, conversion) {
        const [r] = await repos.conversions.insertMany(workspace, [conversion]);
        if (!r) throw new Error('insertMany returned no result');
        return r;
      },
      async insertMany(workspace, batch) {
        if (batch.length === 0) return [];
        const docs = batch.map((c) => toConversionDoc(workspace, c));
        const ops: Array<AnyBulkWriteOperation<ConversionDoc>> = docs.map((document) => ({ insertOne: { document } }));
        let dups = new Set<number>();
        try {
          // throwOnValidationError: without it mongoose skips a document it cannot cast and
          // resolves, and that conversion would be reported 'inserted' without being stored.
          await Conversion.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
        } catch (err) {
          dups = duplicateIndexes(err);
        }
        if (dups.size === 0) return batch.map(() => ({ status: 'inserted' as const }));
        const ids = [...dups].map((i) => (batch[i] as ConversionRecord).id);
        const existing = await Conversion.find({ workspace, id: { $in: ids } }, HIDDEN).lean<ConversionDoc[]>();
        const byId = new Map(existing.map((d) => [d.id, fromConversionDoc(d)]));
        return batch.map((c, i): ConversionInsert => {
          if (!dups.has(i)) return { status: 'inserted' };
          const e = byId.get(c.id);
          if (!e) throw new Error(`conversion ${c.id} was refused as a duplicate but is not stored`);
          return { status: 'duplicate', existing: e };
        });
      },
      async get(workspace, id) {
        const doc = await Conversion.findOne({ workspace, id }, HIDDEN).lean<ConversionDoc>();
        return doc ? fromConversionDoc(doc) : null;
      },
      async setOutcome(workspace, id, outcome) {
        // An erased conversion keeps its outcome: the filter leaves it out.
        // plainCopy: an undefined inside `match` is dropped (as the memory adapter does), not stored as null.
        const { status, match, reconciledAt } = plainCopy(outcome);
        const r = await Conversion.updateOne({ workspace, id, erasedAt: { $exists: false } }, { $set: { status, match, reconciledAt } });
        return r.matchedCount === 1;
      },
      async list(workspace, query) {
        const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
        if (limit === 0) return [];
        const filter: Record<string, unknown> = { workspace };
        const range = timeRange(query);
        if (range) filter.occurredAt = range;
        if (query.status !== undefined) filter.status = query.status;
        if (query.profileId !== undefined) filter['match.profileId'] = query.profileId;
        if (query.after) Object.assign(filter, afterFilter('occurredAt', 'id', query.after));
        const docs = await Conversion.find(filter, HIDDEN).sort({ occurredAt: 1, id: 1 }).limit(limit).lean<ConversionDoc[]>();
        return docs.map(fromConversionDoc);
      },
      async related(workspace, opts) {
        const limit = resolveLimit(opts.limit, DEFAULT_LIST_LIMIT);
        const or: Array<Record<string, unknown>> = [];
        if (opts.identifiers.length > 0) or.push({ identifierKeys: { $in: opts.identifiers.map(identifierKey) } });
        if (opts.profileIds.length > 0) or.push({ 'match.profileId': { $in: [...opts.profileIds] } });
        // Bad times reject before any early return, as on the memory adapter.
        const range = timeRange(opts);
        if (or.length === 0 || limit === 0) return [];
        const filter: Record<string, unknown> = { workspace, $or: or };
        if (range) filter.occurredAt = range;
        const docs = await Conversion.find(filter, HIDDEN).sort({ occurredAt: 1, id: 1 }).limit(limit).lean<ConversionDoc[]>();
        return docs.map(fromConversionDoc);
      },
      async count(workspace) {
        return Conversion.countDocuments({ workspace });
      },
      async unlinkRelated(workspace, person) {
        const at = canonicalTime(person.at, 'at');
        const or: Array<Record<string, unknown>> = [];
        if (person.identifiers.length > 0) or.push({ identifierKeys: { $in: person.identifiers.map(identifierKey) } });
        if (person.profileIds.length > 0) or.push({ 'match.profileId': { $in: [...person.profileIds] } });
        if (or.length === 0) return [];
        const found = await Conversion.find({ workspace, $or: or }, { _id: 0, id: 1 }).sort({ occurredAt: 1, id: 1 }).lean<Array<{ id: string }>>();
        const ids = found.map((d) => d.id);
        if (ids.length === 0) return [];
        await Conversion.updateMany(
          { workspace, id: { $in: ids } },
          {
            $set: { identifiers: [], identifierKeys: [], status: 'unattributed', match: null, reconciledAt: at, erasedAt: at },
            $unset: { telegramUsername: 1, clickId: 1 },
          },
        );
        return ids;
      },
    },

    credits: {
      async put(workspace, set) {
        const doc = toCreditDoc(workspace, set);
        // One document per conversion: the replace is atomic, so a report never sees half a re-reconcile.
        try {
          await Credit.replaceOne({ workspace, conversionId: set.conversionId }, doc, { upsert: true });
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          await Credit.replaceOne({ workspace, conversionId: set.conversionId }, doc, { upsert: true });
        }
      },
      async replaceExisting(workspace, sets) {
        if (sets.length === 0) return 0;
        const docs = sets.map((set) => toCreditDoc(workspace, set));
        // No upsert: credits deleted meanwhile (an erasure) stay deleted.
        const r = await Credit.bulkWrite(
          docs.map((replacement) => ({ replaceOne: { filter: { workspace, conversionId: replacement.conversionId }, replacement } })),
          { ordered: false, throwOnValidationError: true },
        );
        return r.matchedCount;
      },
      async get(workspace, conversionId) {
        const doc = await Credit.findOne({ workspace, conversionId }, HIDDEN).lean<CreditDoc>();
        return doc ? fromCreditDoc(doc) : null;
      },
      async getMany(workspace, conversionIds) {
        if (conversionIds.length === 0) return [];
        const docs = await Credit.find({ workspace, conversionId: { $in: [...new Set(conversionIds)] } }, HIDDEN).lean<CreditDoc[]>();
        return docs.map(fromCreditDoc);
      },
      async delete(workspace, conversionId) {
        return (await Credit.deleteOne({ workspace, conversionId })).deletedCount === 1;
      },
      async deleteMany(workspace, conversionIds) {
        if (conversionIds.length === 0) return 0;
        return (await Credit.deleteMany({ workspace, conversionId: { $in: [...conversionIds] } })).deletedCount;
      },
      async list(workspace, query) {
        const limit = resolveLimit(query.limit, DEFAULT_LIST_LIMIT);
        if (limit === 0) return [];
        const filter: Record<string, unknown> = { workspace };
        const range = timeRange(query);
        if (range) filter.conversionAt = range;
        if (query.after) Object.assign(filter, afterFilter('conversionAt', 'conversionId', query.after));
        let projection: Record<string, 0 | 1> = HIDDEN;
        if (query.models !== undefined) {
          // Inclusion projection: every top-level field but `models`, and only the asked models.
          projection = { _id: 0 };
          for (const f of ['workspace', 'conversionId', 'conversionAt', 'value', 'currency', 'type', 'rule', 'profileId', 'lowConfidence', 'touches', 'fitId', 'computedAt']) projection[f] = 1;
          for (const m of query.models) projection[`models.${m}`] = 1;
        }
        const docs = await Credit.find(filter, projection).sort({ conversionAt: 1, conversionId: 1 }).limit(limit).lean<CreditDoc[]>();
        return docs.map(fromCreditDoc);
      },
      async count(workspace) {
        return Credit.countDocuments({ workspace });
      },
    },

    fits: {
      async put(workspace, fit) {
        const { fit: doc, chunks } = toFitDocs(workspace, fit);
        // A stored id stays: check before writing chunks, which would otherwise overwrite its coalitions.
        if ((await Fit.exists({ workspace, id: fit.id })) !== null) return;
        // Chunks first, the fit document last: a fit is visible only once it is whole.
        for (const c of chunks) {
          await FitChunk.replaceOne({ workspace, fitId: c.fitId, seq: c.seq }, c, { upsert: true });
        }
        // Chunks an interrupted earlier put of this id left beyond the new count.
        await FitChunk.deleteMany({ workspace, fitId: fit.id, seq: { $gte: chunks.length } });
        await insertOne(Fit, doc);
      },
      async get(workspace, id) {
        const doc = await Fit.findOne({ workspace, id }, HIDDEN).lean<FitDoc>();
        if (!doc) return null;
        const chunks = await FitChunk.find({ workspace, fitId: doc.id, seq: { $lt: doc.chunks } }, HIDDEN).sort({ seq: 1 }).lean<FitChunkDoc[]>();
        return fromFitDocs(doc, chunks);
      },
      async setCurrent(workspace, current) {
        const month = assertMonth(current.month);
        const fittedAt = new Date(canonicalTime(current.fittedAt, 'fittedAt'));
        const fields = { fitId: current.fitId, fittedAt, journeys: current.journeys, conversions: current.conversions, fittedMarks: current.marks };
        // Only over a fit made from the same or earlier data (a slow refit never replaces a newer one).
        const update = (): Promise<{ fitId?: string | null } | null> =>
          FitMonthModel.findOneAndUpdate({ workspace, month, fittedMarks: { $lte: current.marks } }, { $set: fields }, { returnDocument: 'before' }).select({ _id: 0, fitId: 1 }).lean<{ fitId?: string | null }>();
        let before = await update();
        if (!before) {
          const inserted = await insertOne(FitMonthModel, { workspace, month, ...fields, marks: current.marks, creditedFitId: null });
          if (inserted === 'inserted') before = { fitId: null };
          // A month document appeared meanwhile: a mark (then the update applies) or a newer fit (then it is refused).
          else before = await update();
          if (!before) return false;
        }
        const keep = [current.fitId, before.fitId ?? null].filter((x): x is string => x !== null).slice(0, FITS_KEPT_PER_MONTH);
        const old = await Fit.find({ workspace, month, id: { $nin: keep } }, { _id: 0, id: 1 }).lean<Array<{ id: string }>>();
        if (old.length > 0) {
          const ids = old.map((o) => o.id);
          await Fit.deleteMany({ workspace, id: { $in: ids } });
          await FitChunk.deleteMany({ workspace, fitId: { $in: ids } });
        }
        return true;
      },
      async setCredited(workspace, month, fitId) {
        await FitMonthModel.updateOne({ workspace, month: assertMonth(month), fitId }, { $set: { creditedFitId: fitId } });
      },
      async month(workspace, month) {
        const doc = await FitMonthModel.findOne({ workspace, month: assertMonth(month) }, HIDDEN).lean<FitMonthDoc>();
        return doc ? fromFitMonthDoc(doc) : null;
      },
      async months(workspace, range = {}) {
        const filter: Record<string, unknown> = { workspace };
        const bounds: Record<string, string> = {};
        if (range.from !== undefined) bounds.$gte = assertMonth(range.from, 'from');
        if (range.to !== undefined) bounds.$lt = assertMonth(range.to, 'to');
        if (Object.keys(bounds).length > 0) filter.month = bounds;
        const docs = await FitMonthModel.find(filter, HIDDEN).sort({ month: 1 }).lean<FitMonthDoc[]>();
        return docs.map(fromFitMonthDoc);
      },
      async markDirty(workspace, list) {
        const months = [...new Set(list.map((m) => assertMonth(m)))];
        if (months.length === 0) return;
        const op = (month: string): AnyBulkWriteOperation<FitMonthDoc> => ({
          updateOne: {
            filter: { workspace, month },
            update: { $inc: { marks: 1 }, $setOnInsert: { fitId: null, fittedAt: null, journeys: 0, conversions: 0, fittedMarks: -1, creditedFitId: null } },
            upsert: true,
          },
        });
        try {
          await FitMonthModel.bulkWrite(months.map(op), { ordered: false });
        } catch (err) {
          // Two first marks of one month racing: the loser's upsert hit the unique index; mark it again (it exists now).
          const dup = duplicateIndexes(err);
          await FitMonthModel.bulkWrite([...dup].map((i) => op(months[i] as string)), { ordered: false });
        }
      },
    },
  };
  return { ...repos, models: [Conversion, Credit, Fit, FitChunk, FitMonthModel] as unknown as Array<Model<never>> };
}
